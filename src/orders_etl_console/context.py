"""What every page of the console works with: the target stack, whether actions are allowed, the state machines."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import abort, current_app

from orders_etl_cli.execution_commands import execution_arn
from orders_etl_cli.execution_search import ExecutionRow, describe_row, parse_since
from orders_etl_cli.executions import TERMINAL
from orders_etl_cli.failures import CommandError
from orders_etl_cli.stack import StackContext

EXTENSION = "orders_etl_console"
# The console's name for each state machine -> the stack output holding its ARN.
MACHINES = {"pipeline": "StateMachineArn", "backfill": "BackfillStateMachineArn"}
MACHINE_TITLES = {"pipeline": "Order pipeline (one file)", "backfill": "Backfill (Distributed Map)"}
ALLOW_ACTIONS_FLAG = "--allow-actions"


@dataclass
class ConsoleContext:
    stack: StackContext
    allow_actions: bool
    target: str
    _definitions: dict[str, dict[str, Any]] = field(default_factory=dict)
    _rows: dict[tuple[str, str, Any], ExecutionRow] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def sfn(self) -> Any:
        return self.stack.client("stepfunctions")

    @property
    def actions_off_reason(self) -> str | None:
        if self.allow_actions:
            return None
        return f"actions on AWS are off: start the console with {ALLOW_ACTIONS_FLAG} to redrive or replay"

    def machine_arn(self, machine: str) -> str:
        if machine not in MACHINES or MACHINES[machine] not in self.stack.outputs:
            abort(404, f"no state machine {machine!r}: the console knows {', '.join(MACHINES)}")
        return self.stack.outputs[MACHINES[machine]]

    def execution_arn(self, machine: str, name: str) -> str:
        """The ARN of the execution `name` of that state machine; never another's (a name holds no colon)."""
        if ":" in name:
            abort(404, f"{name!r} is not an execution name (names hold no colon)")
        return execution_arn(self.machine_arn(machine), name)

    def definition(self, machine: str) -> dict[str, Any]:
        """The deployed definition (DescribeStateMachine), read once per console: a redeploy needs a restart."""
        with self._lock:
            if machine not in self._definitions:
                described = self.sfn.describe_state_machine(stateMachineArn=self.machine_arn(machine))
                self._definitions[machine] = json.loads(described["definition"])
            return self._definitions[machine]

    def describe(self, sfn: Any, listed: dict[str, Any]) -> ExecutionRow:
        """describe_row, kept for an execution that has ended: it changes only when redriven, which changes its
        status or stop date (ListExecutions gives both), so a list that refreshes describes only what moved."""
        if listed.get("status") not in TERMINAL:
            return describe_row(sfn, listed)
        key = (listed["executionArn"], listed["status"], listed.get("stopDate"))
        with self._lock:
            row = self._rows.get(key)
        if row is None:
            row = describe_row(sfn, listed)
            with self._lock:
                self._rows[key] = row
        return row


def started_since(text: str) -> datetime | None:
    """A "started since" field: `2h`, `7d`, `2026-11-01`, or empty for any time; a mistake is a 400 saying why."""
    try:
        return parse_since(text) if text else None
    except CommandError as error:
        abort(400, str(error).replace("--since ", "started since "))


def console() -> ConsoleContext:
    context: ConsoleContext = current_app.extensions[EXTENSION]
    return context
