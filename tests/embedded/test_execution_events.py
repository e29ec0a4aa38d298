"""embedded_aws.execution_events: Standard executions announce their status changes on the default event bus, with
the fields AWS documents (and no error or cause), to rules matched like any other event."""

from __future__ import annotations

import json
from typing import Any

import pytest

from embedded_aws import execution_events

DETAIL_FIELDS = {
    "executionArn",
    "stateMachineArn",
    "name",
    "status",
    "startDate",
    "stopDate",
    "input",
    "inputDetails",
    "output",
    "outputDetails",
}
PASS = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "Result": {"ok": True}, "End": True}}}
FAIL = {"StartAt": "Broken", "States": {"Broken": {"Type": "Fail", "Error": "Broken", "Cause": "on purpose"}}}
WAIT = {"StartAt": "Wait", "States": {"Wait": {"Type": "Wait", "Seconds": 100, "End": True}}}
TERMINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}


@pytest.fixture
def caught(aws: Any) -> Any:
    """A rule catching every status change of Step Functions into a queue; returns a reader of its events."""
    sqs, events = aws.client("sqs"), aws.client("events")
    url = sqs.create_queue(QueueName="status-changes")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pattern = {"source": ["aws.states"], "detail-type": ["Step Functions Execution Status Change"]}
    events.put_rule(Name="status-changes", EventPattern=json.dumps(pattern), State="ENABLED")
    events.put_targets(Rule="status-changes", Targets=[{"Id": "queue", "Arn": queue_arn}])

    def read(execution_arn: str) -> list[dict[str, Any]]:
        """The execution's events, once its end has been announced."""
        aws.wait_for(lambda: set(execution_events.statuses_sent(execution_arn)) & TERMINAL)
        found = []
        while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            for message in batch:
                found.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return [event for event in found if event["detail"]["executionArn"] == execution_arn]

    return read


def test_an_execution_announces_its_start_and_its_end_with_the_documented_fields(aws: Any, caught: Any) -> None:
    # GIVEN a Standard state machine / WHEN an execution runs to its end
    machine = aws.state_machine("passes", PASS)
    described = aws.run_to_end(machine, {"order": 1})

    # THEN two events: RUNNING, then SUCCEEDED, each with exactly the documented detail fields
    running, succeeded = caught(described["executionArn"])
    for event in (running, succeeded):
        assert (event["source"], event["detail-type"]) == ("aws.states", "Step Functions Execution Status Change")
        assert (event["account"], event["region"]) == ("123456789012", "us-east-1")
        assert event["resources"] == [described["executionArn"]]
        assert set(event["detail"]) == DETAIL_FIELDS
        detail = event["detail"]
        assert (detail["stateMachineArn"], detail["name"]) == (machine, described["name"])
        assert detail["input"] == '{"order":1}' and detail["inputDetails"] == {"included": True}
        assert detail["startDate"] == int(described["startDate"].timestamp() * 1000)
    assert running["detail"]["status"] == "RUNNING"
    assert (running["detail"]["stopDate"], running["detail"]["output"], running["detail"]["outputDetails"]) == (
        None,
        None,
        None,
    )
    assert succeeded["detail"]["status"] == "SUCCEEDED"
    assert succeeded["detail"]["stopDate"] == int(described["stopDate"].timestamp() * 1000)
    assert json.loads(succeeded["detail"]["output"]) == {"ok": True}
    assert succeeded["detail"]["outputDetails"] == {"included": True}


def test_a_failed_execution_says_failed_and_carries_no_error_or_cause(aws: Any, caught: Any) -> None:
    described = aws.run_to_end(aws.state_machine("fails", FAIL), {})
    assert (described["status"], described["error"]) == ("FAILED", "Broken")

    _, failed = caught(described["executionArn"])

    # As on AWS: what went wrong is for DescribeExecution and the history, not for the event
    assert failed["detail"]["status"] == "FAILED"
    assert set(failed["detail"]) == DETAIL_FIELDS
    assert (failed["detail"]["output"], failed["detail"]["outputDetails"]) == (None, None)
    assert "on purpose" not in json.dumps(failed)


def test_a_stopped_execution_announces_aborted(aws: Any, caught: Any) -> None:
    sfn = aws.client("stepfunctions")
    arn = sfn.start_execution(stateMachineArn=aws.state_machine("waits", WAIT), input="{}")["executionArn"]
    aws.wait_for(lambda: execution_events.statuses_sent(arn) == ["RUNNING"])

    sfn.stop_execution(executionArn=arn, error="Operator", cause="not needed")

    assert [event["detail"]["status"] for event in caught(arn)] == ["RUNNING", "ABORTED"]


def test_a_redriven_execution_announces_running_again_then_its_new_end(aws: Any, caught: Any) -> None:
    # GIVEN an execution that failed in a task whose function fails once
    task = {"Type": "Task", "Resource": aws.flaky_function(), "End": True}
    machine = aws.state_machine("flaky", {"StartAt": "Call", "States": {"Call": task}})
    described = aws.run_to_end(machine, {"failures": 1})
    assert described["status"] == "FAILED"
    assert [event["detail"]["status"] for event in caught(described["executionArn"])] == ["RUNNING", "FAILED"]

    # WHEN it is redriven
    aws.client("stepfunctions").redrive_execution(executionArn=described["executionArn"])
    aws.wait_for(lambda: execution_events.statuses_sent(described["executionArn"])[-1] == "SUCCEEDED")

    # THEN it announces RUNNING again, then SUCCEEDED
    assert [event["detail"]["status"] for event in caught(described["executionArn"])] == ["RUNNING", "SUCCEEDED"]


def test_an_express_execution_announces_nothing(aws: Any, caught: Any) -> None:
    sfn = aws.client("stepfunctions")
    machine = sfn.create_state_machine(
        name="express", definition=json.dumps(PASS), roleArn=aws.role("states.amazonaws.com"), type="EXPRESS"
    )["stateMachineArn"]
    # A Standard execution after it, to know when the express one would have been announced
    arn = sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]
    aws.run_to_end(aws.state_machine("after", PASS), {})

    assert execution_events.statuses_sent(arn) == []


def test_an_input_too_large_for_the_event_is_left_out_and_said_so(aws: Any, caught: Any) -> None:
    # GIVEN an input whose escaped JSON passes 248 KB (StartExecution takes up to 256 KiB)
    big = {"text": "x" * (250 * 1024)}
    described = aws.run_to_end(
        aws.state_machine("big", {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}), big
    )

    running, succeeded = caught(described["executionArn"])

    # THEN the events leave out the input, and the output too (the same document, past the limit alone)
    assert running["detail"]["input"] is None and running["detail"]["inputDetails"] == {"included": False}
    assert succeeded["detail"]["output"] is None and succeeded["detail"]["outputDetails"] == {"included": False}
    assert succeeded["detail"]["input"] is None
