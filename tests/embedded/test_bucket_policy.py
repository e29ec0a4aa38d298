"""embedded_aws.bucket_policy: the TLS-only Deny is left out on the embedded endpoint, every other statement holds."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from embedded_aws import iam_enforcement
from embedded_aws.bucket_policy import applies_only_to_insecure_transport

BUCKET = "policy-test"
INSECURE = {"Bool": {"aws:SecureTransport": "false"}}


def tls_only_statement() -> dict[str, Any]:
    """The template's DenyInsecureTransport statement for BUCKET."""
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"],
        "Condition": INSECURE,
    }


def bucket_with_policy(aws: Any, *statements: dict[str, Any]) -> Any:
    s3 = aws.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps({"Version": "2012-10-17", "Statement": list(statements)}))
    return s3


def test_tls_only_policy_still_allows_reads_and_writes(aws: Any) -> None:
    # GIVEN a bucket whose only statement denies s3:* over insecure transport
    s3 = bucket_with_policy(aws, tls_only_statement())

    # WHEN objects are written, listed and read over the (plain HTTP, loopback) embedded endpoint
    s3.put_object(Bucket=BUCKET, Key="raw/a.json", Body=b"[1]")
    listed = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]]
    body = s3.get_object(Bucket=BUCKET, Key="raw/a.json")["Body"].read()

    # THEN every request succeeds: the endpoint counts as secure transport
    assert listed == ["raw/a.json"]
    assert body == b"[1]"


def test_single_statement_policy_not_in_a_list_is_handled(aws: Any) -> None:
    # GIVEN the TLS-only statement given as a single object instead of a list (valid IAM policy grammar)
    s3 = aws.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps({"Version": "2012-10-17", "Statement": tls_only_statement()}))

    # WHEN an object is written and read
    s3.put_object(Bucket=BUCKET, Key="k", Body=b"v")

    # THEN both succeed
    assert s3.get_object(Bucket=BUCKET, Key="k")["Body"].read() == b"v"


def test_unconditional_deny_is_still_enforced(aws: Any) -> None:
    # GIVEN the TLS-only statement plus an unconditional Deny of s3:GetObject for everyone
    deny_reads = {
        "Sid": "DenyReads",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{BUCKET}/*",
    }
    s3 = bucket_with_policy(aws, tls_only_statement(), deny_reads)

    # WHEN an object is written, then read
    s3.put_object(Bucket=BUCKET, Key="raw/a.json", Body=b"[1]")
    with pytest.raises(ClientError) as denied:
        s3.get_object(Bucket=BUCKET, Key="raw/a.json")

    # THEN the write was allowed and the read denied: only the insecure-transport statement was dropped
    assert denied.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert denied.value.response["Error"]["Code"] in ("403", "AccessDenied")


@pytest.mark.parametrize("enforced", [False, True], ids=["moto evaluates", "IAM enforced"])
def test_deny_with_secure_transport_and_another_condition_is_kept(aws: Any, enforced: bool) -> None:
    # GIVEN a Deny of s3:GetObject whose condition has more than the insecure-transport test
    statement = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{BUCKET}/*",
        "Condition": {**INSECURE, "StringEquals": {"aws:username": "someone"}},
    }
    s3 = bucket_with_policy(aws, statement)
    s3.put_object(Bucket=BUCKET, Key="k", Body=b"v")
    was = iam_enforcement.is_enabled()
    iam_enforcement.set_enabled(enforced)
    try:
        if enforced:
            # THEN with IAM enforced the condition is evaluated as AWS does: it does not hold, nothing is denied
            assert s3.get_object(Bucket=BUCKET, Key="k")["Body"].read() == b"v"
        else:
            # THEN without it the statement is evaluated by moto (which ignores conditions), so it denies
            with pytest.raises(ClientError) as denied:
                s3.get_object(Bucket=BUCKET, Key="k")
            assert denied.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    finally:
        iam_enforcement.set_enabled(was)


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ({"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}, True),
        ({"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "true"}}}, False),
        ({"Effect": "Deny"}, False),
        ({"Effect": "Deny", "Condition": {}}, False),
        (
            {"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false", "aws:ViaAWSService": "false"}}},
            False,
        ),
        ({"Effect": "Deny", "Condition": {**INSECURE, "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}, False),
        ({"Effect": "Deny", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}}, False),
    ],
    ids=["insecure-only", "secure", "no-condition", "empty-condition", "two-bool-keys", "two-operators", "mfa"],
)
def test_applies_only_to_insecure_transport(statement: dict[str, Any], expected: bool) -> None:
    # GIVEN a statement / WHEN classified / THEN only a condition that is exactly "SecureTransport is false" counts
    assert applies_only_to_insecure_transport(statement) is expected


@pytest.mark.parametrize(
    "condition",
    [
        {"Bool": {"aws:SecureTransport": False}},
        {"Bool": {"aws:SecureTransport": ["false"]}},
        {"Bool": {"aws:securetransport": "false"}},
    ],
    ids=["json-boolean", "list-value", "lower-case-key"],
)
def test_equivalent_spellings_of_the_insecure_transport_condition(condition: dict[str, Any]) -> None:
    # GIVEN the same insecure-transport condition in another spelling IAM accepts
    # WHEN classified / THEN it is recognised too
    assert applies_only_to_insecure_transport({"Effect": "Deny", "Condition": condition}) is True
