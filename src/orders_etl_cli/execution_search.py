"""Finding executions: by status and start time from ListExecutions, by source key from their input.

ListExecutions returns the newest first and filters by status on the server, so a `--since` search stops paging at
the first older execution, and only the executions that can still match are described (the source key and the
error are in DescribeExecution, the failed state in the history).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from orders_etl_cli.executions import TERMINAL
from orders_etl_cli.failures import CommandError

_DURATION = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
DESCRIBE_THREADS = 8


@dataclass(frozen=True)
class ExecutionRow:
    name: str
    arn: str
    status: str
    source_key: str | None
    failed_state: str | None
    error: str | None
    cause: str | None
    started: datetime
    stopped: datetime | None
    redrive_count: int

    @property
    def seconds(self) -> float | None:
        return None if self.stopped is None else (self.stopped - self.started).total_seconds()

    def as_json(self) -> dict[str, Any]:
        document = asdict(self)
        document["started"] = self.started.isoformat()
        document["stopped"] = self.stopped.isoformat() if self.stopped else None
        document["seconds"] = self.seconds
        return document


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """`2h`, `30m`, `7d`, `90s` before now, or an ISO date/date-time (UTC when no offset)."""
    now = now or datetime.now(UTC)
    match = _DURATION.match(text.strip())
    if match:
        try:
            return now - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
        except OverflowError:  # past year 1: any execution is newer
            raise CommandError(f"--since {text!r} is too far back: give a date, e.g. 2025-11-01") from None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise CommandError(f"--since {text!r}: expected e.g. 2h, 30m, 7d, or a date such as 2025-11-01") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def find_executions(
    sfn: Any,
    state_machine_arn: str,
    *,
    status: str | None = None,
    since: datetime | None = None,
    key_prefix: str | None = None,
    limit: int | None = None,
    describe: Callable[[Any, dict[str, Any]], ExecutionRow] | None = None,
) -> list[ExecutionRow]:
    """Newest first; describes listed executions in batches (with `describe`, default describe_row) until `limit`
    rows match."""
    describe = describe or describe_row
    found: list[ExecutionRow] = []
    batch_size = max(DESCRIBE_THREADS, min(limit or 50, 50))
    with ThreadPoolExecutor(max_workers=DESCRIBE_THREADS) as pool:
        for batch in _batches(_listed(sfn, state_machine_arn, status, since), batch_size):
            for row in pool.map(lambda item: describe(sfn, item), batch):
                if key_prefix is None or (row.source_key or "").startswith(key_prefix):
                    found.append(row)
                    if limit is not None and len(found) >= limit:
                        return found
    return found


def describe_row(sfn: Any, listed: dict[str, Any]) -> ExecutionRow:
    described = sfn.describe_execution(executionArn=listed["executionArn"])
    failed = described["status"] in TERMINAL and described["status"] != "SUCCEEDED"
    return execution_row(described, last_state_entered(sfn, described["executionArn"]) if failed else None)


def execution_row(described: dict[str, Any], failed_state: str | None) -> ExecutionRow:
    """A DescribeExecution answer as a row; `failed_state`: the state it stopped in, from its history."""
    document = json.loads(described.get("input") or "{}")
    key = document.get("detail", {}).get("object", {}).get("key") if isinstance(document, dict) else None
    return ExecutionRow(
        name=described["name"],
        arn=described["executionArn"],
        status=described["status"],
        source_key=key,
        failed_state=failed_state,
        error=described.get("error"),
        cause=described.get("cause"),
        started=described["startDate"],
        stopped=described.get("stopDate"),
        redrive_count=int(described.get("redriveCount", 0)),
    )


def last_state_entered(sfn: Any, execution_arn: str) -> str | None:
    """The state the execution was in when it stopped, from the newest history events."""
    events = sfn.get_execution_history(executionArn=execution_arn, reverseOrder=True, maxResults=50)["events"]
    if len(events) > 1 and events[0]["id"] < events[-1]["id"]:
        events = list(reversed(events))  # an endpoint that ignores reverseOrder (moto)
    for event in events:
        if event["type"].endswith("StateEntered"):
            return str(event["stateEnteredEventDetails"]["name"])
    return None


def _listed(sfn: Any, state_machine_arn: str, status: str | None, since: datetime | None) -> Iterator[dict[str, Any]]:
    arguments: dict[str, Any] = {"stateMachineArn": state_machine_arn}
    if status:
        arguments["statusFilter"] = status
    for page in sfn.get_paginator("list_executions").paginate(**arguments):
        for item in page["executions"]:
            if since is not None and item["startDate"] < since:
                return  # newest first: everything after this is older
            yield item


def _batches(items: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
