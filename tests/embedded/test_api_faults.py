"""embedded_aws.api_faults: chosen AWS API calls answer with throttling or server errors, as AWS would send them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from embedded_aws.api_faults import ApiFaultInjector
from embedded_aws.credentials import admin_session
from embedded_aws.server import EmbeddedAws


@pytest.fixture
def api_faults(embedded_aws: EmbeddedAws, aws: Any) -> Iterator[ApiFaultInjector]:
    embedded_aws.api_faults.clear()
    yield embedded_aws.api_faults
    embedded_aws.api_faults.clear()


def client(aws: Any, service: str, attempts: int) -> Any:
    config = Config(retries={"mode": "standard", "total_max_attempts": attempts})
    return admin_session().client(service, endpoint_url=aws.endpoint_url, config=config)


def test_sdk_retries_absorb_a_few_throttled_calls(aws: Any, api_faults: ApiFaultInjector) -> None:
    # GIVEN Glue throttles the next two GetDatabases calls
    aws.client("glue").create_database(DatabaseInput={"Name": "db"})
    api_faults.fail("glue", "GetDatabases", "ThrottlingException", count=2)
    # WHEN a client with the SDK's standard retries calls it THEN the third attempt succeeds
    assert [d["Name"] for d in client(aws, "glue", 3).get_databases()["DatabaseList"]] == ["db"]
    assert api_faults.injected == [("glue", "GetDatabases", "ThrottlingException")] * 2


def test_the_error_is_what_aws_sends(aws: Any, api_faults: ApiFaultInjector) -> None:
    aws.client("s3").create_bucket(Bucket="faults-bucket")
    aws.client("s3").put_object(Bucket="faults-bucket", Key="raw/a.json", Body=b"{}")
    api_faults.fail("s3", "GetObject", "SlowDown")  # until cleared
    api_faults.fail("glue", "GetCrawler", "InternalError", count=1)
    with pytest.raises(ClientError) as s3_error:
        client(aws, "s3", 1).get_object(Bucket="faults-bucket", Key="raw/a.json")
    assert (
        s3_error.value.response["Error"]["Code"],
        s3_error.value.response["ResponseMetadata"]["HTTPStatusCode"],
    ) == (
        "SlowDown",
        503,
    )
    with pytest.raises(ClientError) as glue_error:
        client(aws, "glue", 1).get_crawler(Name="c")
    assert glue_error.value.response["Error"]["Code"] == "InternalError"
    api_faults.clear()
    assert client(aws, "s3", 1).get_object(Bucket="faults-bucket", Key="raw/a.json")["Body"].read() == b"{}"


def test_s3_faults_match_the_operation_and_the_path(aws: Any, api_faults: ApiFaultInjector) -> None:
    s3 = client(aws, "s3", 1)
    s3.create_bucket(Bucket="faults-bucket")
    api_faults.fail("s3", "PutObject", "SlowDown", path_contains="/parquet_files/")
    # an upload elsewhere, a copy and a read are not PutObject calls under that path
    s3.put_object(Bucket="faults-bucket", Key="raw/a.json", Body=b"{}")
    s3.copy_object(
        Bucket="faults-bucket", Key="raw/b.json", CopySource={"Bucket": "faults-bucket", "Key": "raw/a.json"}
    )
    s3.head_object(Bucket="faults-bucket", Key="raw/b.json")
    with pytest.raises(ClientError, match="SlowDown"):
        s3.put_object(Bucket="faults-bucket", Key="parquet_files/orders/dt=2025-01-01/x.parquet", Body=b"x")
    assert api_faults.injected == [("s3", "PutObject", "SlowDown")]


def test_each_step_of_a_multipart_upload_can_be_failed_on_its_own(aws: Any, api_faults: ApiFaultInjector) -> None:
    s3 = client(aws, "s3", 1)
    s3.create_bucket(Bucket="faults-bucket")
    s3.put_object(Bucket="faults-bucket", Key="raw/a.json", Body=b"{}")
    upload = {"Bucket": "faults-bucket", "Key": "big"}
    upload_id = s3.create_multipart_upload(**upload)["UploadId"]
    step = {**upload, "UploadId": upload_id}
    calls = {
        "UploadPart": lambda: s3.upload_part(**step, PartNumber=1, Body=b"x"),
        "UploadPartCopy": lambda: s3.upload_part_copy(**step, PartNumber=1, CopySource="faults-bucket/raw/a.json"),
        "ListParts": lambda: s3.list_parts(**step),
        "CompleteMultipartUpload": lambda: s3.complete_multipart_upload(**step, MultipartUpload={"Parts": []}),
        "AbortMultipartUpload": lambda: s3.abort_multipart_upload(**step),
        "CreateMultipartUpload": lambda: s3.create_multipart_upload(**upload),
    }
    # GIVEN each step of a multipart upload answers its next call with an error
    for operation in calls:
        api_faults.fail("s3", operation, "InternalError", count=1)

    # WHEN a plain upload and then each step are called
    s3.put_object(Bucket="faults-bucket", Key="raw/b.json", Body=b"{}")
    for call in calls.values():
        with pytest.raises(ClientError, match="InternalError"):
            call()

    # THEN each step failed as itself, and the plain upload was not taken for one of them
    assert api_faults.injected == [("s3", operation, "InternalError") for operation in calls]
