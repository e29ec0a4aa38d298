"""IAM policy evaluation as AWS documents it, where moto's differs (no endpoint needed)."""

from __future__ import annotations

from typing import Any

import pytest

from embedded_aws.iam_policy_evaluation import Decision, Request, UnsupportedPolicy, evaluate

ROLE_SESSION = "arn:aws:sts::123456789012:assumed-role/flatten-role/flatten"
BUCKET = "arn:aws:s3:::data"


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: Any, resource: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any, resource: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def request(action: str, resource: str, **context: list[str]) -> Request:
    return Request(ROLE_SESSION, action, resource, {k.replace("__", ":"): v for k, v in context.items()})


def test_an_allow_for_the_action_and_resource_allows_and_nothing_else_does() -> None:
    # GIVEN a policy allowing s3:GetObject under raw/
    policies = [policy(allow("s3:GetObject", f"{BUCKET}/raw/*"))]
    # THEN reading under raw/ is allowed; the version action, another prefix and no policy at all are not
    assert evaluate(policies, request("s3:GetObject", f"{BUCKET}/raw/a.json")) is Decision.ALLOWED
    assert evaluate(policies, request("s3:GetObjectVersion", f"{BUCKET}/raw/a.json")) is Decision.IMPLICIT_DENY
    assert evaluate(policies, request("s3:GetObject", f"{BUCKET}/parquet/a")) is Decision.IMPLICIT_DENY
    assert evaluate([], request("s3:GetObject", f"{BUCKET}/raw/a.json")) is Decision.IMPLICIT_DENY


def test_actions_ignore_case_and_resources_do_not() -> None:
    policies = [policy(allow("S3:getobject", f"{BUCKET}/Raw/*"))]
    assert evaluate(policies, request("s3:GetObject", f"{BUCKET}/Raw/a")) is Decision.ALLOWED
    assert evaluate(policies, request("s3:GetObject", f"{BUCKET}/raw/a")) is Decision.IMPLICIT_DENY


def test_wildcards_match_any_run_or_one_character_and_nothing_else_is_special() -> None:
    policies = [policy(allow("glue:Get*", "arn:aws:glue:us-east-1:1:table/db/t?"))]
    assert evaluate(policies, request("glue:GetTable", "arn:aws:glue:us-east-1:1:table/db/t1")).allowed
    assert not evaluate(policies, request("glue:GetTable", "arn:aws:glue:us-east-1:1:table/db/t12")).allowed
    # a dot in a pattern is a dot, not "any character"
    dotted = [policy(allow("s3:GetObject", f"{BUCKET}/a.json"))]
    assert not evaluate(dotted, request("s3:GetObject", f"{BUCKET}/aXjson")).allowed


def test_an_explicit_deny_wins_over_any_allow() -> None:
    policies = [policy(allow("s3:*", f"{BUCKET}/*")), policy(deny("s3:DeleteObject", f"{BUCKET}/raw/*"))]
    assert evaluate(policies, request("s3:DeleteObject", f"{BUCKET}/raw/a")) is Decision.EXPLICIT_DENY_IDENTITY
    assert evaluate(policies, request("s3:DeleteObject", f"{BUCKET}/parquet/a")) is Decision.ALLOWED


def test_an_allow_whose_condition_does_not_hold_does_not_apply_and_denies_nothing() -> None:
    # GIVEN ListBucket allowed twice, for two prefixes (moto turned the first unmet condition into a deny)
    policies = [
        policy(
            allow("s3:ListBucket", BUCKET, Condition={"StringLike": {"s3:prefix": "quarantine/*"}}),
            allow("s3:ListBucket", BUCKET, Condition={"StringLike": {"s3:prefix": ["manifests/*", "raw/*"]}}),
        )
    ]
    # THEN listing raw/ is allowed, listing parquet/ or without a prefix is implicitly denied
    assert evaluate(policies, request("s3:ListBucket", BUCKET, s3__prefix=["raw/2025/"])) is Decision.ALLOWED
    assert evaluate(policies, request("s3:ListBucket", BUCKET, s3__prefix=["parquet/"])) is Decision.IMPLICIT_DENY
    assert evaluate(policies, request("s3:ListBucket", BUCKET)) is Decision.IMPLICIT_DENY


def test_a_missing_key_fails_positive_operators_and_satisfies_negated_ones_and_if_exists() -> None:
    def allowed(condition: dict[str, Any], candidate: Request) -> bool:
        return evaluate([policy(allow("s3:ListBucket", BUCKET, Condition=condition))], candidate).allowed

    absent = request("s3:ListBucket", BUCKET)
    present = request("s3:ListBucket", BUCKET, s3__prefix=["y/"])
    assert not allowed({"StringEquals": {"s3:prefix": ""}}, absent)
    assert allowed({"StringNotLike": {"s3:prefix": "x*"}}, absent)
    assert allowed({"StringLikeIfExists": {"s3:prefix": "x*"}}, absent)
    assert not allowed({"StringLikeIfExists": {"s3:prefix": "x*"}}, present)
    assert allowed({"Null": {"s3:prefix": "true"}}, absent)
    assert not allowed({"Null": {"s3:prefix": "true"}}, present)


def test_the_tls_only_bucket_policy_denies_nothing_over_secure_transport() -> None:
    # GIVEN the template's bucket policy: deny s3:* when aws:SecureTransport is false
    bucket_policy = policy(
        {
            **deny("s3:*", [BUCKET, f"{BUCKET}/*"]),
            "Principal": "*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    )
    identity = [policy(allow("s3:GetObject", f"{BUCKET}/*"))]
    secure = request("s3:GetObject", f"{BUCKET}/a", aws__SecureTransport=["true"])
    insecure = request("s3:GetObject", f"{BUCKET}/a", aws__SecureTransport=["false"])
    assert evaluate(identity, secure, bucket_policy) is Decision.ALLOWED
    assert evaluate(identity, insecure, bucket_policy) is Decision.EXPLICIT_DENY_RESOURCE


def test_a_bucket_policy_naming_the_role_allows_its_sessions_in_the_same_account() -> None:
    bucket_policy = policy(
        {**allow("s3:GetObject", f"{BUCKET}/*"), "Principal": {"AWS": "arn:aws:iam::123456789012:role/flatten-role"}}
    )
    assert evaluate([], request("s3:GetObject", f"{BUCKET}/a"), bucket_policy) is Decision.ALLOWED
    other = policy({**allow("s3:GetObject", f"{BUCKET}/*"), "Principal": {"AWS": "arn:aws:iam::123456789012:role/x"}})
    assert evaluate([], request("s3:GetObject", f"{BUCKET}/a"), other) is Decision.IMPLICIT_DENY


def test_a_resource_policy_naming_a_service_admits_that_service_acting_for_the_named_source_only() -> None:
    # What SAM's AWS::Lambda::Permission adds to a function for an EventBridge rule
    rule = "arn:aws:events:us-east-1:123456789012:rule/notify"
    function = "arn:aws:lambda:us-east-1:123456789012:function:notifier"
    statement = {
        **allow("lambda:InvokeFunction", function),
        "Principal": {"Service": "events.amazonaws.com"},
        "Condition": {"ArnLike": {"AWS:SourceArn": rule}},
    }
    function_policy = policy(statement)

    def invoke(principal: str, source: str) -> Request:
        return Request(principal, "lambda:InvokeFunction", function, {"aws:SourceArn": [source]})

    assert evaluate([], invoke("events.amazonaws.com", rule), function_policy) is Decision.ALLOWED
    assert evaluate([], invoke("events.amazonaws.com", rule + "-other"), function_policy) is Decision.IMPLICIT_DENY
    assert evaluate([], invoke("sns.amazonaws.com", rule), function_policy) is Decision.IMPLICIT_DENY


def test_not_action_and_not_resource_apply_to_everything_else() -> None:
    policies = [policy({"Effect": "Allow", "NotAction": "s3:Delete*", "NotResource": f"{BUCKET}/raw/*"})]
    assert evaluate(policies, request("s3:PutObject", f"{BUCKET}/parquet/a")).allowed
    assert not evaluate(policies, request("s3:DeleteObject", f"{BUCKET}/parquet/a")).allowed
    assert not evaluate(policies, request("s3:PutObject", f"{BUCKET}/raw/a")).allowed


def test_arn_conditions_compare_segment_by_segment() -> None:
    condition = {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/flatten-*"}}
    policies = [policy(allow("s3:GetObject", "*", Condition=condition))]
    matching = request("s3:GetObject", "x", aws__PrincipalArn=["arn:aws:iam::123456789012:role/flatten-role"])
    other = request("s3:GetObject", "x", aws__PrincipalArn=["arn:aws:iam::123456789012:user/flatten-role"])
    assert evaluate(policies, matching).allowed
    assert not evaluate(policies, other).allowed


@pytest.mark.parametrize(
    ("qualifier", "values", "expected"),
    [
        ("ForAnyValue", ["a", "z"], True),
        ("ForAnyValue", ["z"], False),
        ("ForAllValues", ["a", "b"], True),
        ("ForAllValues", ["a", "z"], False),
        ("ForAllValues", [], True),  # no values: AWS says true
    ],
)
def test_set_qualifiers(qualifier: str, values: list[str], expected: bool) -> None:
    condition = {f"{qualifier}:StringEquals": {"aws:TagKeys": ["a", "b"]}}
    decision = evaluate(
        [policy(allow("s3:GetObject", "*", Condition=condition))], request("s3:GetObject", "x", aws__TagKeys=values)
    )
    assert decision.allowed is expected


def test_an_operator_it_does_not_know_is_refused_rather_than_ignored() -> None:
    policies = [policy(allow("s3:GetObject", "*", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))]
    with pytest.raises(UnsupportedPolicy, match="IpAddress"):
        evaluate(policies, request("s3:GetObject", "x", aws__SourceIp=["10.1.1.1"]))
