"""Smoke test of the benchmark harness: generated files are valid per the contract; the baseline runs on them."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from bench.generate import DEFAULT_DAYS, MANY_DATES_DAYS, Format, data_file_name, write_orders
from bench.original import run_original
from bench.run import MIB, RESULT_MARKER, BenchFile, Measurement, Run, _checks, _child, _fit_budget, _summary

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
    assert sum(len(order.rows) for order in validated) == info.rows


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


# Deploys a second embedded AWS in a child process (~9 s): with the slow tests, so make test stays near 4 min.
@pytest.mark.slow
def test_pipeline_bench_reports_validate_and_flatten_medians(tmp_path: Path) -> None:
    # GIVEN the pipeline benchmark on 4 tiny files, in its own process (it starts its own embedded AWS)
    import re
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    command = [sys.executable, "-m", "bench.pipeline", "--files", "4", "--warmup", "1", "--log", str(tmp_path / "log")]
    # WHEN it runs
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=300)
    # THEN it succeeds and its table has a row with numbers for each function that has a target (never a timing)
    assert done.returncode == 0, done.stdout + done.stderr
    for function, target in (("Validate", "40"), ("Flatten", "100")):
        row = rf"^{function}\s+3 \(\+1\)\s+\d+\.\d\s+\d+\.\d\s+{target}\s+(PASS|FAIL)$"
        assert re.search(row, done.stdout, re.MULTILINE), done.stdout
    assert "load average at start" in done.stdout and "load average at end" in done.stdout


def test_many_dates_variant_spreads_the_same_orders_over_more_days(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    # GIVEN the default file, the same with the default number of days spelled out, and the many-dates variant
    default = write_orders(tmp_path / "default.json", "json", TARGET, seed=5)
    spelled = write_orders(tmp_path / "spelled.json", "json", TARGET, seed=5, days=DEFAULT_DAYS)
    many = write_orders(tmp_path / "many.json", "json", TARGET, seed=5, days=MANY_DATES_DAYS)

    # THEN the default bytes do not depend on the new parameter (cached files stay valid), and names tell them apart
    assert spelled.path.read_bytes() == default.path.read_bytes()
    assert data_file_name(100, "json") == "orders-100MB.v1.json"
    assert data_file_name(100, "json", MANY_DATES_DAYS) == "orders-100MB-730d.v1.json"

    # AND the variant's orders fall on many more UTC dates, within MANY_DATES_DAYS of the start, and are valid
    def utc_dates(path: Path) -> set[str]:
        moments = (datetime.fromisoformat(str(order["order_date"])) for order in _orders(path, "json"))
        return {(m if m.tzinfo else m.replace(tzinfo=UTC)).astimezone(UTC).date().isoformat() for m in moments}

    assert len(utc_dates(default.path)) <= DEFAULT_DAYS
    dates = utc_dates(many.path)
    assert len(dates) > 5 * DEFAULT_DAYS
    span = datetime.fromisoformat(max(dates)) - datetime.fromisoformat(min(dates))
    assert span.days < MANY_DATES_DAYS
    assert len(read_order_file(many.path.read_bytes(), source_key="raw/many.json")) == many.orders


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_ceiling_and_project_children_write_the_same_rows_and_partitions(
    tmp_path: Path, fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a generated file over 60 days
    path = tmp_path / f"orders.{fmt}"
    info = write_orders(path, fmt, TARGET, seed=3, days=60)  # type: ignore[arg-type]

    # WHEN the ceiling and the project each run as bench.run's child does
    reports = {}
    for approach in ("ceiling", "project"):
        out = tmp_path / approach / "out"
        out.mkdir(parents=True)
        assert _child(approach, path, out) == 0
        marker = capsys.readouterr().out.splitlines()[-1]
        reports[approach] = json.loads(marker.removeprefix(RESULT_MARKER))["counts"]

    # THEN both write one row per product, in the same dt partitions, with the same columns
    assert reports["ceiling"]["rows"] == reports["project"]["rows"] == info.rows
    assert reports["ceiling"]["partitions"] == reports["project"]["partitions"] > 28
    ceiling_out, project_out = (tmp_path / approach / "out" for approach in ("ceiling", "project"))
    assert sorted(p.name for p in ceiling_out.glob("dt=*")) == sorted(p.name for p in project_out.glob("dt=*"))
    ceiling_columns = set(pq.read_schema(next(ceiling_out.glob("dt=*/*.parquet"))).names)
    project_columns = set(pq.read_schema(next(project_out.glob("dt=*/*.parquet"))).names)
    assert ceiling_columns == project_columns


def _bench_file(
    name: str, size_mb: int, fmt: Format, seconds: dict[str, float], *, days: int = DEFAULT_DAYS, measured: bool = True
) -> BenchFile:
    """A BenchFile planned 3 times per approach; measured: one made-up run each (RSS: 100 MiB a second)."""
    bench_file = BenchFile(Path(name), fmt, size_mb, list(seconds), days)
    for approach, value in seconds.items():
        runs = [Run(value, 0.1, int(value * 100 * MIB), {"rows": 10}, {})] if measured else []
        bench_file.measurements[approach] = Measurement(approach, 3, runs)
    return bench_file


def test_summary_has_one_row_per_file_with_issue_14_targets() -> None:
    # GIVEN made-up medians (no timing here): a 10 MB array at 4x, a 100 MB JSON Lines file at 4x (target 5x),
    # the many-dates file at 2.5x and a 2 GB file that only project and ceiling ran on, at 5,000 MiB of RSS
    files = [
        _bench_file("a10.json", 10, "json", {"original": 2.0, "project": 0.5, "ceiling": 0.25}),
        _bench_file("b100.jsonl", 100, "jsonl", {"original": 2.0, "project": 0.5, "ceiling": 0.5}),
        _bench_file("c100-730d.json", 100, "json", {"original": 2.5, "project": 1.0, "ceiling": 0.5}, days=730),
        _bench_file("d2GB.json", 2000, "json", {"project": 50.0, "ceiling": 25.0}),
    ]

    # WHEN the checks and the summary are made
    checks = _checks(files)
    text = _summary(files, checks, ["a note"])

    # THEN each file has its target and verdicts: speed where original ran, peak RSS on every file
    verdicts = {(c.file, c.kind): (c.target, c.passed) for c in checks}
    assert verdicts[("a10.json", "speed")] == (">= 3x original", True)
    assert verdicts[("b100.jsonl", "speed")] == (">= 5x original", False)
    assert verdicts[("c100-730d.json", "speed")] == (">= 2.5x original", True)
    assert ("d2GB.json", "speed") not in verdicts
    memory = [verdicts[(f.path.name, "memory")][1] for f in files]
    assert memory == [True, True, True, False]
    # AND the summary has one row per file: original s, project s, ceiling s, ratio, target, speed,
    # project/ceiling, project peak RSS MiB, memory
    rows = {
        line.split()[0]: line.split()[1:] for line in text.splitlines() if line.startswith(("  a", "  b", "  c", "  d"))
    }
    assert rows["a10.json"] == ["2.00", "0.50", "0.25", "4.00x", "3x", "PASS", "2.00x", "50", "PASS"]
    assert rows["b100.jsonl"][3:6] == ["4.00x", "5x", "FAIL"]
    assert rows["d2GB.json"] == ["-", "50.00", "25.00", "-", "-", "-", "2.00x", "5000", "FAIL"]
    assert "speed 2 of 3, memory 3 of 4" in text and "a note" in text


def test_budget_cuts_reference_first_on_the_largest_files_and_no_more_than_needed() -> None:
    # GIVEN a measured 10 MB file, and 100 and 500 MB files still to run, each approach planned 3 times
    times = {"original": 1.0, "reference": 2.0, "project": 0.5}
    done = _bench_file("a10.json", 10, "json", times)
    pending = [_bench_file(n, size, "json", times, measured=False) for n, size in (("b100", 100), ("c500", 500))]

    # WHEN the plan, projected from the 10 MB file at about 640 s, is over a 500 s budget
    notes = _fit_budget([done, *pending], pending, 0.0, 500.0)

    # THEN reference runs once on the 500 MB file, which is enough: nothing else is cut
    repeats = {(f.path.name, a): m.repeat for f in pending for a, m in f.measurements.items()}
    assert repeats == {(f, a): 1 if (f, a) == ("c500", "reference") else 3 for f in ("b100", "c500") for a in times}
    assert len(notes) == 1 and notes[0].startswith("reference runs once (not 3 times) on c500")
