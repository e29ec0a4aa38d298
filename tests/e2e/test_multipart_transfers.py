"""Objects too large for one request, with the functions' roles (IAM enforced): the quarantine moves a file over
S3's CopyObject limit in parts, and a multipart transfer that fails is aborted rather than left to be billed."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from boto3.exceptions import S3UploadFailedError
from botocore.config import Config
from botocore.exceptions import ClientError

from embedded_aws import s3_copy_limit, service_roles
from embedded_aws.api_faults import ApiFaultInjector
from embedded_aws.server import EmbeddedAws
from orders_etl import quarantine
from orders_etl.publishing import publish
from orders_etl.quarantine import quarantine_file
from orders_etl.source_files import SourceVersion
from support import Stack, pipeline_settings

MiB = 1024**2
RAW = "raw/big/orders.json"
QUARANTINED = "quarantine/big/orders.json"
ERROR = {"Error": "FileTooLarge", "Cause": "raw/big/orders.json is 12582912 bytes"}


@pytest.fixture
def copy_limit_of_5_mib(monkeypatch: pytest.MonkeyPatch) -> None:
    """S3's CopyObject limit (5 GiB), and the quarantine's, lowered to 5 MiB: 12 MiB stand for 12 GiB."""
    monkeypatch.setattr(s3_copy_limit, "MAX_COPY_SOURCE_BYTES", 5 * MiB)
    monkeypatch.setattr(quarantine, "COPY_OBJECT_MAX_BYTES", 5 * MiB)
    monkeypatch.setattr(quarantine, "MULTIPART_COPY_PART_BYTES", 5 * MiB)  # S3's smallest part


@pytest.fixture
def api_faults(embedded_aws: EmbeddedAws) -> Iterator[ApiFaultInjector]:
    embedded_aws.api_faults.clear()
    yield embedded_aws.api_faults
    embedded_aws.api_faults.clear()


def s3_as(stack: Stack, function_logical_id: str) -> Any:
    """An S3 client signed as the function's role, without SDK retries (a failure is final at once)."""
    role_arn = stack.client("lambda").get_function(FunctionName=f"orders-etl-{function_logical_id}")["Configuration"][
        "Role"
    ]
    credentials = service_roles.credentials_for(role_arn, service_roles.LAMBDA)
    session = boto3.Session(region_name="us-east-1", **credentials.as_client_arguments())
    return session.client("s3", endpoint_url=stack.endpoint_url, config=Config(retries={"total_max_attempts": 1}))


def incomplete_uploads(stack: Stack) -> list[str]:
    listing = stack.client("s3").list_multipart_uploads(Bucket=stack.bucket)
    return [upload["Key"] for upload in listing.get("Uploads", [])]


def raw_versions(stack: Stack) -> list[str]:
    listing = stack.client("s3").list_object_versions(Bucket=stack.bucket, Prefix=RAW)
    return [version["VersionId"] for version in listing.get("Versions", [])]


def test_a_file_over_the_copy_limit_is_quarantined_in_parts_that_version_byte_for_byte(
    stack: Stack, copy_limit_of_5_mib: None
) -> None:
    # GIVEN a 12 MiB raw file (over the limit) and a later upload of the same key
    stack.pause_pipeline()
    s3 = stack.client("s3")
    rejected = os.urandom(12 * MiB)
    rejected_version = s3.put_object(Bucket=stack.bucket, Key=RAW, Body=rejected)["VersionId"]
    later_version = s3.put_object(Bucket=stack.bucket, Key=RAW, Body=b"[]")["VersionId"]

    # WHEN the Quarantine function moves the rejected version
    event = {"key": RAW, "version_id": rejected_version, "error": ERROR, "execution_arn": "arn:execution"}
    response = stack.client("lambda").invoke(
        FunctionName="orders-etl-QuarantineOrderFileFunction", Payload=json.dumps(event).encode()
    )
    result = json.loads(response["Payload"].read())

    # THEN it moved that version, byte for byte, as a 3-part upload (5 + 5 + 2 MiB), with its report beside it
    assert "FunctionError" not in response, result
    assert result == {"quarantined_key": QUARANTINED, "report_key": f"{QUARANTINED}.error.json"}
    moved = s3.get_object(Bucket=stack.bucket, Key=QUARANTINED)
    assert moved["Body"].read() == rejected
    assert moved["ETag"].endswith('-3"')
    report = json.loads(stack.get(f"{QUARANTINED}.error.json"))
    assert (report["source_key"], report["error_type"]) == (RAW, "FileTooLarge")
    # AND the later upload stays in raw/, the only version left; no upload is left incomplete
    assert raw_versions(stack) == [later_version]
    assert incomplete_uploads(stack) == []


def test_a_part_copy_that_fails_aborts_the_upload_and_leaves_the_raw_file(
    stack: Stack, copy_limit_of_5_mib: None, api_faults: ApiFaultInjector
) -> None:
    # GIVEN a 12 MiB raw file, and S3 failing a part copy past the SDK's retries
    stack.pause_pipeline()
    version = stack.client("s3").put_object(Bucket=stack.bucket, Key=RAW, Body=os.urandom(12 * MiB))["VersionId"]
    api_faults.fail("s3", "UploadPartCopy", "InternalError", count=1)
    settings = pipeline_settings(data_bucket=stack.bucket)

    # WHEN the quarantine runs, as the Quarantine function's role
    with pytest.raises(ClientError, match="InternalError"):
        quarantine_file(
            s3_as(stack, "QuarantineOrderFileFunction"), settings, RAW, ERROR, "arn:x", SourceVersion(version)
        )

    # THEN its multipart upload was aborted (which its role may do), and the file is still in raw/, untouched
    assert ("s3", "UploadPartCopy", "InternalError") in api_faults.injected
    assert incomplete_uploads(stack) == []
    assert raw_versions(stack) == [version]
    assert stack.keys("quarantine/") == []


def test_a_parquet_upload_that_fails_part_way_is_aborted(
    stack: Stack, api_faults: ApiFaultInjector, tmp_path: Path
) -> None:
    # GIVEN a Parquet file of 9 MiB, over the SDK's 8 MiB multipart threshold, and S3 failing one part's upload
    stack.pause_pipeline()
    parquet = tmp_path / "orders.parquet"
    parquet.write_bytes(os.urandom(9 * MiB))
    api_faults.fail("s3", "UploadPart", "InternalError", count=1, path_contains="/manifests/orders/staging/")
    settings = pipeline_settings(data_bucket=stack.bucket)

    # WHEN Flatten publishes it, as the Flatten function's role
    with pytest.raises(S3UploadFailedError, match="InternalError"):
        publish(s3_as(stack, "FlattenOrdersFunction"), settings, RAW, {"2025-09-01": [parquet]}, rows=1)

    # THEN the upload was aborted (which its role may do): no parts stay stored, and nothing reached the table
    assert ("s3", "UploadPart", "InternalError") in api_faults.injected
    assert incomplete_uploads(stack) == []
    assert stack.keys("parquet_files/") == [] and stack.keys("manifests/") == []
