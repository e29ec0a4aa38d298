"""embedded_aws.clock: Wait states and Retry intervals run at the session's time_scale (0.01 in tests)."""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any

import pytest

from embedded_aws import clock


def state_events(aws: Any, execution_arn: str) -> dict[tuple[str, str | None], datetime]:
    """(event type, state name) -> timestamp, for the execution's history events."""
    events = aws.client("stepfunctions").get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]
    details = ("stateEnteredEventDetails", "stateExitedEventDetails")
    return {(e["type"], next((e[d]["name"] for d in details if d in e), None)): e["timestamp"] for e in events}


@pytest.mark.parametrize(
    "wait_state",
    [{"Seconds": 100}, {"SecondsPath": "$.wait_seconds"}],
    ids=["Seconds", "SecondsPath"],
)
def test_wait_state_of_100_seconds_runs_at_time_scale(aws: Any, wait_state: dict[str, Any]) -> None:
    # GIVEN a state machine that waits 100 s
    definition = {
        "StartAt": "Wait a while",
        "States": {
            "Wait a while": {"Type": "Wait", **wait_state, "Next": "Done"},
            "Done": {"Type": "Succeed"},
        },
    }
    machine = aws.state_machine("waits", definition)

    # WHEN it runs with time_scale 0.01
    started = time.monotonic()
    execution = aws.run_to_end(machine, {"wait_seconds": 100}, timeout=5)
    elapsed = time.monotonic() - started

    # THEN it succeeds after about 1 s instead of 100 s: the wait was compressed, not skipped
    assert execution["status"] == "SUCCEEDED"
    assert 0.9 <= elapsed < 5
    # AND the history shows the Wait state entered, then exited about 100 x 0.01 s later
    events = state_events(aws, execution["executionArn"])
    entered = events[("WaitStateEntered", "Wait a while")]
    exited = events[("WaitStateExited", "Wait a while")]
    assert 0.9 <= (exited - entered).total_seconds() < 5


def retrying_machine(aws: Any, max_attempts: int, **retry: Any) -> str:
    function_arn = aws.flaky_function()
    definition = {
        "StartAt": "Call flaky",
        "States": {
            "Call flaky": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": function_arn, "Payload.$": "$"},
                "OutputPath": "$.Payload",
                "Retry": [
                    {
                        "ErrorEquals": ["Flaky"],
                        "IntervalSeconds": 3,
                        "BackoffRate": 2,
                        "MaxAttempts": max_attempts,
                        **retry,
                    }
                ],
                "End": True,
            }
        },
    }
    return str(aws.state_machine("retries", definition))


def test_retry_backs_off_at_time_scale_and_records_the_requested_intervals(aws: Any) -> None:
    # GIVEN a Task whose Lambda raises Flaky twice, retried after 3 s then 6 s (9 s in all)
    machine = retrying_machine(aws, max_attempts=3)

    # WHEN it runs
    started = time.monotonic()
    execution = aws.run_to_end(machine, {"failures": 2}, timeout=5)
    elapsed = time.monotonic() - started

    # THEN the third call succeeded
    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    assert json.loads(execution["output"]) == {"calls": 3}
    # AND the engine asked for the uncompressed 3 s and 6 s intervals, but did not really sleep 9 s
    waits = clock.retry_waits_of(execution["executionArn"])
    assert [(w.backoff_seconds, w.delay_seconds) for w in waits] == [(3, 3), (6, 6)]
    assert {w.state for w in waits} == {"Call flaky"}
    assert elapsed < 5


def test_retries_exhausted_fail_with_the_lambda_error(aws: Any) -> None:
    # GIVEN a Task whose Lambda always raises Flaky, with 2 retries
    machine = retrying_machine(aws, max_attempts=2)

    # WHEN it runs
    execution = aws.run_to_end(machine, {"failures": 99}, timeout=5)

    # THEN the execution fails with the Lambda's error type after both backoffs
    assert execution["status"] == "FAILED"
    assert execution["error"] == "Flaky"
    assert [w.backoff_seconds for w in clock.retry_waits_of(execution["executionArn"])] == [3, 6]


def test_full_jitter_waits_a_random_part_of_the_backoff_capped_by_max_delay(aws: Any) -> None:
    # GIVEN retries backing off 3, 6, 12, 24 s, capped at 10 s, with full jitter
    machine = retrying_machine(aws, max_attempts=4, MaxDelaySeconds=10, JitterStrategy="FULL")

    # WHEN every attempt fails
    execution = aws.run_to_end(machine, {"failures": 99}, timeout=5)

    # THEN the backoffs requested are the capped series and each wait is within its backoff
    waits = clock.retry_waits_of(execution["executionArn"])
    assert [w.backoff_seconds for w in waits] == [3, 6, 10, 10]
    assert all(0 <= w.delay_seconds <= w.backoff_seconds for w in waits)
