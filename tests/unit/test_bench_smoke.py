"""Smoke test of the benchmark harness: generated files are valid per the contract; the baseline runs on them."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from bench.generate import write_orders
from bench.original import run_original

from orders_etl.contract import read_order_file

TARGET = 200_000


def _orders(path: Path, fmt: str) -> list[dict[str, object]]:
    text = path.read_text(encoding="utf-8")
    if fmt == "json":
        data: list[dict[str, object]] = json.loads(text)
        return data
    return [json.loads(line) for line in text.split("\n") if line.strip()]


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_generated_file_is_exact_deterministic_and_valid(tmp_path: Path, fmt: str) -> None:
    # GIVEN a ~200 KB file written by the generator
    path = tmp_path / f"orders.{fmt}"
    info = write_orders(path, fmt, TARGET, seed=7)  # type: ignore[arg-type]

    # THEN it has exactly the requested size, and the same seed gives the same bytes
    assert path.stat().st_size == TARGET == info.bytes
    again = tmp_path / f"again.{fmt}"
    write_orders(again, fmt, TARGET, seed=7)  # type: ignore[arg-type]
    assert again.read_bytes() == path.read_bytes()

    # AND it parses as plain JSON, with unique order ids of both kinds and the expected number of products
    orders = _orders(path, fmt)
    ids = [order["order_id"] for order in orders]
    assert len(orders) == info.orders
    assert len({str(order_id) for order_id in ids}) == len(ids)
    assert {type(order_id) for order_id in ids} == {str, int}
    assert sum(len(order["products"]) for order in orders) == info.rows  # type: ignore[arg-type]

    # AND the project's contract accepts it
    validated = read_order_file(path.read_bytes(), source_key=f"raw/bench/orders.{fmt}")
    assert len(validated) == info.orders
    assert sum(len(order.products) for order in validated) == info.rows


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_original_approach_writes_one_row_per_product(tmp_path: Path, fmt: str) -> None:
    # GIVEN a generated file
    path = tmp_path / f"orders.{fmt}"
    info = write_orders(path, fmt, TARGET, seed=11)  # type: ignore[arg-type]

    # WHEN the original approach runs on it
    counts = run_original(path, tmp_path / "out")

    # THEN out.parquet holds one row per product
    table = pq.read_table(tmp_path / "out" / "out.parquet")
    assert table.num_rows == info.rows == counts["rows"]
    assert {"order_id", "customer_id", "product_id", "price", "quantity"} <= set(table.column_names)


@pytest.mark.parametrize("fmt", ["json", "jsonl", "jsonl.gz"])
def test_worst_case_files_take_the_reference_path_as_intended(tmp_path: Path, fmt: str) -> None:
    from bench.worst_case import content_bytes, variant_file

    from orders_etl.engine import scan_order_file
    from orders_etl.errors import InvalidOrderFile

    def scan(variant: str) -> str:
        path = variant_file(tmp_path, 1, variant, fmt)
        assert 0.99 < content_bytes(path) / 1024**2 < 1.01  # 1 MiB of content, gzipped or not
        try:
            return scan_order_file(path, source_key="raw/w", max_bytes=2**30, workdir=tmp_path / "work").engine
        except InvalidOrderFile:
            return "rejected"

    # a 16-digit number: valid, but only the reference can vouch for it; NaN and a late bad order: rejected
    assert scan("digits16") == "reference"
    assert [scan(variant) for variant in ("nan", "late_bad", "all_bad")] == ["rejected"] * 3


def test_small_files_are_valid_and_both_approaches_time_them(tmp_path: Path) -> None:
    # GIVEN a small file of exactly 3 orders, as bench.small_files writes them
    from bench.generate import write_order_count
    from bench.small_files import _time_calls

    info = write_order_count(tmp_path / "small.json", 3)
    assert info.orders == 3 and len(read_order_file(info.path.read_bytes(), source_key="raw/small.json")) == 3
    # WHEN each approach is timed twice THEN it reports two positive durations (after its warm-up call)
    for approach in ("original", "project"):
        seconds = _time_calls(approach, info.path, 2)
        assert len(seconds) == 2 and all(s > 0 for s in seconds)
