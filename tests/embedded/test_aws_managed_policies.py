"""embedded_aws.aws_managed_policies: an AWS managed policy is created when first attached; unknown ARNs refused."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto.iam.aws_managed_policies import aws_managed_policies_data

from embedded_aws.server import EmbeddedAws

LAMBDA_BASIC_EXECUTION = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"


def attached(aws: Any, role_arn: str) -> list[str]:
    policies = aws.client("iam").list_attached_role_policies(RoleName=role_arn.rsplit("/", 1)[1])["AttachedPolicies"]
    return [policy["PolicyArn"] for policy in policies]


def test_known_aws_managed_policy_attaches_with_its_document(aws: Any) -> None:
    iam = aws.client("iam")
    # GIVEN a role on a fresh endpoint
    role_arn = aws.role()

    # WHEN an AWS managed policy moto's data lists is attached
    iam.attach_role_policy(RoleName=role_arn.rsplit("/", 1)[1], PolicyArn=LAMBDA_BASIC_EXECUTION)

    # THEN the role has it, and the policy holds AWS's document
    assert attached(aws, role_arn) == [LAMBDA_BASIC_EXECUTION]
    policy = iam.get_policy(PolicyArn=LAMBDA_BASIC_EXECUTION)["Policy"]
    assert (policy["PolicyName"], policy["Path"], policy["AttachmentCount"]) == (
        "AWSLambdaBasicExecutionRole",
        "/service-role/",
        1,
    )
    version = iam.get_policy_version(PolicyArn=LAMBDA_BASIC_EXECUTION, VersionId=policy["DefaultVersionId"])
    expected = json.loads(aws_managed_policies_data)["AWSLambdaBasicExecutionRole"]["Document"]
    assert version["PolicyVersion"]["Document"] == expected


@pytest.mark.parametrize(
    "policy_arn",
    [
        "arn:aws:iam::aws:policy/NoSuchManagedPolicy",
        # a known name under the wrong path is another ARN, unknown to AWS too
        "arn:aws:iam::aws:policy/AWSLambdaBasicExecutionRole",
    ],
    ids=["unknown-name", "known-name-wrong-path"],
)
def test_unknown_aws_managed_policy_is_no_such_entity(aws: Any, policy_arn: str) -> None:
    # GIVEN a role on a fresh endpoint
    role_arn = aws.role()

    # WHEN an AWS managed ARN that AWS does not have is attached
    with pytest.raises(ClientError) as refused:
        aws.client("iam").attach_role_policy(RoleName=role_arn.rsplit("/", 1)[1], PolicyArn=policy_arn)

    # THEN it is refused as AWS refuses it, and nothing is attached
    assert refused.value.response["Error"]["Code"] == "NoSuchEntity"
    assert attached(aws, role_arn) == []


def test_only_the_policies_used_exist_and_they_come_back_after_a_reset(embedded_aws: EmbeddedAws, aws: Any) -> None:
    iam = aws.client("iam")
    # GIVEN a policy attached once, then the endpoint reset
    iam.attach_role_policy(RoleName=aws.role().rsplit("/", 1)[1], PolicyArn=LAMBDA_BASIC_EXECUTION)
    assert [p["Arn"] for p in iam.list_policies(Scope="AWS")["Policies"]] == [LAMBDA_BASIC_EXECUTION]
    embedded_aws.reset()
    assert iam.list_policies(Scope="AWS")["Policies"] == []

    # WHEN it is attached to a role created after the reset
    role_arn = aws.role()
    iam.attach_role_policy(RoleName=role_arn.rsplit("/", 1)[1], PolicyArn=LAMBDA_BASIC_EXECUTION)

    # THEN it is attached again
    assert attached(aws, role_arn) == [LAMBDA_BASIC_EXECUTION]
