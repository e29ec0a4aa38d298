"""One upload to a large table: its execution waits for a crawl of its own folders, not of the whole table.

The crawl-time model (embedded_aws.glue_crawls) makes a crawl last a start-up plus a cost per object it lists. Here
an object costs 5 AWS seconds (1,000 x the model's 5 ms) and the per-file poll limit is 3 checks 30 s apart (90 s):
a crawl of the 200-object table takes over 1,000 s, ten times the limit, as a crawl of a million objects (1.4 h at
the model's cost) is four times the default 40 checks (20 minutes); a crawl of one file's folders takes 40 s. The
margins are wide because the checks also take the functions' real time, which the clock does not compress.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from moto.s3.models import s3_backends

from embedded_aws import glue_crawls
from embedded_aws.cfn_template import ACCOUNT_ID
from embedded_aws.glue_crawls import CrawlTimeModel
from embedded_aws.server import PROJECT_ROOT, TEMPLATE, EmbeddedAws
from orders_etl.engine import flatten_order_file
from support import Stack, order, product

TABLE_OBJECTS = 200
POLL_LIMIT = {"CrawlPollLimit": "3"}  # x CrawlPollIntervalSeconds 30 = 90 s for a crawl


DEAR_OBJECTS = CrawlTimeModel(base_seconds=20, seconds_per_object=5)


@pytest.fixture
def crawl_time() -> Iterator[None]:
    """Restores the session's crawl-time model after a test that made objects dear."""
    previous = glue_crawls.time_model()
    yield
    glue_crawls.set_time_model(previous)


def pipeline_parquet(tmp_path: Path) -> bytes:
    """A Parquet object as Flatten writes it (the table's columns), made by the pipeline's own engine."""
    source = tmp_path / "seed.json"
    source.write_text(json.dumps([order("SEED", "2024-01-01T00:00:00Z", product("P", 1))]))
    flattened = flatten_order_file(
        source, tmp_path / "parquet", source_key="raw/seed.json", max_bytes=1 << 20, workdir=tmp_path / "work"
    )
    return flattened.parquet_files["2024-01-01"][0].read_bytes()


def large_table(stack: Stack, tmp_path: Path) -> None:
    """200 Parquet objects over 100 dates, the crawler's first crawl (a listing of all of them), then objects made
    dear for the crawls that follow (the first one at the session's cost: it is set-up, not under test).

    Written straight into moto's S3 backend, without event notifications: faster than through the API, and the
    first crawl lists what they would have named anyway.
    """
    backend, body = s3_backends[ACCOUNT_ID]["aws"], pipeline_parquet(tmp_path)
    for n in range(TABLE_OBJECTS):
        day = date(2024, 1, 1) + timedelta(days=n % 100)
        key = f"parquet_files/orders/dt={day.isoformat()}/seed-{n}.parquet"
        backend.put_object(stack.bucket, key, body, disable_notification=True)
    stack.client("glue").start_crawler(Name=stack.outputs["CrawlerName"])
    assert last_crawl(stack)["Status"] == "SUCCEEDED"
    glue_crawls.set_time_model(DEAR_OBJECTS)


def last_crawl(stack: Stack, timeout: float = 30) -> dict[str, Any]:
    """The crawler's LastCrawl once it is READY again."""
    glue, deadline = stack.client("glue"), time.monotonic() + timeout
    while (crawler := glue.get_crawler(Name=stack.outputs["CrawlerName"])["Crawler"])["State"] != "READY":
        assert time.monotonic() < deadline, f"the crawler is still {crawler['State']} after {timeout} s"
        time.sleep(0.05)
    last: dict[str, Any] = crawler["LastCrawl"]
    return last


@pytest.fixture
def deploy(embedded_aws: EmbeddedAws, tmp_path: Path) -> Callable[[str], Stack]:
    """Deploys template.yaml, or a copy of it whose crawler has another RecrawlBehavior (the functions, layer and
    state machines are the tree's own), with the short poll limit."""

    def deploy_with(recrawl_behavior: str) -> Stack:
        template = TEMPLATE
        if recrawl_behavior != "CRAWL_EVENT_MODE":
            copy = tmp_path / "stack"
            copy.mkdir()
            text = TEMPLATE.read_text(encoding="utf-8")
            assert text.count("RecrawlBehavior: CRAWL_EVENT_MODE") == 1
            template = copy / "template.yaml"
            template.write_text(text.replace("CRAWL_EVENT_MODE", recrawl_behavior), encoding="utf-8")
            for local in ("functions", "src", "statemachine"):
                (copy / local).symlink_to(PROJECT_ROOT / local)
        embedded_aws.reset()
        outputs = embedded_aws.deploy(parameter_overrides=POLL_LIMIT, template=template)
        return Stack(outputs=outputs, endpoint_url=embedded_aws.endpoint_url)

    return deploy_with


def upload_of_two_days() -> dict[str, bytes]:
    """A file with an order on a date the table has (a folder of 2 objects) and one on a new date."""
    orders = [
        order("NEW-1", "2024-01-05T10:00:00Z", product("P-1", 2.5, 2)),
        order("NEW-2", "2025-06-01T10:00:00Z", product("P-2", 4, 1)),
    ]
    return {"raw/late/new.json": json.dumps(orders).encode()}


@pytest.mark.slow  # 5-8 s: in `make test-slow` and .ci/run, to keep `make test` near 4 minutes
def test_one_upload_to_a_large_table_ends_succeeded_within_the_per_file_poll_limit(
    deploy: Callable[[str], Stack], crawl_time: None, tmp_path: Path
) -> None:
    # GIVEN the stack (crawler in event mode) and a table of 200 objects, crawled once
    stack = deploy("CRAWL_EVENT_MODE")
    large_table(stack, tmp_path)

    # WHEN a file with orders on two dates (one the table has, one new) is uploaded
    [execution] = stack.run(upload_of_two_days(), timeout=60)

    # THEN it succeeds: the crawl listed the file's two folders (4 objects, 40 s), not the table's 202 (1,030 s)
    assert execution["status"] == "SUCCEEDED", stack.describe(execution).get("cause")
    crawl = glue_crawls.records_of(stack.outputs["CrawlerName"])[-1]
    assert (crawl.mode, crawl.folders, crawl.objects) == ("events", 2, 4)
    assert crawl.seconds == pytest.approx(20 + 5 * 4)
    # AND its rows are queryable, in both partitions
    rows = stack.query("SELECT order_id, dt FROM orders WHERE source_key = 'raw/late/new.json' ORDER BY 1")
    assert rows == [("NEW-1", "2024-01-05"), ("NEW-2", "2025-06-01")]


def test_with_the_old_crawl_everything_config_the_same_upload_outlasts_the_per_file_poll_limit(
    deploy: Callable[[str], Stack], crawl_time: None, tmp_path: Path
) -> None:
    # GIVEN the stack as it was (crawler re-reading everything) and the same table of 200 objects
    stack = deploy("CRAWL_EVERYTHING")
    large_table(stack, tmp_path)

    # WHEN the same file is uploaded
    [execution] = stack.run(upload_of_two_days(), timeout=60)

    # THEN its crawl, listing the whole table (1,030 AWS seconds), outlasts the 3 checks: the execution fails in a
    # Fail state no redrive can fix (issue 13, defect 4)
    described = stack.describe(execution)
    assert (execution["status"], described["error"]) == ("FAILED", "CrawlPollLimitReached")
    glue = stack.client("glue")
    assert glue.get_crawler(Name=stack.outputs["CrawlerName"])["Crawler"]["State"] == "RUNNING"
    glue.stop_crawler(Name=stack.outputs["CrawlerName"])
    assert last_crawl(stack)["Status"] == "CANCELLED"
    crawl = glue_crawls.records_of(stack.outputs["CrawlerName"])[-1]
    assert (crawl.mode, crawl.objects, crawl.seconds) == ("everything", TABLE_OBJECTS + 2, 20 + 5 * 202)
