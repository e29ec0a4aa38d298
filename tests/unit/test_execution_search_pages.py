"""ExecutionSearch pages: a cursor that goes on where the last page stopped, inside or across ListExecutions pages,
with or without a key filter, describing no more executions than a page needs (DescribeExecution is throttled)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from orders_etl_cli import execution_search
from orders_etl_cli.execution_search import Cursor, ExecutionRow, ExecutionSearch, execution_row

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
MACHINE = "arn:aws:states:eu-west-1:111122223333:stateMachine:pipeline"


class FakeStepFunctions:
    """ListExecutions newest first in pages of `page_size`, its nextToken an opaque position, as on AWS."""

    def __init__(self, keys: list[str], page_size: int) -> None:
        self.keys = keys  # newest first; execution i started i minutes ago
        self.page_size = page_size
        self.listed = 0
        self.described: list[str] = []

    def list_executions(self, stateMachineArn: str, maxResults: int, nextToken: str | None = None) -> dict[str, Any]:
        assert stateMachineArn == MACHINE and maxResults == execution_search.LIST_PAGE
        self.listed += 1
        start = int(base64.b64decode(nextToken)) if nextToken else 0
        end = start + self.page_size
        page = [self._item(i) for i in range(start, min(end, len(self.keys)))]
        more = {"nextToken": base64.b64encode(str(end).encode()).decode()} if end < len(self.keys) else {}
        return {"executions": page, **more}

    def _item(self, i: int) -> dict[str, Any]:
        return {
            "executionArn": f"{MACHINE}:e{i}",
            "name": f"e{i}",
            "status": "SUCCEEDED",
            "startDate": NOW - timedelta(minutes=i),
        }

    def describe(self, _: Any, item: dict[str, Any]) -> ExecutionRow:
        self.described.append(item["name"])
        key = self.keys[int(item["name"][1:])]
        document = {**item, "input": json.dumps({"detail": {"object": {"key": key}}})}
        return execution_row(document, None)


def search(sfn: FakeStepFunctions, key_prefix: str | None = None, since: datetime | None = None) -> ExecutionSearch:
    return ExecutionSearch(sfn, MACHINE, None, since, key_prefix, sfn.describe)


def all_pages(found: ExecutionSearch, size: int) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        page = found.page(cursor, size)
        pages.append([row.name for row in page.rows])
        if page.next is None:
            return pages
        cursor = page.next


@pytest.mark.parametrize("listing_page", [1, 2, 3, 4, 7, 10])
def test_pages_hold_every_execution_once_newest_first_whatever_the_listing_page(listing_page: int) -> None:
    # GIVEN 10 executions listed `listing_page` at a time
    sfn = FakeStepFunctions([f"raw/{i}.json" for i in range(10)], listing_page)
    # WHEN they are shown 4 a page
    pages = all_pages(search(sfn), 4)
    # THEN the pages are 4, 4 and 2, in order, none twice; and no execution is described more than twice (a
    # page describes one more than it shows, to know whether another page follows)
    assert pages == [["e0", "e1", "e2", "e3"], ["e4", "e5", "e6", "e7"], ["e8", "e9"]]
    assert max(sfn.described.count(name) for name in set(sfn.described)) <= 2
    assert len(sfn.described) <= 10 + 2


def test_an_exact_last_page_says_there_is_no_next_one() -> None:
    sfn = FakeStepFunctions([f"raw/{i}.json" for i in range(8)], 3)
    assert all_pages(search(sfn), 4) == [["e0", "e1", "e2", "e3"], ["e4", "e5", "e6", "e7"]]


def test_a_key_filter_pages_through_matches_across_listing_pages() -> None:
    # GIVEN every third execution under raw/b/, listed 4 at a time
    keys = [f"raw/{'b' if i % 3 == 0 else 'a'}/{i}.json" for i in range(20)]
    sfn = FakeStepFunctions(keys, 4)
    # WHEN the files under raw/b/ are shown 2 a page
    pages = all_pages(search(sfn, key_prefix="raw/b/"), 2)
    # THEN each match shows once, in order (e0, e3, e6, ... e18)
    assert pages == [["e0", "e3"], ["e6", "e9"], ["e12", "e15"], ["e18"]]


def test_a_since_search_stops_at_the_first_older_execution_without_describing_it() -> None:
    sfn = FakeStepFunctions([f"raw/{i}.json" for i in range(30)], 5)
    page = search(sfn, since=NOW - timedelta(minutes=6, seconds=30)).page(None, 25)
    assert [row.name for row in page.rows] == [f"e{i}" for i in range(7)] and page.next is None
    assert sfn.described == [f"e{i}" for i in range(7)] and sfn.listed == 2


def test_a_page_without_a_key_filter_describes_only_what_it_needs() -> None:
    # GIVEN 1,000 executions, listed a hundred at a time
    sfn = FakeStepFunctions([f"raw/{i}.json" for i in range(1000)], 100)
    # WHEN the first page of 25 is shown
    page = search(sfn).page(None, 25)
    # THEN 26 are described (the 26th says another page follows), from one ListExecutions page
    assert len(page.rows) == 25 and page.next == Cursor(None, 25)
    assert len(sfn.described) == 26 and sfn.listed == 1
