"""Starting the Glue crawler and deciding whether the crawl that must include our Parquet has finished.

Glue runs one crawl per crawler at a time, so a file written while a crawl runs joins that crawl; a crawl
that started before our objects were written may have missed them, so the caller crawls again (STALE).
The state machine, not these functions, counts the checks and stops at the poll limit, so the limit holds
whatever the functions answer.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from botocore.exceptions import ClientError

CrawlStatus = Literal["RUNNING", "SUCCEEDED", "FAILED", "STALE"]


@dataclass(frozen=True)
class CrawlCheck:
    crawler: str
    status: CrawlStatus
    message: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def start_crawl(glue: Any, crawler_name: str) -> bool:
    """Start the crawler; False when a crawl is already running, which this file then joins."""
    try:
        glue.start_crawler(Name=crawler_name)
    except ClientError as error:
        if error.response["Error"]["Code"] == "CrawlerRunningException":
            return False
        raise
    return True


def check_crawl(glue: Any, crawler_name: str, *, written_at: datetime) -> CrawlCheck:
    crawler = glue.get_crawler(Name=crawler_name)["Crawler"]
    status, message = _crawl_status(crawler, written_at)
    return CrawlCheck(crawler_name, status, message)


def _crawl_status(crawler: dict[str, Any], written_at: datetime) -> tuple[CrawlStatus, str]:
    if crawler["State"] != "READY":
        return "RUNNING", f"crawler is {crawler['State']}"
    last = crawler.get("LastCrawl")
    if not last:
        return "STALE", "the crawler has never run"
    started = _as_utc(last["StartTime"])
    if started < written_at:
        return "STALE", f"the last crawl started at {started.isoformat()}, before our Parquet was written"
    if last["Status"] == "SUCCEEDED":
        return "SUCCEEDED", "the crawl finished after our Parquet was written"
    if last["Status"] == "FAILED":
        return "FAILED", f"crawl failed: {last.get('ErrorMessage', 'no error message')}"
    return "STALE", f"the last crawl ended {last['Status']}"


def _as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def format_timestamp(moment: datetime) -> str:
    """The `written_at` form parse_timestamp reads: UTC, milliseconds, with a Z."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_timestamp(text: str) -> datetime:
    """Parse the ISO-8601 `written_at` carried in the state machine payload."""
    return _as_utc(datetime.fromisoformat(text.replace("Z", "+00:00")))
