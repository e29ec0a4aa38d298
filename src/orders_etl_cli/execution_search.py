"""Finding executions: by status and start time from ListExecutions, by source key from their input, a page at a
time (ExecutionSearch says how)."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from orders_etl_cli.executions import TERMINAL
from orders_etl_cli.failures import CommandError

_DURATION = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
DESCRIBE_THREADS = 8
DESCRIBE_BATCH = 50  # listed executions described at a time
LIST_PAGE = 100  # ListExecutions maxResults (AWS allows up to 1,000)


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


@dataclass(frozen=True)
class Cursor:
    """Where a search goes on: the ListExecutions page that holds the next execution (its nextToken; None for the
    first page) and how many of that page's executions are behind. Step Functions keeps a token valid for 24 hours."""

    token: str | None
    skip: int


@dataclass(frozen=True)
class ExecutionPage:
    rows: list[ExecutionRow]
    next: Cursor | None  # None: nothing matches after these rows


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
    """Newest first, at most `limit` (None: every match)."""
    search = ExecutionSearch(sfn, state_machine_arn, status, since, key_prefix, describe or describe_row)
    return search.page(None, limit).rows


@dataclass(frozen=True)
class ExecutionSearch:
    """Executions that match, newest first, page by page. ListExecutions filters by status on the server and lists
    newest first, so a `since` search stops at the first older execution; each listed execution that can still
    match is described (`describe`: the source key and the error are in DescribeExecution), a batch at a time in
    threads, no more of them than the page still needs unless a key filter makes each one a maybe."""

    sfn: Any
    state_machine_arn: str
    status: str | None
    since: datetime | None
    key_prefix: str | None
    describe: Callable[[Any, dict[str, Any]], ExecutionRow]

    def page(self, after: Cursor | None, size: int | None) -> ExecutionPage:
        """The `size` matches after `after` (None: from the newest; size None: all), and where the next page starts."""
        token, skip = (after.token, after.skip) if after else (None, 0)
        found: list[tuple[ExecutionRow, Cursor]] = []  # each match, with the cursor just after it
        wanted = None if size is None else size + 1  # one more tells whether a next page exists
        with ThreadPoolExecutor(max_workers=DESCRIBE_THREADS) as pool:
            while True:
                listed = self._list(token)
                items = listed["executions"][skip:]
                position = 0
                while position < len(items):
                    chunk = items[position : position + self._batch_size(wanted, len(found))]
                    batch = self._still_matching(chunk)
                    for offset, row in enumerate(pool.map(lambda item: self.describe(self.sfn, item), batch)):
                        if self.key_prefix is None or (row.source_key or "").startswith(self.key_prefix):
                            found.append((row, Cursor(token, skip + position + offset + 1)))
                            if len(found) == wanted:
                                rows = [row for row, _ in found[:-1]]
                                return ExecutionPage(rows, found[-2][1] if len(found) > 1 else after)
                    if len(batch) < len(chunk):
                        return ExecutionPage([row for row, _ in found], None)  # the rest started before `since`
                    position += len(chunk)
                token, skip = listed.get("nextToken"), 0
                if not token:
                    return ExecutionPage([row for row, _ in found], None)

    def _list(self, token: str | None) -> dict[str, Any]:
        arguments: dict[str, Any] = {"stateMachineArn": self.state_machine_arn, "maxResults": LIST_PAGE}
        if self.status:
            arguments["statusFilter"] = self.status
        if token:
            arguments["nextToken"] = token
        listed: dict[str, Any] = self.sfn.list_executions(**arguments)
        return listed

    def _still_matching(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The items up to the first that started before `since` (newest first: all after it are older too)."""
        if self.since is None:
            return items
        return list(itertools.takewhile(lambda item: item["startDate"] >= self.since, items))

    def _batch_size(self, wanted: int | None, found: int) -> int:
        if wanted is None or self.key_prefix is not None:
            return DESCRIBE_BATCH
        return max(min(wanted - found, DESCRIBE_BATCH), 1)


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
