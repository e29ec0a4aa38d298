"""Deciding whether the crawl that must include a file's Parquet has finished (orders_etl.crawl)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from orders_etl.crawl import check_crawl, parse_timestamp, start_crawl

WRITTEN_AT = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)


class FakeGlue:
    """Answers get_crawler with a fixed crawler document; start_crawler optionally raises."""

    def __init__(self, crawler: dict[str, Any] | None = None, start_error: str | None = None) -> None:
        self.crawler = crawler or {}
        self.start_error = start_error
        self.started = 0

    def get_crawler(self, Name: str) -> dict[str, Any]:
        return {"Crawler": {"Name": Name, **self.crawler}}

    def start_crawler(self, Name: str) -> None:
        if self.start_error:
            raise ClientError({"Error": {"Code": self.start_error, "Message": "x"}}, "StartCrawler")
        self.started += 1


def crawler(state: str, status: str | None = None, started: datetime | None = None, **last: Any) -> dict[str, Any]:
    document: dict[str, Any] = {"State": state}
    if status:
        document["LastCrawl"] = {"Status": status, "StartTime": started or WRITTEN_AT + timedelta(seconds=5), **last}
    return document


def check(glue: FakeGlue) -> Any:
    return check_crawl(glue, "c", written_at=WRITTEN_AT)


@pytest.mark.parametrize(
    ("document", "status"),
    [
        (crawler("RUNNING"), "RUNNING"),
        (crawler("STOPPING"), "RUNNING"),
        (crawler("READY"), "STALE"),  # never crawled
        (crawler("READY", "SUCCEEDED"), "SUCCEEDED"),
        (crawler("READY", "SUCCEEDED", WRITTEN_AT - timedelta(seconds=1)), "STALE"),  # joined a crawl that began before
        (crawler("READY", "FAILED", ErrorMessage="boom"), "FAILED"),
        (crawler("READY", "FAILED", WRITTEN_AT - timedelta(seconds=1)), "STALE"),  # an old failure: crawl again
        (crawler("READY", "CANCELLED"), "STALE"),
    ],
)
def test_status_of_the_crawl(document: dict[str, Any], status: str) -> None:
    # GIVEN the crawler in some state WHEN checked THEN the decision is as expected
    assert check(FakeGlue(document)).status == status


def test_failed_crawl_carries_glue_error_message() -> None:
    result = check(FakeGlue(crawler("READY", "FAILED", ErrorMessage="Access denied to s3://b/p")))
    assert result.message == "crawl failed: Access denied to s3://b/p"


def test_start_crawl_joins_a_running_crawl_and_lets_other_errors_through() -> None:
    assert start_crawl(FakeGlue(), "c") is True
    assert start_crawl(FakeGlue(start_error="CrawlerRunningException"), "c") is False
    with pytest.raises(ClientError):
        start_crawl(FakeGlue(start_error="ThrottlingException"), "c")


def test_naive_glue_timestamps_are_utc_and_written_at_parses_with_z() -> None:
    naive = crawler("READY", "SUCCEEDED", (WRITTEN_AT + timedelta(seconds=1)).replace(tzinfo=None))
    assert check(FakeGlue(naive)).status == "SUCCEEDED"
    assert parse_timestamp("2025-01-01T12:00:00.000Z") == WRITTEN_AT
