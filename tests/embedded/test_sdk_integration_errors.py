"""embedded_aws.sdk_integration_errors: an AWS SDK integration's error names and causes, as AWS writes them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from embedded_aws import iam_enforcement
from embedded_aws.api_faults import ApiFaultInjector
from embedded_aws.server import EmbeddedAws

BUCKET = "sdk-errors-bucket"


@pytest.fixture
def api_faults(embedded_aws: EmbeddedAws, aws: Any) -> Iterator[ApiFaultInjector]:
    embedded_aws.api_faults.clear()
    yield embedded_aws.api_faults
    embedded_aws.api_faults.clear()


def get_object(aws: Any, name: str, key: str, role: str | None = None) -> dict[str, Any]:
    """Runs a one-state machine reading s3://BUCKET/key through the aws-sdk integration; its description."""
    task = {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject", "End": True}
    task["Parameters"] = {"Bucket": BUCKET, "Key": key}
    machine = aws.state_machine(name, {"StartAt": "Get", "States": {"Get": task}}, role=role)
    return dict(aws.run_to_end(machine, {}, timeout=20))


def test_errors_are_named_and_described_as_aws_names_them(aws: Any, api_faults: ApiFaultInjector) -> None:
    aws.client("s3").create_bucket(Bucket=BUCKET)
    aws.client("s3").put_object(Bucket=BUCKET, Key="hot/a.json", Body=b"{}")
    # An error S3's SDK models: S3.<Name>Exception, the service in Pascal case
    missing = get_object(aws, "missing", "nope.json")
    assert missing["error"] == "S3.NoSuchKeyException"
    assert "(Service: S3, Status Code: 404, Request ID: " in missing["cause"]
    # A SlowDown is not modelled: S3.S3Exception, told apart from a refusal only by its status code
    api_faults.fail("s3", "GetObject", "SlowDown")
    busy = get_object(aws, "busy", "hot/a.json")
    api_faults.clear()
    assert busy["error"] == "S3.S3Exception"
    assert "(Service: S3, Status Code: 503, " in busy["cause"]
    # So is an AccessDenied (a role that may list the bucket but not read from it)
    listing = {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{BUCKET}"}
    role = aws.role("states.amazonaws.com", policy={"Version": "2012-10-17", "Statement": [listing]})
    was = iam_enforcement.is_enabled()
    iam_enforcement.set_enabled(True)
    try:
        denied = get_object(aws, "denied", "hot/a.json", role=role)
    finally:
        iam_enforcement.set_enabled(was)
    assert denied["error"] == "S3.S3Exception"
    assert "(Service: S3, Status Code: 403, " in denied["cause"]
