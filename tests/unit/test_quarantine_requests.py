"""Quarantining and the quarantine commands when S3 answers 403 for a missing key (botocore Stubber).

The Quarantine role, like a least-privileged operator, may list raw/ and quarantine/ only with an `s3:prefix`
condition, so AWS answers a read of a missing key with 403; the embedded AWS answers 404.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.stub import ANY, Stubber

from orders_etl.quarantine import quarantine_file
from orders_etl.source_files import SourceVersion
from orders_etl_cli.quarantine_area import read_report
from support import pipeline_settings

SETTINGS = pipeline_settings()
BUCKET = SETTINGS.data_bucket
SOURCE = "raw/bad/orders.json"
QUARANTINED = "quarantine/bad/orders.json"
ERROR = {"Error": "InvalidOrderFile", "Cause": "raw/bad/orders.json: not JSON"}
EXECUTION = "arn:aws:states:eu-west-1:111122223333:execution:orders-etl-order-pipeline:run"


def forbidden(stubber: Stubber, operation: str, **params: str) -> None:
    stubber.add_client_error(
        operation,
        service_error_code="403" if operation == "head_object" else "AccessDenied",
        service_message="Forbidden",
        http_status_code=403,
        expected_params={"Bucket": BUCKET, **params},
    )


def no_versions_of(stubber: Stubber, key: str) -> None:
    stubber.add_response(
        "list_object_versions", {"IsTruncated": False, "Versions": []}, {"Bucket": BUCKET, "Prefix": key}
    )


def test_a_retried_quarantine_whose_source_version_is_gone_finishes_without_moving_anything(
    s3: tuple[Any, Stubber],
) -> None:
    client, stubber = s3
    # GIVEN an earlier attempt moved the version: its HEAD answers 403 and no such version is listed; the
    # quarantined copy is there
    forbidden(stubber, "head_object", Key=SOURCE, VersionId="v1")
    no_versions_of(stubber, SOURCE)
    stubber.add_response("head_object", {"ContentLength": 3}, {"Bucket": BUCKET, "Key": QUARANTINED})
    # WHEN the quarantine is retried THEN it reports the quarantined file, with no copy, report or delete
    result = quarantine_file(client, SETTINGS, SOURCE, ERROR, EXECUTION, SourceVersion("v1"))
    assert result == {"quarantined_key": QUARANTINED, "report_key": QUARANTINED + ".error.json"}


def test_a_source_that_may_not_be_read_is_neither_moved_nor_called_missing(s3: tuple[Any, Stubber]) -> None:
    client, stubber = s3
    # GIVEN the version is there (listed) but its HEAD is refused
    forbidden(stubber, "head_object", Key=SOURCE, VersionId="v1")
    stubber.add_response(
        "list_object_versions",
        {"IsTruncated": False, "Versions": [{"Key": SOURCE, "VersionId": "v1", "IsLatest": True}]},
        {"Bucket": BUCKET, "Prefix": SOURCE},
    )
    # WHEN it is quarantined THEN the denial is raised: no FileNotFoundError, nothing copied or deleted
    with pytest.raises(ClientError, match=r"\(403\)"):
        quarantine_file(client, SETTINGS, SOURCE, ERROR, EXECUTION, SourceVersion("v1"))


def test_a_quarantine_of_a_file_found_nowhere_says_so(s3: tuple[Any, Stubber]) -> None:
    client, stubber = s3
    # GIVEN neither the raw version nor the quarantined copy exists (both HEADs refused, neither listed)
    forbidden(stubber, "head_object", Key=SOURCE, VersionId="v1")
    no_versions_of(stubber, SOURCE)
    forbidden(stubber, "head_object", Key=QUARANTINED)
    stubber.add_response(
        "list_objects_v2",
        {"KeyCount": 0, "IsTruncated": False},
        {"Bucket": BUCKET, "Prefix": QUARANTINED, "MaxKeys": 1},
    )
    # WHEN it is quarantined THEN it fails saying the file is in neither place
    with pytest.raises(FileNotFoundError, match="neither in raw/ nor in quarantine/"):
        quarantine_file(client, SETTINGS, SOURCE, ERROR, EXECUTION, SourceVersion("v1"))


def test_the_commands_read_a_missing_report_as_none(s3: tuple[Any, Stubber]) -> None:
    client, stubber = s3
    # GIVEN a quarantined file without a report: the GET of the report answers 403, and it is not listed
    forbidden(stubber, "get_object", Key=QUARANTINED + ".error.json")
    stubber.add_response(
        "list_objects_v2",
        {"Contents": [{"Key": QUARANTINED + ".error.json.bak"}], "IsTruncated": False},
        {"Bucket": BUCKET, "Prefix": QUARANTINED + ".error.json", "MaxKeys": ANY},
    )
    # WHEN `orders-etl quarantine show` reads it THEN there is no report
    assert read_report(client, BUCKET, QUARANTINED) is None


def test_a_file_of_exactly_5_gib_moves_with_one_copy_object(s3: tuple[Any, Stubber]) -> None:
    client, stubber = s3
    # GIVEN the version to move is 5 GiB, the most CopyObject copies (S3 refuses a larger source)
    stubber.add_response(
        "head_object", {"ContentLength": 5 * 1024**3}, {"Bucket": BUCKET, "Key": SOURCE, "VersionId": "v1"}
    )
    source = {"Bucket": BUCKET, "Key": SOURCE, "VersionId": "v1"}
    stubber.add_response("copy_object", {}, {"Bucket": BUCKET, "Key": QUARANTINED, "CopySource": source})
    stubber.add_response(
        "put_object",
        {},
        {"Bucket": BUCKET, "Key": QUARANTINED + ".error.json", "Body": ANY, "ContentType": "application/json"},
    )
    stubber.add_response("delete_object", {}, {"Bucket": BUCKET, "Key": SOURCE, "VersionId": "v1"})
    # WHEN it is quarantined THEN one CopyObject moves it, then the report, then the delete of that version
    quarantine_file(client, SETTINGS, SOURCE, ERROR, EXECUTION, SourceVersion("v1"))
