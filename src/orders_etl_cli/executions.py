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
            runs.append(StateRun(event["stateEnteredEventDetails"]["name"], event["timestamp"]))
        elif kind.endswith("StateExited") and runs:
            runs[-1].exited = event["timestamp"]
        elif kind in ("TaskScheduled", "LambdaFunctionScheduled") and runs:
            runs[-1].attempts += 1
        elif kind in ("TaskFailed", "LambdaFunctionFailed") and runs:
            runs[-1].failures += 1
            details = event.get("taskFailedEventDetails") or event.get("lambdaFunctionFailedEventDetails") or {}
            runs[-1].error = details.get("error")
        elif kind == "ExecutionFailed" and runs and runs[-1].exited is None:
            runs[-1].exited = event["timestamp"]
            runs[-1].error = runs[-1].error or event.get("executionFailedEventDetails", {}).get("error")
    return runs


def wait_for_executions(sfn: Any, state_machine_arn: str, count: int, timeout: float = 60.0) -> list[dict[str, Any]]:
    """Wait until at least `count` executions exist and none is running; TimeoutError otherwise (never hangs)."""
    deadline = time.monotonic() + timeout
    while True:
        executions = list_executions(sfn, state_machine_arn)
        if len(executions) >= count and all(e["status"] in TERMINAL for e in executions):
            return executions
        if time.monotonic() > deadline:
            running = [e["name"] for e in executions if e["status"] not in TERMINAL]
            raise TimeoutError(f"{len(executions)}/{count} executions after {timeout}s, still running: {running}")
        time.sleep(0.1)


def list_executions(sfn: Any, state_machine_arn: str) -> list[dict[str, Any]]:
    executions: list[dict[str, Any]] = []
    for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=state_machine_arn):
        executions.extend(page["executions"])
    return executions


def source_key(sfn: Any, execution_arn: str) -> str | None:
    """The raw object key an execution was started for (its EventBridge input)."""
    document = json.loads(sfn.describe_execution(executionArn=execution_arn)["input"])
    key = document.get("detail", {}).get("object", {}).get("key")
    return str(key) if key is not None else None
