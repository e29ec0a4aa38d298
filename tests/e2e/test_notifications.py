"""Notifications end to end: one message on the stack's topic per quarantined file and per failed execution, none
for a file that lands. The topic is read the way a subscriber reads it: an SQS queue subscribed to it."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from embedded_aws import execution_events, lambda_async
from embedded_aws.faults import FaultInjector
from support import Cli, Stack, order, product

TERMINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}
GOOD = json.dumps([order("N-1", "2025-06-01", product("P", 2.5, 2))]).encode()
BAD = json.dumps([order("N-2", "2025-06-01", product("P", "2.50", 1))]).encode()  # a price as a string


def wait_until(condition: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    """Poll until `condition()` is truthy; a deadline only so that a broken pipeline fails instead of hanging."""
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout} s")
        time.sleep(0.02)
    return result


@dataclass
class Inbox:
    """A queue subscribed to the notification topic (as an operator's tooling would subscribe)."""

    stack: Stack
    url: str

    def read_after(self, execution: dict[str, Any]) -> list[dict[str, Any]]:
        """Every notification once the execution's end has been announced and the notifier has done with it."""

        def settled() -> bool:
            sent = execution_events.statuses_sent(execution["executionArn"])
            return bool(sent) and sent[-1] in TERMINAL and lambda_async.in_flight() == 0

        wait_until(settled, f"the end of {execution['name']} and its notification")
        return self.drain()

    def drain(self) -> list[dict[str, Any]]:
        sqs, messages = self.stack.client("sqs"), []
        while batch := sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get("Messages", []):
            for message in batch:
                messages.append(json.loads(message["Body"]))  # SNS's envelope: Subject, Message, TopicArn...
                sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
        return messages


@pytest.fixture
def inbox(stack: Stack) -> Inbox:
    sqs, topic = stack.client("sqs"), stack.outputs["NotificationTopicArn"]
    url = sqs.create_queue(QueueName="notification-inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    policy = {  # what SNS needs to deliver to a queue (SNS docs: subscribing an Amazon SQS queue to a topic)
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "sns.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": topic}},
            }
        ],
    }
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    stack.client("sns").subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    return Inbox(stack, url)


def test_a_quarantined_file_sends_one_message_naming_the_file_its_error_and_its_report(
    stack: Stack, inbox: Inbox
) -> None:
    # GIVEN a file with a price written as a string
    # WHEN it is uploaded and the pipeline rejects it
    (execution,) = stack.run({"raw/notify/bad_orders.json": BAD})
    assert execution["status"] == "FAILED"

    # THEN exactly one message arrives, about the quarantine, not about a failure to redrive
    (message,) = inbox.read_after(execution)
    print(f"Subject: {message['Subject']}\n{message['Message']}")  # the README shows this one
    assert message["Subject"] == "orders-etl: order file quarantined: raw/notify/bad_orders.json"
    body = message["Message"]
    report = "quarantine/notify/bad_orders.json.error.json"
    assert stack.keys("quarantine/notify/") == ["quarantine/notify/bad_orders.json", report]
    for expected in (
        f"s3://{stack.bucket}/raw/notify/bad_orders.json",
        "InvalidOrderFile",
        '$[0].products[0].price "price"',
        f"s3://{stack.bucket}/{report}",
        execution["executionArn"],
        "orders-etl quarantine replay quarantine/notify/bad_orders.json",
    ):
        assert expected in body
    assert "redrive" not in body


def test_a_failed_execution_sends_one_message_naming_the_state_the_error_and_the_redrive(
    stack: Stack, inbox: Inbox, fault_injector: FaultInjector
) -> None:
    # GIVEN Flatten fails with a system error that no Retry covers
    fault_injector.fail("FlattenOrders", "ConnectionResetError")

    # WHEN a good file is uploaded
    (execution,) = stack.run({"raw/notify/good_orders.json": GOOD})
    assert execution["status"] == "FAILED"

    # THEN exactly one message arrives, naming the state, the error and the command that redrives it
    (message,) = inbox.read_after(execution)
    print(f"Subject: {message['Subject']}\n{message['Message']}")  # the README shows this one
    assert message["Subject"] == ("orders-etl: pipeline execution FAILED in Flatten to Parquet: ConnectionResetError")
    body = message["Message"]
    for expected in (
        "failed state   Flatten to Parquet",
        "error          ConnectionResetError",
        f"s3://{stack.bucket}/raw/notify/good_orders.json",
        f"orders-etl executions redrive {execution['name']}",
        "injected fault",  # the cause: the exception's message
    ):
        assert expected in body

    # AND WHEN the cause is fixed and the execution redriven, it succeeds and sends nothing more
    fault_injector.clear()
    sfn = stack.client("stepfunctions")
    sfn.redrive_execution(executionArn=execution["executionArn"])
    (redriven,) = stack.wait_for([execution["executionArn"]])
    assert redriven["status"] == "SUCCEEDED"
    assert inbox.read_after(execution) == []
    assert execution_events.statuses_sent(execution["executionArn"]) == ["RUNNING", "FAILED", "RUNNING", "SUCCEEDED"]


def test_a_file_that_lands_sends_nothing(stack: Stack, inbox: Inbox) -> None:
    # GIVEN / WHEN a good file goes through the whole pipeline
    (execution,) = stack.run({"raw/notify/fine.json": GOOD})

    # THEN the execution's end is announced and no message is sent
    assert execution["status"] == "SUCCEEDED"
    assert inbox.read_after(execution) == []


def test_a_notification_that_cannot_be_sent_lands_in_the_dead_letter_queue(
    stack: Stack, inbox: Inbox, fault_injector: FaultInjector
) -> None:
    # GIVEN the notifier itself fails (SNS unreachable, say) on every attempt
    fault_injector.fail("NotifyFailedExecution", "EndpointConnectionError")

    # WHEN a file is rejected
    (execution,) = stack.run({"raw/notify/bad_again.json": BAD})

    # THEN Lambda tried three times (its two retries), no message went out, and the event is in the dead-letter
    # queue with the error, for an operator to see and replay
    assert inbox.read_after(execution) == []
    assert fault_injector.injected["orders-etl-NotifyFailedExecutionFunction"] == 3
    sqs = stack.client("sqs")
    dead_letters = sqs.receive_message(
        QueueUrl=stack.outputs["NotificationDeadLetterQueueUrl"], MessageAttributeNames=["All"], MaxNumberOfMessages=10
    )["Messages"]
    (dead_letter,) = dead_letters
    event = json.loads(dead_letter["Body"])
    assert (event["source"], event["detail-type"]) == ("aws.states", "Step Functions Execution Status Change")
    assert event["detail"]["executionArn"] == execution["executionArn"]
    assert event["detail"]["status"] == "FAILED"
    assert "injected fault" in dead_letter["MessageAttributes"]["ErrorMessage"]["StringValue"]


def test_a_backfill_sends_one_message_for_the_files_it_left_behind_and_none_when_it_left_none(
    stack: Stack, inbox: Inbox, cli: Cli
) -> None:
    # GIVEN files already in raw/, two of them bad, which the per-file pipeline never saw
    stack.pause_pipeline()
    stack.upload({f"raw/notify-backfill/good-{i}.json": GOOD for i in range(3)})
    stack.upload({"raw/notify-backfill/bad-1.json": BAD, "raw/notify-backfill/bad-2.json": BAD})

    # WHEN they are backfilled
    code, out, err = cli("backfill", "--prefix", "notify-backfill/", "--wait")
    assert code == 0, out + err
    (backfill,) = stack.client("stepfunctions").list_executions(
        stateMachineArn=stack.outputs["BackfillStateMachineArn"]
    )["executions"]

    # THEN one message says what the backfill left behind (not one per file), with its report
    (message,) = inbox.read_after(backfill)
    assert message["Subject"] == f"orders-etl: backfill left 2 quarantined, 0 failed: {backfill['name']}"
    assert f"reports/backfills/{backfill['name']}/summary.json" in message["Message"]

    # AND a backfill that leaves nothing behind sends nothing
    code, out, err = cli("backfill", "--prefix", "notify-backfill/good-", "--wait")
    assert code == 0, out + err
    second = next(
        e
        for e in stack.client("stepfunctions").list_executions(
            stateMachineArn=stack.outputs["BackfillStateMachineArn"]
        )["executions"]
        if e["executionArn"] != backfill["executionArn"]
    )
    assert inbox.read_after(second) == []
