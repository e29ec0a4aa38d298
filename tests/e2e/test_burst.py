"""A burst of 200 uploads, mixed sizes, some bad: nothing lost, nothing doubled, crawls shared."""

from __future__ import annotations

import json
import random
import time
from collections import Counter

import pytest

from embedded_aws.server import EmbeddedAws
from support import Stack, order, product

FILES = 200
BAD_EVERY = 10  # every 10th file is bad, in one of the ways below


def burst() -> tuple[dict[str, bytes], int, set[str], set[str]]:
    """(files, rows the good ones hold, the bad keys, the dates of the good rows)."""
    chance = random.Random(6)
    files: dict[str, bytes] = {}
    rows, bad, dates = 0, set(), set()
    bad_bodies = [b"", b"not json at all", b'{"orders": "not a list"}', json.dumps([order("X", "yesterday")]).encode()]
    for n in range(FILES):
        key = f"raw/burst/{n % 7}/file-{n:03d}.json"
        if n % BAD_EVERY == BAD_EVERY - 1:
            files[key] = bad_bodies[(n // BAD_EVERY) % len(bad_bodies)]
            bad.add(key)
            continue
        orders = []
        for i in range(chance.choice([1, 2, 5, 20, 80])):  # 1 to 80 orders: a few hundred bytes to ~20 KB
            date = f"2025-07-{1 + chance.randrange(28):02d}"
            products = [product(f"P{p}", 2.5, 1 + p) for p in range(chance.randrange(4))]
            rows += len(products)  # an order without products has no row (it is counted in the summary)
            if products:
                dates.add(date)
            orders.append(order(f"{n}-{i}", f"{date}T10:00:00Z", *products))
        files[key] = json.dumps(orders).encode()
    return files, rows, bad, dates


@pytest.mark.slow
def test_a_burst_of_200_files_lands_every_good_row_once_and_quarantines_every_bad_file(
    stack: Stack, embedded_aws: EmbeddedAws, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN the stack checking crawls every 60 s (0.6 s here), up to 1,000 times: the embedded AWS runs in one
    # process and compresses waits but not the crawls' own work, so 200 executions polling every 0.3 s would spend
    # the burst slowing the crawls they wait for, and 40 polls would not cover a crawl of the whole burst
    embedded_aws.reset()
    parameters = {"CrawlPollIntervalSeconds": "60", "CrawlPollLimit": "1000"}
    stack.outputs = embedded_aws.deploy(parameter_overrides=parameters)
    files, expected_rows, bad, dates = burst()

    # WHEN 200 files are uploaded within a few seconds
    started = time.monotonic()
    executions = stack.run(files, timeout=900)
    wall = time.monotonic() - started

    # THEN no execution is left running, the good ones succeeded and the bad ones ended with their data error
    outcomes = Counter((stack.source_key(e), e["status"], stack.describe(e).get("error")) for e in executions)
    expected = {(key, "FAILED", "InvalidOrderFile") if key in bad else (key, "SUCCEEDED", None) for key in files}
    assert set(outcomes) == expected, sorted(set(outcomes) - expected)[:10]
    # AND every good row is in the table exactly once
    [(count, distinct)] = stack.query(
        "SELECT COUNT(*), COUNT(DISTINCT order_id || '/' || coalesce(product_id, '-')) FROM orders"
    )
    assert count == distinct == expected_rows
    # AND every bad file is in quarantine with its report, and nothing is left in raw/ but the good files
    quarantined = set(stack.keys("quarantine/"))
    for key in bad:
        moved = key.replace("raw/", "quarantine/", 1)
        assert {moved, moved + ".error.json"} <= quarantined
    assert set(stack.keys("raw/")) == set(files) - bad
    # AND every date in the data is a partition of the Glue table
    glue = stack.client("glue")
    database = stack.outputs["GlueDatabaseName"]
    partitions = {p["Values"][0] for p in glue.get_partitions(DatabaseName=database, TableName="orders")["Partitions"]}
    assert partitions == dates
    # AND the crawls were shared: far fewer than the files, never none
    crawls = len(glue.list_crawls(CrawlerName=stack.outputs["CrawlerName"])["Crawls"])
    with capsys.disabled():  # the figures reach the terminal; the functions' logs stay captured
        print(f"\nburst: {FILES} files ({len(bad)} bad), {expected_rows} rows, {crawls} crawls, {wall:.1f} s wall")
    assert 1 <= crawls <= FILES // 4
