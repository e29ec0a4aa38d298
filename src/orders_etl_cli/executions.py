"""Reading Step Functions executions: waiting for them and turning their history into a state-by-state timeline."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

TERMINAL = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")


@dataclass
class StateRun:
    """One visit of one state in an execution."""

    name: str
    entered: datetime
    exited: datetime | None = None
    attempts: int = 0
    failures: int = 0
    error: str | None = None
    cause: str | None = None
    input: str | None = None
    output: str | None = None

    @property
    def seconds(self) -> float | None:
        return None if self.exited is None else (self.exited - self.entered).total_seconds()


def history(sfn: Any, execution_arn: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    for page in sfn.get_paginator("get_execution_history").paginate(executionArn=execution_arn):
        events.extend(page["events"])
    return events


def timeline(events: list[dict[str, Any]]) -> list[StateRun]:
    """States in the order they ran, with Lambda attempts and failures (retries show as attempts > 1)."""
    runs: list[StateRun] = []
    for event in events:
        kind = event["type"]
        if kind.endswith("StateEntered"):
            details = event["stateEnteredEventDetails"]
            runs.append(StateRun(details["name"], event["timestamp"], input=details.get("input")))
        elif kind.endswith("StateExited") and runs:
            runs[-1].exited = event["timestamp"]
            runs[-1].output = event["stateExitedEventDetails"].get("output")
        elif kind in ("TaskScheduled", "LambdaFunctionScheduled") and runs:
            runs[-1].attempts += 1
        elif kind in ("TaskFailed", "LambdaFunctionFailed") and runs:
            runs[-1].failures += 1
            details = event.get("taskFailedEventDetails") or event.get("lambdaFunctionFailedEventDetails") or {}
            runs[-1].error, runs[-1].cause = details.get("error"), details.get("cause")
        elif kind == "ExecutionFailed" and runs and runs[-1].exited is None:
            runs[-1].exited = event["timestamp"]
            failed = event.get("executionFailedEventDetails", {})
            runs[-1].error = runs[-1].error or failed.get("error")
            runs[-1].cause = runs[-1].cause or failed.get("cause")
    return runs


def wait_for_executions(sfn: Any, state_machine_arn: str, count: int, timeout: float = 60.0) -> list[dict[str, Any]]:
    """Wait until at least `count` executions exist and none is running; TimeoutError otherwise (never hangs)."""
    deadline = time.monotonic() + timeout
    while True:
        # Only the running ones while there are any: listing every execution ten times a second cost more than
        # the executions themselves in a burst of 200.
        running = list_executions(sfn, state_machine_arn, status="RUNNING")
        executions = [] if running else list_executions(sfn, state_machine_arn)
        if not running and len(executions) >= count and all(e["status"] in TERMINAL for e in executions):
            return executions
        if time.monotonic() > deadline:
            names = [e["name"] for e in running]
            raise TimeoutError(f"{count} executions expected, not all ended after {timeout}s; running: {names}")
        time.sleep(0.1)


def wait_for(sfn: Any, execution_arns: list[str], timeout: float = 60.0) -> list[dict[str, Any]]:
    """DescribeExecution of each execution once it has ended; TimeoutError after `timeout` s (never hangs)."""
    deadline = time.monotonic() + timeout
    ended: dict[str, dict[str, Any]] = {}
    while True:
        for arn in execution_arns:
            if arn not in ended:
                described = sfn.describe_execution(executionArn=arn)
                if described["status"] in TERMINAL:
                    ended[arn] = described
        if len(ended) == len(execution_arns):
            return [ended[arn] for arn in execution_arns]
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(execution_arns) - len(ended)} executions still running after {timeout}s")
        time.sleep(0.1 if sfn.meta.endpoint_url.startswith("http://") else 1.0)


def list_executions(sfn: Any, state_machine_arn: str, status: str | None = None) -> list[dict[str, Any]]:
    """Every execution of the state machine, newest first; only those in `status` if given."""
    executions: list[dict[str, Any]] = []
    status_filter = {"statusFilter": status} if status else {}
    for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=state_machine_arn, **status_filter):
        executions.extend(page["executions"])
    return executions


def source_key(sfn: Any, execution_arn: str) -> str | None:
    """The raw object key an execution was started for (its EventBridge input)."""
    document = json.loads(sfn.describe_execution(executionArn=execution_arn)["input"])
    key = document.get("detail", {}).get("object", {}).get("key")
    return str(key) if key is not None else None
