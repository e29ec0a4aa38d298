"""embedded_aws.eventbridge_targets: EventBridge rules start Step Functions executions with the event as input."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from embedded_aws import iam_enforcement

PASS_MACHINE = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}
BUCKET = "eventbridge-target-test"


def add_rule(aws: Any, name: str, pattern: dict[str, Any], targets: list[dict[str, Any]]) -> None:
    events = aws.client("events")
    events.put_rule(Name=name, EventPattern=json.dumps(pattern), State="ENABLED")
    events.put_targets(Rule=name, Targets=targets)


def execution_inputs(aws: Any, machine: str, count: int) -> list[dict[str, Any]]:
    """The inputs of the machine's executions once there are `count` of them (fails after a 5 s deadline)."""
    sfn = aws.client("stepfunctions")
    executions = aws.wait_for(lambda: (found := aws.executions(machine)) and len(found) >= count and found)
    return [json.loads(sfn.describe_execution(executionArn=e["executionArn"])["input"]) for e in executions]


@pytest.fixture
def machine(aws: Any) -> str:
    return str(aws.state_machine("pass-through", PASS_MACHINE))


@pytest.fixture
def app_rule(aws: Any, machine: str) -> None:
    role = aws.role("events.amazonaws.com")
    pattern = {"source": ["my.app"], "detail-type": ["Order Placed"], "detail": {"kind": ["book"]}}
    add_rule(aws, "orders-to-machine", pattern, [{"Id": "machine", "Arn": machine, "RoleArn": role}])


def put_event(aws: Any, detail: dict[str, Any], **extra: Any) -> None:
    entry = {"Source": "my.app", "DetailType": "Order Placed", "Detail": json.dumps(detail), **extra}
    response = aws.client("events").put_events(Entries=[entry])
    assert response["FailedEntryCount"] == 0


def test_matching_event_starts_one_execution_with_the_event_as_input(aws: Any, machine: str, app_rule: None) -> None:
    # GIVEN a rule matching detail.kind == book that targets a state machine
    # WHEN a matching event is put
    before = datetime.now(UTC).replace(microsecond=0)
    put_event(aws, {"kind": "book", "order_id": "o-1"})

    # THEN exactly one execution started, whose input is the EventBridge event
    (document,) = execution_inputs(aws, machine, 1)
    assert document["source"] == "my.app"
    assert document["detail-type"] == "Order Placed"
    assert document["detail"] == {"kind": "book", "order_id": "o-1"}
    assert document["region"] == "us-east-1"
    # AND its time is ISO-8601, as EventBridge delivers it (moto keeps a Unix timestamp)
    assert isinstance(document["time"], str)
    sent = datetime.strptime(document["time"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert before - timedelta(seconds=5) <= sent <= datetime.now(UTC) + timedelta(seconds=5)


def test_explicit_event_time_is_delivered_as_iso_8601(aws: Any, machine: str, app_rule: None) -> None:
    # GIVEN an event put with its own Time
    # WHEN it matches the rule
    put_event(aws, {"kind": "book"}, Time=datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC))

    # THEN the execution input carries that time in ISO-8601
    (document,) = execution_inputs(aws, machine, 1)
    assert document["time"] == "2025-01-02T03:04:05Z"


def test_non_matching_event_starts_no_execution(aws: Any, machine: str, app_rule: None) -> None:
    # GIVEN the rule on detail.kind == book
    # WHEN a non-matching event is put, then a matching one
    put_event(aws, {"kind": "toy", "order_id": "not-me"})
    put_event(aws, {"kind": "book", "order_id": "me"})

    # THEN only the matching one started an execution (events are delivered in order, synchronously)
    documents = execution_inputs(aws, machine, 1)
    assert [d["detail"]["order_id"] for d in documents] == ["me"]


def test_other_targets_of_the_rule_keep_moto_behaviour(aws: Any, machine: str) -> None:
    # GIVEN a rule with a state machine target and an SQS queue target
    sqs = aws.client("sqs")
    queue_url = sqs.create_queue(QueueName="rule-target")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    targets = [{"Id": "machine", "Arn": machine, "RoleArn": aws.role("events.amazonaws.com")}]
    add_rule(aws, "two-targets", {"source": ["my.app"]}, [*targets, {"Id": "queue", "Arn": queue_arn}])

    # WHEN a matching event is put
    put_event(aws, {"kind": "book", "order_id": "o-2"})

    # THEN the state machine started AND the queue received the event
    (document,) = execution_inputs(aws, machine, 1)
    assert document["detail"]["order_id"] == "o-2"
    messages = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=0).get("Messages", [])
    assert [json.loads(m["Body"])["detail"]["order_id"] for m in messages] == ["o-2"]


@pytest.fixture
def s3_rule(aws: Any, machine: str) -> None:
    s3 = aws.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_notification_configuration(Bucket=BUCKET, NotificationConfiguration={"EventBridgeConfiguration": {}})
    pattern = {
        "source": ["aws.s3"],
        "detail-type": ["Object Created"],
        "detail": {"bucket": {"name": [BUCKET]}, "object": {"key": [{"wildcard": "raw/*.json"}]}},
    }
    add_rule(
        aws, "s3-to-machine", pattern, [{"Id": "machine", "Arn": machine, "RoleArn": aws.role("events.amazonaws.com")}]
    )


def test_s3_object_created_starts_execution_with_the_key(aws: Any, machine: str, s3_rule: None) -> None:
    # GIVEN a bucket sending its events to EventBridge and a rule on raw/*.json in it
    # WHEN a matching object is put
    aws.client("s3").put_object(Bucket=BUCKET, Key="raw/2025/orders.json", Body=b"[]")

    # THEN one execution started with the S3 event as input
    (document,) = execution_inputs(aws, machine, 1)
    assert document["source"] == "aws.s3"
    assert document["detail-type"] == "Object Created"
    assert document["detail"]["bucket"]["name"] == BUCKET
    assert document["detail"]["object"]["key"] == "raw/2025/orders.json"
    assert datetime.strptime(document["time"], "%Y-%m-%dT%H:%M:%SZ")


def test_s3_key_outside_the_wildcard_starts_no_execution(aws: Any, machine: str, s3_rule: None) -> None:
    # GIVEN the rule on raw/*.json
    s3 = aws.client("s3")
    # WHEN objects outside the wildcard are put, then one inside it
    s3.put_object(Bucket=BUCKET, Key="raw/orders.csv", Body=b"x")
    s3.put_object(Bucket=BUCKET, Key="parquet/orders.json", Body=b"x")
    s3.put_object(Bucket=BUCKET, Key="raw/inside.json", Body=b"[]")

    # THEN only the one inside the wildcard started an execution
    documents = execution_inputs(aws, machine, 1)
    assert [d["detail"]["object"]["key"] for d in documents] == ["raw/inside.json"]


def test_a_disabled_rule_starts_nothing_until_enabled_again(aws: Any, machine: str, app_rule: None) -> None:
    # GIVEN the rule is disabled (moto would still deliver to it)
    aws.client("events").disable_rule(Name="orders-to-machine")
    # WHEN a matching event is put, THEN no execution starts
    put_event(aws, {"kind": "book", "order_id": "while-disabled"})
    # AND once enabled again, the next matching event starts one (so the first was not merely late)
    aws.client("events").enable_rule(Name="orders-to-machine")
    put_event(aws, {"kind": "book", "order_id": "after"})
    (document,) = execution_inputs(aws, machine, 1)
    assert document["detail"]["order_id"] == "after"
    assert len(aws.executions(machine)) == 1


@pytest.mark.parametrize(
    ("trusted", "allowed_action"),
    [("events.amazonaws.com", "states:DescribeExecution"), ("states.amazonaws.com", "states:StartExecution")],
    ids=["role may not start it", "events may not assume the role"],
)
def test_a_target_role_that_may_not_start_the_state_machine_starts_nothing(
    aws: Any, machine: str, trusted: str, allowed_action: str, caplog: pytest.LogCaptureFixture
) -> None:
    # GIVEN IAM enforced, and a rule whose target role is not fit to start the machine
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": allowed_action, "Resource": "*"}]}
    pattern = {"source": ["my.app"], "detail-type": ["Order Placed"]}
    add_rule(
        aws, "unfit-role", pattern, [{"Id": "machine", "Arn": machine, "RoleArn": aws.role(trusted, policy=policy)}]
    )
    was = iam_enforcement.is_enabled()
    iam_enforcement.set_enabled(True)
    try:
        # WHEN a matching event is put
        put_event(aws, {"kind": "book"})
    finally:
        iam_enforcement.set_enabled(was)
    # THEN no execution starts (on AWS: a failed invocation), and the reason is logged
    assert aws.executions(machine) == []
    assert "could not start" in caplog.text
    assert "not authorized to perform: states:StartExecution" in caplog.text or "cannot assume" in caplog.text
