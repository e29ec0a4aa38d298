"""Starting the Glue crawler and deciding whether the crawl that must include our Parquet has finished.

Glue runs one crawl per crawler at a time, so a file written while a crawl runs joins that crawl; a crawl
that started before our objects were written may have missed them, so the caller crawls again (STALE).
The crawler runs in event mode: a crawl lists only the folders named by the S3 events in its queue, and an
event may reach the queue after a crawl has started even if our write came first. So a crawl is ours only if,
besides starting after our write, it left every partition we wrote in the table; otherwise STALE again.
The state machine counts the checks; Check crawl raises CrawlFailed, or CrawlPollLimitReached once the count
reaches the limit, so the execution fails in a Task state: a redrive re-runs that Task, which then sees that the
execution was redriven since its crawl started (`$$.Execution.RedriveCount` grew) and crawls again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from botocore.exceptions import ClientError

from orders_etl.errors import CrawlFailed, CrawlPollLimitReached
from orders_etl.output_keys import partition_prefix

CrawlStatus = Literal["RUNNING", "SUCCEEDED", "FAILED", "STALE"]
_PARTITIONS_PER_CALL = 1000  # BatchGetPartition's limit


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


@dataclass(frozen=True)
class WrittenPartitions:
    """The partitions (`dt` values) of the table that one file's Parquet went to."""

    database: str
    table: str
    dates: list[str]
    # Whether Parquet is under a date's partition folder now (a listing). A newer version of the file may have
    # replaced ours since, leaving the date without data: no crawl will ever add that partition, so it is not
    # waited for (else the execution crawled again and again). None: every date counts.
    has_data: Callable[[str], bool] | None = None


def table_name(parquet_prefix: str) -> str:
    """The table the crawler makes of the Parquet prefix: Glue names it after the prefix's last folder."""
    return parquet_prefix.rstrip("/").rsplit("/", 1)[-1].lower()


def check_crawl(
    glue: Any, crawler_name: str, *, written_at: datetime, written: WrittenPartitions | None = None
) -> CrawlCheck:
    """SUCCEEDED once a crawl that started after `written_at` succeeded and `written` (the dates that still hold
    data) is in the table."""
    crawler = glue.get_crawler(Name=crawler_name)["Crawler"]
    status, message = _crawl_status(crawler, written_at)
    if status == "SUCCEEDED" and written and written.dates:
        missing = missing_partitions(glue, written)
        if missing and written.has_data is not None:
            missing = [date for date in missing if written.has_data(date)]
        if missing:
            status = "STALE"
            message = (
                f"the crawl finished without partitions {', '.join(missing[:5])}{' …' if len(missing) > 5 else ''}"
                f" of {written.database}.{written.table} (an S3 event can reach the crawler's queue after a crawl"
                " has read it)"
            )
    return CrawlCheck(crawler_name, status, message)


@dataclass(frozen=True)
class PollingLoop:
    """Where the state machine's crawl loop stands when it checks: the checks made so far (this one included), their
    limit and interval, and the redrive counts when the loop's crawl started and now."""

    checks: int
    poll_limit: int
    wait_seconds: int
    loop_redrive_count: int
    redrive_count: int

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> PollingLoop | None:
        """None for a payload without the loop (an execution started before the definition passed it)."""
        if "checks" not in event:
            return None
        fields = ("checks", "poll_limit", "wait_seconds", "loop_redrive_count", "redrive_count")
        return cls(*(int(event.get(name) or 0) for name in fields))

    @property
    def redriven(self) -> bool:
        """The execution was redriven after failing at a check: the crawl that failed, or was awaited too long, is
        not worth checking again; crawl again."""
        return self.redrive_count > self.loop_redrive_count


def check_crawl_in_loop(
    glue: Any, crawler_name: str, loop: PollingLoop, *, written_at: datetime, written: WrittenPartitions | None = None
) -> CrawlCheck:
    """check_crawl, for the state machine's loop: STALE right after a redrive (crawl again); CrawlFailed for a crawl
    that failed, CrawlPollLimitReached for one still running at the last check."""
    if loop.redriven:
        return CrawlCheck(crawler_name, "STALE", "the execution was redriven: crawling again")
    check = check_crawl(glue, crawler_name, written_at=written_at, written=written)
    if check.status == "FAILED":
        raise CrawlFailed(f"crawler {crawler_name}: {check.message}; once the cause is fixed, redrive the execution")
    if check.status == "RUNNING" and loop.checks >= loop.poll_limit:
        raise CrawlPollLimitReached(
            f"crawler {crawler_name} still running after {loop.checks} checks {loop.wait_seconds} s apart;"
            " a redrive goes on waiting for it"
        )
    return check


def partition_holds_parquet(s3: Any, bucket: str, parquet_prefix: str, partition_column: str) -> Callable[[str], bool]:
    """WrittenPartitions.has_data: whether any object is under the date's partition folder (one listing)."""

    def has_data(date: str) -> bool:
        folder = partition_prefix(parquet_prefix, partition_column, date)
        answer = s3.list_objects_v2(Bucket=bucket, Prefix=folder, MaxKeys=1)
        return bool(answer.get("KeyCount", 0))

    return has_data


def missing_partitions(glue: Any, written: WrittenPartitions) -> list[str]:
    """The dates of `written` that are not partitions of the table (all of them while there is no table).

    Keys Glue leaves unprocessed (BatchGetPartition under load) count as missing: that costs one more crawl,
    never a SUCCEEDED too early.
    """
    found: set[str] = set()
    for start in range(0, len(written.dates), _PARTITIONS_PER_CALL):
        wanted = [{"Values": [date]} for date in written.dates[start : start + _PARTITIONS_PER_CALL]]
        try:
            answer = glue.batch_get_partition(
                DatabaseName=written.database, TableName=written.table, PartitionsToGet=wanted
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "EntityNotFoundException":
                return list(written.dates)
            raise
        found.update(partition["Values"][0] for partition in answer["Partitions"])
    return [date for date in written.dates if date not in found]


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
