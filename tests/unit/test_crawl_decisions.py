"""Deciding whether the crawl that must include a file's Parquet has finished (orders_etl.crawl)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from orders_etl.crawl import (
    PollingLoop,
    WrittenPartitions,
    check_crawl,
    check_crawl_in_loop,
    parse_timestamp,
    start_crawl,
    table_name,
)
from orders_etl.errors import CrawlFailed, CrawlPollLimitReached

WRITTEN_AT = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)


class FakeGlue:
    """Answers get_crawler with a fixed crawler document; start_crawler optionally raises; batch_get_partition
    finds the `partitions` (dt values) of a table, or raises EntityNotFoundException when `partitions` is None."""

    def __init__(
        self,
        crawler: dict[str, Any] | None = None,
        start_error: str | None = None,
        partitions: set[str] | None = None,
    ) -> None:
        self.crawler = crawler or {}
        self.start_error = start_error
        self.started = 0
        self.partitions = partitions
        self.partition_requests: list[int] = []  # how many partitions each batch_get_partition asked for

    def get_crawler(self, Name: str) -> dict[str, Any]:
        return {"Crawler": {"Name": Name, **self.crawler}}

    def start_crawler(self, Name: str) -> None:
        if self.start_error:
            raise ClientError({"Error": {"Code": self.start_error, "Message": "x"}}, "StartCrawler")
        self.started += 1

    def batch_get_partition(
        self, DatabaseName: str, TableName: str, PartitionsToGet: list[dict[str, list[str]]]
    ) -> dict[str, Any]:
        assert (DatabaseName, TableName) == ("orders_etl", "orders")
        self.partition_requests.append(len(PartitionsToGet))
        if self.partitions is None:
            raise ClientError({"Error": {"Code": "EntityNotFoundException", "Message": "x"}}, "BatchGetPartition")
        return {"Partitions": [p for p in PartitionsToGet if p["Values"][0] in self.partitions]}


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


def written(*dates: str) -> WrittenPartitions:
    return WrittenPartitions("orders_etl", "orders", list(dates))


def test_a_finished_crawl_is_ours_only_once_every_partition_we_wrote_is_in_the_table() -> None:
    # GIVEN a crawl that started after our write and succeeded, and our Parquet in two partitions
    done = crawler("READY", "SUCCEEDED")
    ours = written("2025-01-01", "2025-01-02")

    # WHEN both are partitions of the table THEN the crawl is ours
    assert (
        check_crawl(
            FakeGlue(done, partitions={"2025-01-01", "2025-01-02"}), "c", written_at=WRITTEN_AT, written=ours
        ).status
        == "SUCCEEDED"
    )
    # WHEN one is not (its S3 event reached the queue after the crawl had read it) THEN crawl again, saying which
    stale = check_crawl(FakeGlue(done, partitions={"2025-01-01"}), "c", written_at=WRITTEN_AT, written=ours)
    assert stale.status == "STALE"
    assert "2025-01-02" in stale.message and "orders_etl.orders" in stale.message
    # WHEN there is no table yet THEN crawl again too
    assert check_crawl(FakeGlue(done, partitions=None), "c", written_at=WRITTEN_AT, written=ours).status == "STALE"


def test_a_missing_partition_left_without_parquet_is_not_waited_for() -> None:
    # GIVEN a crawl that succeeded after our write without two of our partitions, and a newer version of the file
    # that has since replaced our Parquet in 2025-01-02 (that folder holds none now), but not in 2025-01-03
    glue = FakeGlue(crawler("READY", "SUCCEEDED"), partitions={"2025-01-01"})
    listed: list[str] = []

    def has_data(date: str) -> bool:
        listed.append(date)
        return date == "2025-01-03"

    ours = WrittenPartitions("orders_etl", "orders", ["2025-01-01", "2025-01-02", "2025-01-03"], has_data)

    # WHEN checked THEN only the partition that still holds Parquet is waited for: crawl again, naming it alone
    stale = check_crawl(glue, "c", written_at=WRITTEN_AT, written=ours)
    assert stale.status == "STALE"
    assert "2025-01-03" in stale.message and "2025-01-02" not in stale.message
    # AND only the missing ones were listed
    assert listed == ["2025-01-02", "2025-01-03"]
    # WHEN the only missing partition holds no Parquet THEN the crawl is ours (no crawl will ever add it)
    glue.partitions = {"2025-01-01", "2025-01-03"}
    assert check_crawl(glue, "c", written_at=WRITTEN_AT, written=ours).status == "SUCCEEDED"


@pytest.mark.parametrize(
    "document",
    [crawler("RUNNING"), crawler("READY", "SUCCEEDED", WRITTEN_AT - timedelta(seconds=1)), crawler("READY", "FAILED")],
    ids=["running", "started before our write", "failed"],
)
def test_the_partitions_are_looked_up_only_for_a_crawl_that_succeeded_after_our_write(document: dict[str, Any]) -> None:
    # GIVEN a crawl that cannot be ours whatever the table holds
    glue = FakeGlue(document, partitions=set())
    # WHEN checked THEN the answer comes from the crawler alone, without asking the catalog
    assert check_crawl(glue, "c", written_at=WRITTEN_AT, written=written("2025-01-01")).status != "SUCCEEDED"
    assert glue.partition_requests == []


def test_without_partitions_to_look_for_a_successful_crawl_after_our_write_is_enough() -> None:
    # GIVEN a file that wrote no Parquet (no products, or superseded), or the backfill's final crawl
    glue = FakeGlue(crawler("READY", "SUCCEEDED"), partitions=set())
    # WHEN checked THEN the crawl's time decides, as before event mode
    assert check_crawl(glue, "c", written_at=WRITTEN_AT, written=written()).status == "SUCCEEDED"
    assert check_crawl(glue, "c", written_at=WRITTEN_AT).status == "SUCCEEDED"
    assert glue.partition_requests == []


def test_partitions_are_looked_up_a_thousand_at_a_time() -> None:
    # GIVEN a file whose orders span 2,500 days, all of them partitions
    dates = [f"day-{n:04d}" for n in range(2500)]
    glue = FakeGlue(crawler("READY", "SUCCEEDED"), partitions=set(dates))
    # WHEN checked THEN BatchGetPartition was asked within its limit of 1,000 keys per call
    assert check_crawl(glue, "c", written_at=WRITTEN_AT, written=written(*dates)).status == "SUCCEEDED"
    assert glue.partition_requests == [1000, 1000, 500]


def test_the_table_is_named_after_the_parquet_prefix_last_folder() -> None:
    assert table_name("parquet_files/orders/") == "orders"
    assert table_name("Tables/Orders") == "orders"


def loop(checks: int = 1, limit: int = 3, *, started_at_redrive: int = 0, redrives: int = 0) -> PollingLoop:
    return PollingLoop(checks, limit, 60, started_at_redrive, redrives)


def test_in_the_loop_a_failed_crawl_raises_with_glue_s_message_and_what_to_do() -> None:
    glue = FakeGlue(crawler("READY", "FAILED", ErrorMessage="Access Denied"))
    with pytest.raises(CrawlFailed, match=r"^crawler c: crawl failed: Access Denied; once the cause is fixed, redrive"):
        check_crawl_in_loop(glue, "c", loop(), written_at=WRITTEN_AT)


def test_in_the_loop_a_crawl_still_running_raises_at_the_limit_not_before() -> None:
    glue = FakeGlue(crawler("RUNNING"))
    assert check_crawl_in_loop(glue, "c", loop(checks=2), written_at=WRITTEN_AT).status == "RUNNING"
    with pytest.raises(CrawlPollLimitReached, match="still running after 3 checks 60 s apart"):
        check_crawl_in_loop(glue, "c", loop(checks=3), written_at=WRITTEN_AT)
    # A crawl that finished at the last check is not a timeout
    done = FakeGlue(crawler("READY", "SUCCEEDED"))
    assert check_crawl_in_loop(done, "c", loop(checks=3), written_at=WRITTEN_AT).status == "SUCCEEDED"


def test_after_a_redrive_the_loop_crawls_again_without_looking_at_the_failed_crawl() -> None:
    # GIVEN the execution failed at a check of a crawl that started before any redrive, then was redriven
    glue = FakeGlue(crawler("READY", "FAILED", ErrorMessage="Access Denied"))
    # WHEN the redriven check runs THEN it answers STALE: the state machine starts a crawl
    check = check_crawl_in_loop(glue, "c", loop(checks=3, redrives=1), written_at=WRITTEN_AT)
    assert check.status == "STALE" and "redriven" in check.message
    # AND a loop started after that redrive checks as usual
    with pytest.raises(CrawlFailed):
        check_crawl_in_loop(glue, "c", loop(started_at_redrive=1, redrives=1), written_at=WRITTEN_AT)


def test_the_loop_comes_from_the_check_payload_and_older_payloads_have_none() -> None:
    event = {"checks": 2, "poll_limit": 5, "wait_seconds": 30, "loop_redrive_count": 1, "redrive_count": 2}
    assert PollingLoop.from_event(event) == PollingLoop(2, 5, 30, 1, 2)
    assert PollingLoop.from_event({"written_at": "2025-01-01T00:00:00Z"}) is None
