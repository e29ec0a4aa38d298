"""embedded_aws.lambda_async and eventbridge_targets' function targets: EventBridge invokes a function
asynchronously if the function's policy lets it; Lambda retries a failing call twice, then hands the event to the
function's dead-letter queue; what EventBridge cannot deliver goes to the target's dead-letter queue."""

from __future__ import annotations

import json
from typing import Any

import pytest
from moto.awslambda.models import lambda_backends

from embedded_aws import iam_enforcement, lambda_async, lambda_runtime
from embedded_aws.cfn_template import ACCOUNT_ID

# Sends each event it gets to the queue named by its environment, or fails when told to.
RECORDER = """
import json, os
import boto3

sqs = boto3.client("sqs")


def lambda_handler(event, context):
    if os.environ.get("FAIL"):
        raise RuntimeError("the notifier is down")
    sqs.send_message(QueueUrl=os.environ["QUEUE_URL"], MessageBody=json.dumps(event))
    return {"ok": True}
"""
PATTERN = {"source": ["my.app"], "detail-type": ["Order Placed"]}


def queue(aws: Any, name: str, policy_for_rule: str | None = None) -> tuple[str, str]:
    """A queue (URL, ARN); with `policy_for_rule`, a policy letting EventBridge send for that rule."""
    sqs = aws.client("sqs")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    if policy_for_rule:
        statement = {
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": arn,
            "Condition": {"ArnEquals": {"aws:SourceArn": policy_for_rule}},
        }
        policy = {"Version": "2012-10-17", "Statement": [statement]}
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    return url, arn


def messages(aws: Any, url: str) -> list[dict[str, Any]]:
    """Every message of the queue, once no asynchronous invocation is left in flight."""
    aws.wait_for(lambda: lambda_async.in_flight() == 0, timeout=30)
    return list(
        aws.client("sqs")
        .receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"])
        .get("Messages", [])
    )


def rule(aws: Any, function_arn: str, dead_letter_arn: str | None = None) -> str:
    events = aws.client("events")
    rule_arn: str = events.put_rule(Name="orders", EventPattern=json.dumps(PATTERN), State="ENABLED")["RuleArn"]
    target: dict[str, Any] = {"Id": "function", "Arn": function_arn}
    if dead_letter_arn:
        target["DeadLetterConfig"] = {"Arn": dead_letter_arn}
    events.put_targets(Rule="orders", Targets=[target])
    return rule_arn


def allow_rule(aws: Any, function_arn: str, rule_arn: str) -> None:
    """What SAM's AWS::Lambda::Permission for an EventBridgeRule event adds to the function's policy."""
    aws.client("lambda").add_permission(
        FunctionName=function_arn,
        StatementId="events",
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
        SourceArn=rule_arn,
    )


def put_event(aws: Any) -> None:
    entry = {"Source": "my.app", "DetailType": "Order Placed", "Detail": json.dumps({"order": 7})}
    assert aws.client("events").put_events(Entries=[entry])["FailedEntryCount"] == 0


def recorder(aws: Any, name: str, inbox_url: str, fail: bool = False, **options: Any) -> str:
    variables = {"QUEUE_URL": inbox_url, **({"FAIL": "1"} if fail else {})}
    arn = aws.function(name, {"app.py": RECORDER}, variables=variables, **options)
    return str(arn)


def test_a_rule_invokes_a_function_it_may_invoke_with_the_event_as_delivered(aws: Any) -> None:
    # GIVEN a function whose policy lets EventBridge invoke it for the rule
    inbox, _ = queue(aws, "inbox")
    function = recorder(aws, "recorder", inbox)
    allow_rule(aws, function, rule(aws, function))

    # WHEN a matching event is put
    put_event(aws)

    # THEN the function got the event once, its time in ISO-8601 as EventBridge delivers it
    (message,) = messages(aws, inbox)
    event = json.loads(message["Body"])
    assert (event["source"], event["detail"]) == ("my.app", {"order": 7})
    assert isinstance(event["time"], str) and event["time"].endswith("Z")


def test_without_a_permission_the_event_goes_to_the_targets_dead_letter_queue(aws: Any) -> None:
    if not iam_enforcement.is_enabled():
        pytest.skip("IAM enforcement is off (EMBEDDED_AWS_IAM=off): every invocation is allowed")
    # GIVEN a rule whose target has a dead-letter queue, on a function whose policy says nothing of the rule
    inbox, _ = queue(aws, "inbox")
    function = recorder(aws, "recorder", inbox)
    rule_arn = "arn:aws:events:us-east-1:123456789012:rule/orders"
    dead_letters, dead_letter_arn = queue(aws, "undelivered", policy_for_rule=rule_arn)
    assert rule(aws, function, dead_letter_arn) == rule_arn

    # WHEN a matching event is put
    put_event(aws)

    # THEN the function never ran, and the event is in the target's dead-letter queue, saying why (not retried)
    assert messages(aws, inbox) == []
    (message,) = messages(aws, dead_letters)
    assert json.loads(message["Body"])["detail"] == {"order": 7}
    attributes = {name: value["StringValue"] for name, value in message["MessageAttributes"].items()}
    assert attributes["ERROR_CODE"] == "NO_PERMISSIONS"
    assert (attributes["RULE_ARN"], attributes["TARGET_ARN"]) == (rule_arn, function)


def test_a_dead_letter_queue_that_does_not_admit_the_rule_gets_nothing(aws: Any) -> None:
    if not iam_enforcement.is_enabled():
        pytest.skip("IAM enforcement is off (EMBEDDED_AWS_IAM=off)")
    inbox, _ = queue(aws, "inbox")
    function = recorder(aws, "recorder", inbox)
    dead_letters, dead_letter_arn = queue(aws, "undelivered")  # no queue policy
    rule(aws, function, dead_letter_arn)

    put_event(aws)

    assert messages(aws, inbox) == [] and messages(aws, dead_letters) == []


def test_a_failing_function_is_tried_three_times_then_its_event_goes_to_its_dead_letter_queue(aws: Any) -> None:
    # GIVEN a function that always fails, with a dead-letter queue its role may send to
    inbox, _ = queue(aws, "inbox")
    dead_letters, dead_letter_arn = queue(aws, "failed-events")
    function = recorder(aws, "always-fails", inbox, fail=True)
    aws.client("lambda").update_function_configuration(
        FunctionName=function, DeadLetterConfig={"TargetArn": dead_letter_arn}
    )
    allow_rule(aws, function, rule(aws, function))
    calls_before = len(lambda_runtime.handler_seconds.get("always-fails", []))

    # WHEN a matching event is put
    put_event(aws)

    # THEN Lambda ran it three times (two retries) and put the event in the dead-letter queue, with the error
    (message,) = messages(aws, dead_letters)
    assert len(lambda_runtime.handler_seconds["always-fails"]) - calls_before == 3
    assert json.loads(message["Body"])["detail"] == {"order": 7}
    attributes = {name: value["StringValue"] for name, value in message["MessageAttributes"].items()}
    assert attributes["ErrorMessage"] == "the notifier is down"
    assert attributes["ErrorCode"] == "200" and attributes["RequestID"]
    # AND the function's configuration says where its failed events go (moto dropped it)
    configuration = aws.client("lambda").get_function_configuration(FunctionName=function)
    assert configuration["DeadLetterConfig"] == {"TargetArn": dead_letter_arn}


def test_maximum_retry_attempts_of_the_event_invoke_config_is_obeyed(aws: Any) -> None:
    inbox, _ = queue(aws, "inbox")
    dead_letters, dead_letter_arn = queue(aws, "failed-events")
    function = recorder(aws, "fails-once-only", inbox, fail=True)
    lambda_client = aws.client("lambda")
    lambda_client.update_function_configuration(FunctionName=function, DeadLetterConfig={"TargetArn": dead_letter_arn})
    lambda_client.put_function_event_invoke_config(FunctionName=function, MaximumRetryAttempts=0)
    allow_rule(aws, function, rule(aws, function))

    put_event(aws)

    assert len(messages(aws, dead_letters)) == 1
    assert len(lambda_runtime.handler_seconds["fails-once-only"]) == 1


def test_a_role_that_may_not_send_to_the_dead_letter_queue_loses_the_event(aws: Any) -> None:
    if not iam_enforcement.is_enabled():
        pytest.skip("IAM enforcement is off (EMBEDDED_AWS_IAM=off)")
    # GIVEN a failing function whose role may do nothing but log
    logs_only = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "logs:*", "Resource": "*"}]}
    role = aws.role(policy=logs_only)
    inbox, _ = queue(aws, "inbox")
    dead_letters, dead_letter_arn = queue(aws, "failed-events")
    function = recorder(aws, "no-dlq-rights", inbox, fail=True, role=role)
    aws.client("lambda").update_function_configuration(
        FunctionName=function, DeadLetterConfig={"TargetArn": dead_letter_arn}
    )
    allow_rule(aws, function, rule(aws, function))

    # WHEN its event fails every attempt / THEN Lambda cannot put it in the queue (the role decides, as on AWS)
    put_event(aws)

    assert messages(aws, dead_letters) == []


SLOW = """
import time


def lambda_handler(event, context):
    time.sleep(0.5)
    return {"ok": True}
"""


def test_forgetting_pending_work_waits_for_the_calls_already_running(aws: Any) -> None:
    # GIVEN an asynchronous call running (a reset would otherwise let it act on the next stack)
    aws.function("slow-async", {"app.py": SLOW})
    function = lambda_backends[ACCOUNT_ID]["us-east-1"].get_function("slow-async")
    lambda_async.invoke_async(function, {"n": 1})
    assert lambda_async.in_flight() == 1

    # WHEN pending work is forgotten (what a reset of the embedded AWS does first)
    lambda_async.forget_pending()

    # THEN it returns only once that call has ended
    assert lambda_async.in_flight() == 0
