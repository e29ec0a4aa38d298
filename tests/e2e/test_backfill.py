"""`orders-etl backfill`: the Backfill state machine (Distributed Map) reprocessing raw/ on the embedded AWS."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from embedded_aws import lambda_runtime
from embedded_aws.server import EmbeddedAws
from support import Cli, Stack, order, product


def orders_file(index: int, orders: int = 2) -> bytes:
    return json.dumps(
        [
            order(f"F{index}-{n}", f"2025-0{1 + index % 3}-1{n % 9}T10:00:00Z", product("P", 1.5, 2), product("Q", 2))
            for n in range(orders)
        ]
    ).encode()


def load_raw_area(stack: Stack, files: dict[str, bytes]) -> None:
    """Files already in raw/ before the backfill, without the per-file pipeline processing them."""
    stack.pause_pipeline()
    stack.upload(files)


def backfill_executions(stack: Stack) -> list[dict[str, Any]]:
    executions: list[dict[str, Any]] = stack.client("stepfunctions").list_executions(
        stateMachineArn=stack.outputs["BackfillStateMachineArn"]
    )["executions"]
    return executions


def crawls(stack: Stack) -> int:
    return len(stack.client("glue").list_crawls(CrawlerName=stack.outputs["CrawlerName"])["Crawls"])


def test_a_backfill_publishes_every_good_file_quarantines_the_bad_and_crawls_once(stack: Stack, cli: Cli) -> None:
    # GIVEN 12 good files, 2 bad ones, a folder marker and a text file in raw/, never processed
    files = {f"raw/2025/good-{i:02}.json": orders_file(i) for i in range(12)}
    files |= {"raw/2025/bad-1.json": b"[{]", "raw/2025/bad-2.json": b'[{"order_id": 1}]'}
    files |= {"raw/2025/": b"", "raw/2025/readme.txt": b"not orders"}
    load_raw_area(stack, files)
    # WHEN a backfill runs over raw/2025/ in batches of 5, 2 at a time
    code, out, err = cli("backfill", "--prefix", "2025/", "--batch-size", "5", "--max-concurrency", "2", "--wait")
    # THEN it succeeded and says what it did, with progress in files (on stderr: stdout is the outcome)
    assert code == 0, out + err
    assert "16 / 16 files processed (100 %), 0 failed" in err
    assert "16 files, 12 published (48 rows), 3 quarantined, 1 skipped, 0 gone, 0 failed" in out
    # AND every good row is in the table once, after exactly one crawl
    assert stack.query("SELECT count(*), count(DISTINCT order_id || product_id) FROM orders") == [(48, 48)]
    assert crawls(stack) == 1
    # AND the bad files, and the file not named like an order file, are quarantined with their reports, exactly
    # as the per-file pipeline does it; only the folder marker is skipped
    assert stack.keys("quarantine/") == [
        "quarantine/2025/bad-1.json",
        "quarantine/2025/bad-1.json.error.json",
        "quarantine/2025/bad-2.json",
        "quarantine/2025/bad-2.json.error.json",
        "quarantine/2025/readme.txt",
        "quarantine/2025/readme.txt.error.json",
    ]
    report = json.loads(stack.get("quarantine/2025/bad-2.json.error.json"))
    assert report["error_type"] == "InvalidOrderFile" and report["source_key"] == "raw/2025/bad-2.json"
    # AND the summary object lists them; the state output stays small
    [execution] = backfill_executions(stack)
    summary = json.loads(stack.get(f"reports/backfills/{execution['name']}/summary.json"))
    assert sorted(f["key"] for f in summary["quarantined_files"]) == [
        "raw/2025/bad-1.json",
        "raw/2025/bad-2.json",
        "raw/2025/readme.txt",
    ]
    output = stack.client("stepfunctions").describe_execution(executionArn=execution["executionArn"])["output"]
    assert len(output) < 4096


@pytest.mark.slow  # 5-8 s: in `make test-slow` and .ci/run, to keep `make test` near 4 minutes
def test_a_second_backfill_over_the_same_files_leaves_the_same_rows_once(stack: Stack, cli: Cli) -> None:
    # GIVEN files processed by the per-file pipeline, as in normal operation
    executions = stack.run({f"raw/2025/f{i}.json": orders_file(i, orders=3) for i in range(6)})
    assert {e["status"] for e in executions} == {"SUCCEEDED"}
    before = stack.query("SELECT order_id, product_id, price, quantity, dt FROM orders ORDER BY 1, 2")
    parquet_before = stack.keys("parquet_files/")
    # WHEN the whole raw area is backfilled twice
    for _ in range(2):
        code, out, err = cli("backfill", "--wait")
        assert code == 0, out + err
    # THEN the table holds the same rows, once, in the same Parquet objects (rewritten in place)
    assert stack.query("SELECT order_id, product_id, price, quantity, dt FROM orders ORDER BY 1, 2") == before
    assert len(before) == 36
    assert stack.keys("parquet_files/") == parquet_before


def test_a_prefix_outside_the_raw_area_is_refused(stack: Stack, cli: Cli) -> None:
    sfn = stack.client("stepfunctions")
    arn = sfn.start_execution(
        stateMachineArn=stack.outputs["BackfillStateMachineArn"], input=json.dumps({"prefix": "parquet_files/"})
    )["executionArn"]
    [execution] = stack.wait_for([arn])
    assert execution["status"] == "FAILED"
    assert sfn.describe_execution(executionArn=arn)["error"] == "PrefixOutsideRawArea"


def test_an_outage_beyond_the_tolerance_fails_the_backfill_and_a_rerun_after_the_fix_lands_every_row(
    stack: Stack, cli: Cli, embedded_aws: EmbeddedAws
) -> None:
    # GIVEN 6 files in raw/ and Flatten failing with a system error on every call (an outage)
    load_raw_area(stack, {f"raw/outage/f{i}.json": orders_file(i) for i in range(6)})
    embedded_aws.faults.fail("FlattenOrdersFunction", "ConnectionResetError")
    try:
        # WHEN a backfill runs with 20 % of files tolerated, in batches of 2
        code, out, err = cli("backfill", "--batch-size", "2", "--tolerated-failure-percentage", "20", "--wait")
    finally:
        embedded_aws.faults.clear()
    # THEN it fails past the tolerance, exit 1, with nothing quarantined (an outage is no data error)
    assert code == 1
    assert "6 / 6 files processed (100 %), 6 failed" in err
    assert "FAILED: States.ExceedToleratedFailureThreshold" in out
    assert stack.keys("quarantine/") == [] and len(stack.keys("raw/outage/")) == 6
    assert crawls(stack) == 0
    # AND once the outage is over, a redrive of the failed backfill lands every row once, with one crawl
    [failed] = backfill_executions(stack)
    sfn = stack.client("stepfunctions")
    sfn.redrive_execution(executionArn=failed["executionArn"])
    [redriven] = stack.wait_for([failed["executionArn"]], timeout=120)
    assert redriven["status"] == "SUCCEEDED"
    summary = json.loads(sfn.describe_execution(executionArn=failed["executionArn"])["output"])["summary"]
    assert (summary["files"], summary["published"], summary["rows"], summary["failed"]) == (6, 6, 24, 0)
    assert stack.query("SELECT count(*), count(DISTINCT order_id || product_id) FROM orders") == [(24, 24)]
    assert crawls(stack) == 1


def test_without_wait_it_starts_the_backfill_and_says_how_to_follow_it(stack: Stack, cli: Cli) -> None:
    load_raw_area(stack, {"raw/nowait/f.json": orders_file(1)})
    code, out, _ = cli("backfill", "--prefix", "nowait/")
    assert code == 0
    [execution] = backfill_executions(stack)
    assert f"`orders-etl executions show {execution['executionArn']}` shows where it is" in out
    [ended] = stack.wait_for([execution["executionArn"]], timeout=60)
    assert ended["status"] == "SUCCEEDED"
    # AND that command shows the backfill's states
    code, out, _ = cli("executions", "show", execution["executionArn"])
    assert code == 0 and "Process every file" in out and "Summarize the backfill" in out


@pytest.fixture
def slow_file() -> Iterator[str]:
    """Validate and Flatten each take 160 s (of the embedded clock) on this key: one batch then takes > 5 min."""
    key = "raw/2025/slow.json"

    def take_a_while(function_name: str, event: Any) -> None:
        slow_steps = ("ValidateOrderFile", "FlattenOrders")
        if isinstance(event, dict) and event.get("key") == key and any(step in function_name for step in slow_steps):
            lambda_runtime.pause(160)  # counted in full against the call's Timeout, slept at the clock's scale

    lambda_runtime.add_before_invoke(take_a_while)
    try:
        yield key
    finally:
        lambda_runtime.remove_before_invoke(take_a_while)


@pytest.mark.slow  # 3-8 s: in `make test-slow` and .ci/run, to keep `make test` near 4 minutes
def test_a_batch_that_runs_longer_than_five_minutes_still_finishes(stack: Stack, cli: Cli, slow_file: str) -> None:
    # GIVEN three files in one batch, one of which takes 320 s to validate and flatten (an EXPRESS child workflow
    # lasts at most 300 s: its three files would all count as failed, and every redrive would time out again)
    load_raw_area(
        stack, {slow_file: orders_file(0), "raw/2025/a.json": orders_file(1), "raw/2025/b.json": orders_file(2)}
    )
    # WHEN they are backfilled
    code, out, err = cli("backfill", "--prefix", "2025/", "--batch-size", "3", "--wait")
    # THEN the batch finishes and every file is published
    assert code == 0, out + err
    assert "3 files, 3 published (12 rows), 0 quarantined, 0 skipped, 0 gone, 0 failed" in out
    assert stack.query("SELECT count(*) FROM orders") == [(12,)]


def test_a_backfill_of_an_empty_prefix_succeeds_with_nothing_to_do(stack: Stack, cli: Cli) -> None:
    # GIVEN nothing under raw/2030/ (moto's ItemReader failed the Map here with States.Runtime 'Contents')
    # WHEN it is backfilled THEN the map runs empty and the backfill says so
    code, out, err = cli("backfill", "--prefix", "2030/", "--wait")
    assert code == 0, out + err
    assert "0 files, 0 published (0 rows)" in out
    assert crawls(stack) == 0
