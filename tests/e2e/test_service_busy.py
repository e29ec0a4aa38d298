"""Throttling and server errors that outlast the SDK's own retries inside a function or an SDK integration: the
state machines retry them later (AwsServiceBusy, with backoff and jitter); a refusal is never retried."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from embedded_aws import clock
from embedded_aws.api_faults import ApiFaultInjector
from embedded_aws.server import EmbeddedAws
from support import Cli, Stack, order, product

BODY = json.dumps([order("B-1", "2025-10-01T10:00:00Z", product("P", 1, 2))]).encode()
BUSY_RETRY_INTERVAL = 5  # the AwsServiceBusy retrier's IntervalSeconds in the definitions (Lambda.* use 2)


@pytest.fixture
def api_faults(embedded_aws: EmbeddedAws) -> Iterator[ApiFaultInjector]:
    embedded_aws.api_faults.clear()
    yield embedded_aws.api_faults
    embedded_aws.api_faults.clear()


def busy_retries(execution_arn: str | None = None) -> dict[str, int]:
    """State name -> AwsServiceBusy retries scheduled (their first backoff is BUSY_RETRY_INTERVAL)."""
    waits = clock.retry_waits_of(execution_arn) if execution_arn else clock.retry_waits
    counts: dict[str, int] = {}
    for wait in waits:
        if wait.backoff_seconds >= BUSY_RETRY_INTERVAL:
            counts[wait.state] = counts.get(wait.state, 0) + 1
    return counts


def test_throttling_beyond_the_sdk_retries_is_retried_later_and_the_file_lands(
    stack: Stack, api_faults: ApiFaultInjector
) -> None:
    # GIVEN S3 answers SlowDown to more reads of raw/ than the SDK retries, and Glue throttles GetCrawler longer
    # still (hundreds of executions polling at once)
    api_faults.fail("s3", "GetObject", "SlowDown", count=8, path_contains="/raw/")
    api_faults.fail("glue", "GetCrawler", "ThrottlingException", count=12)
    # WHEN a file is uploaded
    (execution,) = stack.run({"raw/busy/a.json": BODY})
    # THEN the functions said AwsServiceBusy, their tasks were retried later, and the file landed once
    assert execution["status"] == "SUCCEEDED", stack.describe(execution).get("cause")
    retried = busy_retries(execution["executionArn"])
    assert retried["Validate order file"] >= 1 and retried["Check crawl"] >= 1, retried
    assert len(api_faults.injected) == 8 + 12
    assert stack.query("SELECT order_id, product_id FROM orders") == [("B-1", "P")]


def test_a_refusal_is_not_retried_and_the_execution_is_redrivable(stack: Stack, api_faults: ApiFaultInjector) -> None:
    # GIVEN S3 refuses every read of raw/ (a policy or key problem: retrying cannot fix it)
    api_faults.fail("s3", "GetObject", "AccessDenied", path_contains="/raw/")
    # WHEN a file is uploaded
    (execution,) = stack.run({"raw/busy/b.json": BODY})
    # THEN the execution fails at once at Validate with S3's error, never retried, and the file stays in raw/
    described = stack.describe(execution)
    assert described["status"] == "FAILED" and "AccessDenied" in described["cause"]
    assert described["error"] != "AwsServiceBusy"
    assert stack.states(execution)[-1] == "Validate order file"
    assert [w for w in clock.retry_waits_of(execution["executionArn"]) if w.state == "Validate order file"] == []
    assert stack.keys("raw/") == ["raw/busy/b.json"]
    # AND once the cause is fixed, a redrive lands it
    api_faults.clear()
    stack.client("stepfunctions").redrive_execution(executionArn=execution["executionArn"])
    (finished,) = stack.wait_for([execution["executionArn"]])
    assert finished["status"] == "SUCCEEDED"


def test_a_backfill_retries_busy_s3_but_not_a_refusal(stack: Stack, cli: Cli, api_faults: ApiFaultInjector) -> None:
    # GIVEN two files in raw/, never processed
    stack.pause_pipeline()
    stack.upload({"raw/2025/c.json": BODY, "raw/2025/d.json": BODY.replace(b"B-1", b"B-2")})
    # AND S3 answers SlowDown to more version listings than the SDK retries, and to the batch report's upload
    # (an SDK integration: S3.S3Exception, status 503)
    api_faults.fail("s3", "ListObjectVersions", "SlowDown", count=7)
    api_faults.fail("s3", "PutObject", "SlowDown", count=2, path_contains="/batches/")
    # WHEN they are backfilled THEN both land, "Pin the version" and "Record the batch" having been retried
    clock.retry_waits.clear()
    code, out, err = cli("backfill", "--prefix", "2025/", "--wait")
    assert code == 0, out + err
    assert "2 files, 2 published (2 rows)" in out
    retried = busy_retries()
    assert len(api_faults.injected) == 7 + 2, api_faults.injected
    assert retried.get("Pin the version", 0) >= 1 and retried["Record the batch"] == 2, retried
    # AND when S3 refuses the batch report (S3.S3Exception, status 403), nothing retries it: the backfill fails
    api_faults.fail("s3", "PutObject", "AccessDenied", path_contains="/batches/")
    clock.retry_waits.clear()
    code, out, err = cli("backfill", "--prefix", "2025/", "--wait")
    assert code == 1, out + err
    assert "Record the batch" not in busy_retries()
    assert not [w for w in clock.retry_waits if w.state == "Record the batch"]
