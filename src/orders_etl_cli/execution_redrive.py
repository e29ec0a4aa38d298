"""Redriving failed executions in bulk: RedriveExecution, rate-limited, with a reason for each one left out.

Step Functions' own verdict (DescribeExecution `redriveStatus`) comes first. On top of it, two kinds of failure are
left out because a redrive would only fail again: a data error (the file is in quarantine: fix it and replay it)
and a failure in a Fail state (a redrive re-enters that state).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from orders_etl.errors import DATA_ERRORS
from orders_etl.quarantine import TIMED_OUT
from orders_etl_cli.execution_search import ExecutionRow


@dataclass
class RedriveSummary:
    redriven: list[str] = field(default_factory=list)
    not_redrivable: dict[str, str] = field(default_factory=dict)  # name -> reason
    errors: dict[str, str] = field(default_factory=dict)  # name -> error


def redrive_executions(
    sfn: Any,
    rows: Iterable[ExecutionRow],
    *,
    fail_states: set[str],
    dry_run: bool = False,
    per_second: float = 5.0,
    progress: Callable[[int, int], None] | None = None,
) -> RedriveSummary:
    """Redrive each execution that can usefully be redriven; `fail_states` are the definition's Fail states."""
    summary = RedriveSummary()
    rows = list(rows)
    pace = _Pace(per_second)
    for done, row in enumerate(rows, start=1):
        reason = why_not_redrive(sfn, row, fail_states)
        if reason:
            summary.not_redrivable[row.name] = reason
        elif dry_run:
            summary.redriven.append(row.name)
        else:
            pace.wait()
            try:
                sfn.redrive_execution(executionArn=row.arn)
                summary.redriven.append(row.name)
            except ClientError as error:
                code, message = error.response["Error"].get("Code"), error.response["Error"].get("Message")
                summary.errors[row.name] = f"{code}: {message}"
        if progress:
            progress(done, len(rows))
    return summary


def why_not_redrive(
    sfn: Any, row: ExecutionRow, fail_states: set[str], described: dict[str, Any] | None = None
) -> str | None:
    """Why a redrive would not help, or None; `described`: the execution's DescribeExecution, if already at hand."""
    if row.error in DATA_ERRORS:
        return f"{row.error}: the file is in quarantine; fix it, then `orders-etl quarantine replay`"
    if file_in_quarantine(row, fail_states):
        return f"{row.error} twice: the file is in quarantine; its report says what to do before a replay"
    if row.failed_state in fail_states:
        return f"ended in the Fail state {row.failed_state!r} ({row.error}): a redrive would fail again"
    described = described or sfn.describe_execution(executionArn=row.arn)
    if described.get("redriveStatus", "REDRIVABLE") != "REDRIVABLE":
        return str(described.get("redriveStatusReason") or described["redriveStatus"])
    return None


def file_in_quarantine(row: ExecutionRow, fail_states: set[str]) -> bool:
    """The execution ended by quarantining its file: a data error, or (validate and flatten quarantine a file that
    timed out twice, then end in the Fail state with the timeout) a timeout in a Fail state. Any other task's
    timeout fails in place, redrivable."""
    return row.error in DATA_ERRORS or (row.error == TIMED_OUT and row.failed_state in fail_states)


def fail_states(definition: dict[str, Any]) -> set[str]:
    return {name for name, state in definition["States"].items() if state["Type"] == "Fail"}


class _Pace:
    """At most `per_second` calls per second (RedriveExecution is a throttled control-plane API)."""

    def __init__(self, per_second: float) -> None:
        self._interval = 1.0 / per_second
        self._next = 0.0

    def wait(self) -> None:
        now = time.monotonic()
        if now < self._next:
            time.sleep(self._next - now)
        self._next = max(now, self._next) + self._interval
