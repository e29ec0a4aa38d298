"""Security properties of template.yaml, read from the file itself (checkov runs on it too: `make checkov`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from embedded_aws.cfn_template import load_template

TEMPLATE = load_template(Path(__file__).resolve().parents[2] / "template.yaml")
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
# Actions IAM cannot scope to a resource: their statements must say Resource "*".
# https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html (log delivery), X-Ray PutTraceSegments etc.
UNSCOPABLE = {
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
}


def statements(node: Any = RESOURCES, where: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every IAM statement anywhere in the resources (inline policies, SAM Policies, bucket policy)."""
    if isinstance(node, dict):
        for statement in node.get("Statement", []) if isinstance(node.get("Statement"), list) else []:
            yield where, statement
        for key, value in node.items():
            yield from statements(value, f"{where}/{key}")
    elif isinstance(node, list):
        for item in node:
            yield from statements(item, where)


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


ALLOWS = [(where, s) for where, s in statements() if s["Effect"] == "Allow"]


def test_the_template_grants_something_so_these_checks_check_something() -> None:
    assert len(ALLOWS) >= 12


@pytest.mark.parametrize(("where", "statement"), ALLOWS, ids=[w for w, _ in ALLOWS])
def test_no_statement_allows_every_action_of_a_service(where: str, statement: dict[str, Any]) -> None:
    for action in as_list(statement.get("Action", [])):
        assert action != "*" and not action.endswith(":*"), f"{where}: {action}"


@pytest.mark.parametrize(("where", "statement"), ALLOWS, ids=[w for w, _ in ALLOWS])
def test_resource_star_only_for_actions_iam_cannot_scope(where: str, statement: dict[str, Any]) -> None:
    if "*" in as_list(statement.get("Resource", [])):
        assert set(as_list(statement["Action"])) <= UNSCOPABLE, where


def test_no_trust_policy_lets_anyone_assume_a_role() -> None:
    for name, resource in RESOURCES.items():
        if resource["Type"] == "AWS::IAM::Role":
            for statement in resource["Properties"]["AssumeRolePolicyDocument"]["Statement"]:
                assert "Service" in statement["Principal"], name


def test_the_bucket_blocks_public_access_and_encrypts_at_rest() -> None:
    bucket = RESOURCES["DataBucket"]["Properties"]
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    (rule,) = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms", "aws:kms:dsse")
    assert bucket["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]  # no ACLs


def test_the_bucket_denies_every_request_without_tls_on_the_bucket_and_its_objects() -> None:
    policy = RESOURCES["DataBucketPolicy"]["Properties"]
    assert policy["Bucket"] == {"Ref": "DataBucket"}
    denies = [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    assert any(
        s["Principal"] == "*"
        and s["Action"] in ("s3:*", "*")
        and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        and s["Resource"] == [{"Fn::GetAtt": ["DataBucket", "Arn"]}, {"Fn::Sub": "${DataBucket.Arn}/*"}]
        for s in denies
    )


def test_every_function_and_the_state_machine_log_to_a_group_with_retention() -> None:
    groups = {name: r["Properties"] for name, r in RESOURCES.items() if r["Type"] == "AWS::Logs::LogGroup"}
    assert all(g.get("RetentionInDays") == {"Ref": "LogRetentionDays"} for g in groups.values()), groups
    functions = [name for name, r in RESOURCES.items() if r["Type"] == "AWS::Serverless::Function"]
    assert len(functions) == 8
    for function in functions:
        # Lambda writes to /aws/lambda/<function name>: the template owns that group, so retention applies.
        assert {"LogGroupName": {"Fn::Sub": f"/aws/lambda/${{{function}}}"}}.items() <= groups[
            function.removesuffix("Function") + "LogGroup"
        ].items()
    for machine_name, group in [
        ("OrderPipelineStateMachine", "OrderPipelineLogGroup"),
        ("BackfillStateMachine", "BackfillLogGroup"),
    ]:
        machine = RESOURCES[machine_name]["Properties"]
        (destination,) = machine["Logging"]["Destinations"]
        target = destination["CloudWatchLogsLogGroup"]["LogGroupArn"]["Fn::GetAtt"]
        assert target == [group, "Arn"]


def test_the_notifier_reads_only_the_two_state_machines_executions_and_publishes_only_to_its_topic() -> None:
    # Execution ARNs are arn:…:execution:<state machine name>:<execution name>: each statement names one machine.
    function = RESOURCES["NotifyFailedExecutionFunction"]["Properties"]
    (policy,) = function["Policies"]
    reads, publish = policy["Statement"]
    assert reads["Action"] == ["states:DescribeExecution", "states:GetExecutionHistory"]
    pipeline, backfill = reads["Resource"]
    assert pipeline == {
        "Fn::Sub": "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:execution:"
        "${OrderPipelineStateMachine.Name}:*"
    }
    assert backfill["Fn::Sub"][0].endswith(":execution:backfill-${StackUuid}:*")
    assert publish == {"Effect": "Allow", "Action": "sns:Publish", "Resource": {"Ref": "NotificationTopic"}}
    # AND the AWS managed key of SNS needs no KMS statement; the dead-letter queue's, SAM adds (sqs:SendMessage)
    assert function["DeadLetterQueue"] == {
        "Type": "SQS",
        "TargetArn": {"Fn::GetAtt": ["NotificationDeadLetterQueue", "Arn"]},
    }


def test_the_notification_topic_is_encrypted_and_its_dead_letter_queue_admits_only_the_notifiers_rule() -> None:
    assert RESOURCES["NotificationTopic"]["Properties"]["KmsMasterKeyId"] == "alias/aws/sns"
    assert RESOURCES["NotificationDeadLetterQueue"]["Properties"]["SqsManagedSseEnabled"] is True
    (statement,) = RESOURCES["NotificationDeadLetterQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Action"] == "sqs:SendMessage"
    assert statement["Condition"] == {
        "ArnEquals": {
            "aws:SourceArn": [
                {"Fn::GetAtt": [f"NotifyFailedExecutionFunction{event}", "Arn"]}
                for event in ("ExecutionFailed", "BackfillSucceeded")
            ]
        }
    }
