"""A backfill of 1,000 generated files on the embedded AWS: every row once, one crawl, and the rate it ran at."""

from __future__ import annotations

import json
import re
import statistics
import time

import pytest

from embedded_aws import lambda_runtime
from support import Cli, Stack, order, product

FILES = 1000


def small_files() -> tuple[dict[str, bytes], int]:
    """1,000 files of 1 to 3 orders with 2 products each, over 10 folders and 28 dates; and their row count."""
    files: dict[str, bytes] = {}
    rows = 0
    for n in range(FILES):
        orders = [
            order(f"S{n}-{i}", f"2024-03-{1 + (n + i) % 28:02d}T08:00:00Z", product("A", 3.25, 1), product("B", 1, 2))
            for i in range(1 + n % 3)
        ]
        rows += 2 * len(orders)
        files[f"raw/history/{n % 10}/orders-{n:04d}.json"] = json.dumps(orders).encode()
    return files, rows


@pytest.mark.slow
def test_a_backfill_of_1000_files_lands_every_row_once_with_one_crawl(
    stack: Stack, cli: Cli, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN 1,000 files already in raw/ (uploaded with the per-file pipeline paused, as for a first adoption)
    files, expected_rows = small_files()
    stack.pause_pipeline()
    stack.upload(files)
    # WHEN they are backfilled with the stack's defaults (batches of 50, 20 batches at a time)
    lambda_runtime.handler_seconds.clear()
    started = time.monotonic()
    code, out, err = cli("backfill", "--prefix", "history/", "--wait", "--timeout", "1800")
    wall = time.monotonic() - started
    # THEN every file was published, every row is in the table once, and the crawler ran once
    assert code == 0, out[-3000:] + err
    assert f"{FILES} files, {FILES} published ({expected_rows} rows), 0 quarantined" in out
    assert stack.query("SELECT count(*), count(DISTINCT order_id || product_id), count(DISTINCT dt) FROM orders") == [
        (expected_rows, expected_rows, 28)
    ]
    crawls = stack.client("glue").list_crawls(CrawlerName=stack.outputs["CrawlerName"])["Crawls"]
    assert len(crawls) == 1
    progress = [int(m) for m in re.findall(r"^(\d+) / 1000 files processed", err, re.MULTILINE)]
    assert progress == sorted(progress) and progress[-1] == FILES
    rate = FILES / wall
    with capsys.disabled():  # the figures reach the terminal; the functions' logs stay captured
        print(f"\nbackfill: {FILES} files, {expected_rows} rows, {len(crawls)} crawl, {wall:.1f} s, {rate:.1f} files/s")
        # The handlers' own time per call, for the cost estimate in the README (billed duration on AWS)
        for function, seconds in sorted(lambda_runtime.handler_seconds.items()):
            name = function.rsplit("-", 1)[-1]
            print(f"  {name}: {len(seconds)} calls, median {1000 * statistics.median(seconds):.1f} ms")
