"""embedded_aws.redrive: RedriveExecution resumes a failed execution where it stopped, as on AWS."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError


def flaky_machine(aws: Any) -> str:
    function_arn = aws.flaky_function()
    definition = {
        "StartAt": "Before",
        "States": {
            "Before": {"Type": "Pass", "Result": "ran", "ResultPath": "$.before", "Next": "Call flaky"},
            "Call flaky": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": function_arn, "Payload.$": "$"},
                "ResultSelector": {"calls.$": "$.Payload.calls"},
                "ResultPath": "$.flaky",
                "Next": "After",
            },
            "After": {"Type": "Pass", "End": True},
        },
    }
    return str(aws.state_machine("redrivable", definition))


def history(aws: Any, execution_arn: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = aws.client("stepfunctions").get_execution_history(
        executionArn=execution_arn, maxResults=1000
    )["events"]
    return events


def entered(events: list[dict[str, Any]]) -> list[str]:
    return [e["stateEnteredEventDetails"]["name"] for e in events if e["type"].endswith("StateEntered")]


def redrive_and_wait(aws: Any, execution_arn: str) -> dict[str, Any]:
    sfn = aws.client("stepfunctions")
    assert "redriveDate" in sfn.redrive_execution(executionArn=execution_arn)

    def ended() -> dict[str, Any] | None:
        described: dict[str, Any] = sfn.describe_execution(executionArn=execution_arn)
        return None if described["status"] == "RUNNING" else described

    return dict(aws.wait_for(ended))


def test_redrive_resumes_at_the_failed_state_with_its_input_and_keeps_the_history(aws: Any) -> None:
    # GIVEN an execution that failed at its second state
    sfn = aws.client("stepfunctions")
    failed = aws.run_to_end(flaky_machine(aws), {"failures": 1})
    assert (failed["status"], failed["error"]) == ("FAILED", "Flaky")
    described = sfn.describe_execution(executionArn=failed["executionArn"])
    assert (described["redriveStatus"], described["redriveCount"]) == ("REDRIVABLE", 0)

    # WHEN it is redriven
    redriven = redrive_and_wait(aws, failed["executionArn"])

    # THEN it succeeds from that state, with the input that state had (the first state's result is still there)
    assert redriven["status"] == "SUCCEEDED", redriven.get("cause")
    assert json.loads(redriven["output"]) == {"failures": 1, "before": "ran", "flaky": {"calls": 2}}
    assert "error" not in redriven and redriven["executionArn"] == failed["executionArn"]
    # AND the state that had succeeded did not run again; the history goes on in the same execution
    events = history(aws, failed["executionArn"])
    assert entered(events) == ["Before", "Call flaky", "Call flaky", "After"]
    kinds = [e["type"] for e in events]
    assert kinds.index("ExecutionFailed") < kinds.index("ExecutionRedriven") < kinds.index("ExecutionSucceeded")
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))
    redriven_event = events[kinds.index("ExecutionRedriven")]
    assert redriven_event["executionRedrivenEventDetails"] == {"redriveCount": 1}
    # AND DescribeExecution counts the redrive and says a succeeded execution cannot be redriven again
    assert redriven["redriveCount"] == 1 and "redriveDate" in redriven
    assert redriven["redriveStatus"] == "NOT_REDRIVABLE"
    assert redriven["redriveStatusReason"] == "Execution is SUCCEEDED and cannot be redriven"
    with pytest.raises(ClientError) as refused:
        sfn.redrive_execution(executionArn=failed["executionArn"])
    assert refused.value.response["Error"]["Code"] == "ExecutionNotRedrivable"


def test_an_execution_that_fails_again_can_be_redriven_again(aws: Any) -> None:
    failed = aws.run_to_end(flaky_machine(aws), {"failures": 2})
    again = redrive_and_wait(aws, failed["executionArn"])
    assert (again["status"], again["error"], again["redriveCount"], again["redriveStatus"]) == (
        "FAILED",
        "Flaky",
        1,
        "REDRIVABLE",
    )
    finally_ = redrive_and_wait(aws, failed["executionArn"])
    assert (finally_["status"], finally_["redriveCount"]) == ("SUCCEEDED", 2)
    assert entered(history(aws, failed["executionArn"])) == ["Before", *["Call flaky"] * 3, "After"]


def test_a_running_execution_cannot_be_redriven(aws: Any) -> None:
    machine = aws.state_machine(
        "waits", {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 300, "End": True}}}
    )
    sfn = aws.client("stepfunctions")
    execution_arn = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    described = sfn.describe_execution(executionArn=execution_arn)
    assert described["redriveStatus"] == "NOT_REDRIVABLE"
    with pytest.raises(ClientError) as refused:
        sfn.redrive_execution(executionArn=execution_arn)
    assert refused.value.response["Error"]["Code"] == "ExecutionNotRedrivable"
    assert "RUNNING" in refused.value.response["Error"]["Message"]
    sfn.stop_execution(executionArn=execution_arn)


def test_a_failed_express_execution_cannot_be_redriven(aws: Any) -> None:
    # GIVEN a failed execution of an EXPRESS state machine (AWS: "not supported by EXPRESS state machines")
    sfn = aws.client("stepfunctions")
    machine = sfn.create_state_machine(
        name="express-fails",
        definition=json.dumps({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom"}}}),
        roleArn=aws.role("states.amazonaws.com"),
        type="EXPRESS",
    )["stateMachineArn"]
    failed = aws.run_to_end(machine, {})
    assert failed["status"] == "FAILED"
    # WHEN it is redriven THEN Step Functions refuses, naming the state machine's type
    with pytest.raises(ClientError) as refused:
        sfn.redrive_execution(executionArn=failed["executionArn"])
    assert refused.value.response["Error"]["Code"] == "ExecutionNotRedrivable"
    assert "EXPRESS" in refused.value.response["Error"]["Message"]
