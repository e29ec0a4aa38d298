"""Events delivered twice, late or out of order: the table ends with the newest version's rows, once.

S3 delivers events at least once and in no particular order. Here the pipeline's rule is switched off while
files are written, their events are caught by a probe queue, and the test delivers them itself: twice, at
once, or the older after the newer.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from orders_etl_cli.executions import wait_for
from support import Stack, order, product

KEY = "raw/order/file.json"
V1 = json.dumps([order("A", "2025-10-01", product("OLD", 1, 1)), order("B", "2025-10-02", product("OLD", 1, 1))])
V2 = json.dumps([order("A", "2025-10-01", product("NEW", 2, 1)), order("C", "2025-10-03", product("NEW", 2, 1))])


@pytest.fixture
def caught_events(stack: Stack) -> Iterator[Any]:
    """Pipeline rule off; returns a function that writes a body to KEY and returns the S3 event it caused."""
    events, sqs = stack.client("events"), stack.client("sqs")
    (rule,) = [r for r in events.list_rules()["Rules"] if "OrderPipeline" in r["Name"]]  # not the notifier's
    events.disable_rule(Name=rule["Name"])
    queue = sqs.create_queue(QueueName="caught-events")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pattern = {"source": ["aws.s3"], "detail-type": ["Object Created"], "detail": {"bucket": {"name": [stack.bucket]}}}
    events.put_rule(Name="catch", EventPattern=json.dumps(pattern), State="ENABLED")
    events.put_targets(Rule="catch", Targets=[{"Id": "queue", "Arn": queue_arn}])

    def write(body: str) -> dict[str, Any]:
        stack.client("s3").put_object(Bucket=stack.bucket, Key=KEY, Body=body.encode())
        (message,) = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
        sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
        event: dict[str, Any] = json.loads(message["Body"])
        return event

    yield write


def deliver(stack: Stack, *events: dict[str, Any]) -> list[dict[str, Any]]:
    """Start one execution per event, all at once, as EventBridge would; their descriptions once ended."""
    sfn = stack.client("stepfunctions")
    arns = [
        sfn.start_execution(stateMachineArn=stack.state_machine_arn, input=json.dumps(event))["executionArn"]
        for event in events
    ]
    return wait_for(sfn, arns, timeout=60)


def rows(stack: Stack) -> list[tuple[Any, ...]]:
    return stack.query("SELECT order_id, product_id FROM orders ORDER BY 1")


NEWEST = [("A", "NEW"), ("C", "NEW")]


def sequencer(event: dict[str, Any]) -> str:
    return str(event["detail"]["object"]["sequencer"])


def written_before(first: dict[str, Any], second: dict[str, Any]) -> bool:
    """AWS's rule: right-pad the shorter sequencer with zeros, then compare as text."""
    a, b = sequencer(first), sequencer(second)
    width = max(len(a), len(b))
    return a.ljust(width, "0") < b.ljust(width, "0")


def test_the_same_event_twice_at_once_and_again_later_gives_the_rows_once(stack: Stack, caught_events: Any) -> None:
    event = caught_events(V2)
    assert [e["status"] for e in deliver(stack, event, event)] == ["SUCCEEDED", "SUCCEEDED"]
    assert rows(stack) == NEWEST
    assert [e["status"] for e in deliver(stack, event)] == ["SUCCEEDED"]
    assert rows(stack) == NEWEST


def test_an_older_version_s_event_arriving_after_the_newer_one_changes_nothing(
    stack: Stack, caught_events: Any
) -> None:
    # GIVEN two versions of a file written one after the other
    old, new = caught_events(V1), caught_events(V2)
    assert written_before(old, new)

    # WHEN the newer version's event is processed first, then the older one's
    (first,) = deliver(stack, new)
    (late,) = deliver(stack, old)

    # THEN the late execution succeeds without publishing, and the table holds the newest version once
    assert (first["status"], late["status"]) == ("SUCCEEDED", "SUCCEEDED")
    assert json.loads(late["output"])["flatten"]["superseded"] is True
    assert rows(stack) == NEWEST


def test_two_versions_processed_at_once_leave_the_newer_one(stack: Stack, caught_events: Any) -> None:
    old, new = caught_events(V1), caught_events(V2)
    assert {e["status"] for e in deliver(stack, new, old)} == {"SUCCEEDED"}
    assert rows(stack) == NEWEST
    # AND no Parquet object of the older version is left behind
    assert all(sequencer(new) in key for key in stack.keys("parquet_files/"))


def test_a_bad_older_version_is_quarantined_without_touching_the_good_newer_one(
    stack: Stack, caught_events: Any
) -> None:
    old, new = caught_events("not json"), caught_events(V2)
    deliver(stack, new)
    (late,) = deliver(stack, old)
    assert late["status"] == "FAILED"
    # the bad version is in quarantine, the good one still in raw/ and in the table
    assert stack.get("quarantine/order/file.json") == b"not json"
    assert stack.get(KEY) == V2.encode()
    assert rows(stack) == NEWEST


def test_a_newer_version_with_a_shorter_sequencer_replaces_the_older_rows(stack: Stack, caught_events: Any) -> None:
    # GIVEN two versions written one after the other, the newer one's sequencer shorter than the older one's
    # (S3's sequencers vary in length; the embedded AWS's do too, so a few writes give such a pair)
    for _ in range(6):
        old, new = caught_events(V1), caught_events(V2)
        if len(sequencer(new)) < len(sequencer(old)):
            break
    assert len(sequencer(new)) < len(sequencer(old)) and written_before(old, new)
    assert int(sequencer(new), 16) < int(sequencer(old), 16)  # as numbers they compare the other way round

    # WHEN the older version is published first, then the newer one
    (first,) = deliver(stack, old)
    (second,) = deliver(stack, new)

    # THEN the newer version is published (not taken for an older one) and its rows replace the older ones
    assert (first["status"], second["status"]) == ("SUCCEEDED", "SUCCEEDED")
    assert json.loads(second["output"])["flatten"]["superseded"] is False
    assert rows(stack) == NEWEST
