"""embedded_aws.execution_stop: once StopExecution answers, the execution is ABORTED for every other call."""

from __future__ import annotations

from typing import Any

WAITING = {"StartAt": "Wait", "States": {"Wait": {"Type": "Wait", "Seconds": 86400, "End": True}}}


def test_a_stopped_execution_is_aborted_as_soon_as_stop_execution_answers(aws: Any) -> None:
    # GIVEN twenty RUNNING executions
    machine = aws.state_machine("waits", WAITING)
    sfn = aws.client("stepfunctions")
    arns = [sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"] for _ in range(20)]
    seen = []
    for arn in arns:
        # WHEN each is stopped
        stop_date = sfn.stop_execution(executionArn=arn)["stopDate"]
        # THEN the very next calls see it ABORTED, stopped at the date StopExecution gave
        described = sfn.describe_execution(executionArn=arn)
        seen.append((described["status"], described.get("stopDate") is not None and stop_date is not None))
        assert arn not in {
            e["executionArn"]
            for e in sfn.list_executions(stateMachineArn=machine, statusFilter="RUNNING")["executions"]
        }
    assert seen == [("ABORTED", True)] * 20
