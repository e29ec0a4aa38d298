"""The DuckDB engine (orders_etl.engine) gives exactly what the reference (contract + flatten) gives."""

from __future__ import annotations

import gzip
import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings

from contract_strategies import files as contract_files
from orders_etl.contract import load_contract, read_order_file
from orders_etl.engine import SMALL_FILE_REASON, EngineSettings, flatten_order_file, scan_order_file
from orders_etl.errors import FileTooLarge, InvalidOrderFile
from orders_etl.flatten import flatten_records, table_schema

KEY = "raw/2025/orders.json"
MAX = 64 * 1024 * 1024
# DuckDB decides whenever it can, at any size: the fast path is what these tests compare with the reference.
FAST = EngineSettings(small_file_bytes=0)

# --- comparing outputs ---------------------------------------------------------------------------------------------


def engine_rows(tmp: Path, data: bytes) -> tuple[list[dict[str, Any]], Any]:
    source = tmp / "input"
    source.write_bytes(data)
    out = tmp / "out"
    result = flatten_order_file(source, out, source_key=KEY, max_bytes=MAX, workdir=tmp / "work", settings=FAST)
    rows = []
    for dt, files in result.parquet_files.items():
        for file in files:
            table = pq.read_table(file)
            assert table.schema.equals(table_schema()), table.schema
            rows += [{**row, "dt": dt} for row in table.to_pylist()]
    return sorted(rows, key=_row_key), result


def reference_rows(data: bytes) -> list[dict[str, Any]]:
    result = flatten_records(read_order_file(data, source_key=KEY, max_bytes=MAX), source_key=KEY)
    rows = [{**row, "dt": dt} for dt, table in result.partitions.items() for row in table.to_pylist()]
    return sorted(rows, key=_row_key)


def _row_key(row: dict[str, Any]) -> str:
    return json.dumps(row, default=str, sort_keys=True)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=contract_files(load_contract(), ordinary=False))
def test_engine_output_is_identical_to_the_reference(tmp_path_factory: Any, data: bytes) -> None:
    tmp = tmp_path_factory.mktemp("engine")
    # GIVEN random valid orders WHEN both implementations run THEN the rows, types and partitions are identical
    rows, result = engine_rows(tmp, data)
    assert rows == reference_rows(data)
    documents = read_order_file(data, source_key=KEY, max_bytes=MAX)
    assert result.summary.orders == len(documents)
    assert result.summary.orders_without_products == sum(1 for d in documents if not d.rows)
    assert result.summary.rows == len(rows)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=contract_files(load_contract(), ordinary=True))
def test_ordinary_orders_take_the_fast_path_with_identical_output(tmp_path_factory: Any, data: bytes) -> None:
    tmp = tmp_path_factory.mktemp("fast")
    rows, result = engine_rows(tmp, data)
    assert result.summary.engine == "duckdb"
    assert rows == reference_rows(data)


def test_ordinary_files_take_the_fast_path(tmp_path: Path) -> None:
    data = Path("events/orders/good_orders.json").read_bytes()
    rows, result = engine_rows(tmp_path, data)
    assert result.summary.engine == "duckdb"
    assert rows == reference_rows(data)
    assert result.summary.rows_by_date == {"2025-11-03": 3, "2025-11-04": 1}


def test_small_files_are_checked_by_the_reference_and_written_by_duckdb(tmp_path: Path) -> None:
    # GIVEN a file under the small-file size, and one over it
    small = Path("events/orders/good_orders.json").read_bytes()
    assert len(small) < EngineSettings().small_file_bytes
    # WHEN each is flattened with the default settings
    source = tmp_path / "small.json"
    source.write_bytes(small)
    result = flatten_order_file(source, tmp_path / "out", source_key=KEY, max_bytes=MAX, workdir=tmp_path / "work")
    larger = EngineSettings(small_file_bytes=len(small))
    fast = flatten_order_file(
        source, tmp_path / "fast", source_key=KEY, max_bytes=MAX, workdir=tmp_path / "work", settings=larger
    )
    # THEN the small one took the reference path, the other DuckDB's, and both wrote the same Parquet bytes
    assert (result.summary.engine, fast.summary.engine) == ("reference", "duckdb")
    assert result.summary.reason == SMALL_FILE_REASON
    assert result.summary.rows_by_date == fast.summary.rows_by_date == {"2025-11-03": 3, "2025-11-04": 1}
    for dt, files in result.parquet_files.items():
        assert [f.read_bytes() for f in files] == [f.read_bytes() for f in fast.parquet_files[dt]]
        # AND each file names the contract it was written under, so a backfill can find older versions' files
        metadata = pq.read_metadata(files[0]).metadata
        assert (metadata[b"contract"], metadata[b"contract_version"]) == (b"orders", b"1")


def test_a_kept_connection_holds_nothing_of_the_previous_file(tmp_path: Path) -> None:
    # GIVEN a valid file flattened, then an invalid one that DuckDB reads (on the same kept connection)
    good = tmp_path / "good.json"
    good.write_bytes(Path("events/orders/good_orders.json").read_bytes())
    bad = tmp_path / "bad.json"
    bad.write_bytes(order_file(total_amount="-1"))
    first = flatten_order_file(
        good, tmp_path / "a", source_key=KEY, max_bytes=MAX, workdir=tmp_path / "w1", settings=FAST
    )
    with pytest.raises(InvalidOrderFile):
        flatten_order_file(bad, tmp_path / "b", source_key=KEY, max_bytes=MAX, workdir=tmp_path / "w2", settings=FAST)
    # WHEN the valid file is flattened again
    again = flatten_order_file(
        good, tmp_path / "c", source_key=KEY, max_bytes=MAX, workdir=tmp_path / "w3", settings=FAST
    )
    # THEN it gives the same rows as the first time: nothing of the invalid file leaked in
    assert again.summary == first.summary
    assert not (tmp_path / "b").exists()


# --- invalid and unusual files: the same verdict and the same problems as the reference ----------------------------


def order_file(**fields: str) -> bytes:
    """A one-order array file; each keyword replaces that field's JSON text (`_` stands for nothing)."""
    document = {
        "order_id": "1",
        "order_date": '"2025-01-01"',
        "total_amount": "1",
        "customer": '{"customer_id": 1}',
        "products": "[]",
    } | fields
    return ("[{" + ", ".join(f'"{k}": {v}' for k, v in document.items() if v != "_") + "}]").encode()


def product_json(price: str = "1", quantity: str = "1") -> str:
    return f'[{{"product_id": 1, "price": {price}, "quantity": {quantity}}}]'


INVALID = {
    "price with three decimals": order_file(products=product_json(price="1.005")),
    "price as a string": order_file(products=product_json(price='"4.50"')),
    "null product": order_file(products="[null]"),
    "quantity not whole": order_file(products=product_json(quantity="2.5")),
    "bool id": order_file(order_id="true"),
    "whitespace-only id (ideographic space)": order_file(order_id='"\u3000"'),
    "impossible date": order_file(order_date='"2025-02-30"'),
    "hour 24": order_file(order_date='"2025-01-01T24:00:00Z"'),
    "negative money": order_file(total_amount="-1"),
    "money beyond DECIMAL(18,2)": order_file(total_amount="10000000000000000"),
    "digits a double cannot hold": order_file(total_amount="0.1000000000000000001"),
    # 18 significant digits, never 16 in a row: as a double it is 1234567.0, a valid amount
    "digits a double collapses across the point": order_file(total_amount="1234567.00000000001"),
    "NaN in an unknown field": order_file(extra="NaN"),
    'duplicate order_id 1 and "1"': order_file()[:-1] + b", " + order_file(order_id='"1"')[1:],
    "customer not an object": order_file(customer='"x"'),
    "products not an array": order_file(products="{}"),
    "missing customer_id": order_file(customer="{}"),
    "missing products": order_file(products="_"),
    "lone surrogate": order_file(order_id='"\\ud800"'),
    "syntax error": b'[{"order_id": 1,,}]',
    "not an object": b"[1, 2]",
    "empty array": b"[]",
    "empty file": b"",
    "top level string": b'"orders"',
    "deeply nested": b"[" * 100_000 + b"]" * 100_000,
    "invalid UTF-8": b'[{"order_id": "\xff"}]',
    "binary": bytes(range(256)) * 4,
    "truncated gzip": gzip.compress(order_file())[:-8],
    "JSON Lines with a bad line": order_file()[1:-1] + b'\n{"order_id": 2,\n',
}


@pytest.mark.parametrize("data", INVALID.values(), ids=INVALID.keys())
def test_invalid_files_get_the_reference_problems(tmp_path: Path, data: bytes) -> None:
    source = tmp_path / "input"
    source.write_bytes(data)
    with pytest.raises(InvalidOrderFile) as expected:
        read_order_file(data, source_key=KEY, max_bytes=MAX)
    # WHEN the engine validates it THEN it raises the same error with the same problems, positions included
    with pytest.raises(InvalidOrderFile) as raised:
        scan_order_file(source, source_key=KEY, max_bytes=MAX, workdir=tmp_path / "work", settings=FAST)
    assert raised.value.problems == expected.value.problems
    assert raised.value.total_problems == expected.value.total_problems
    # AND flatten writes nothing
    with pytest.raises(InvalidOrderFile):
        flatten_order_file(
            source, tmp_path / "out", source_key=KEY, max_bytes=MAX, workdir=tmp_path / "work", settings=FAST
        )
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.parquet"))


def test_values_beyond_the_fast_path_are_exact_through_the_reference(tmp_path: Path) -> None:
    # GIVEN money a double cannot hold exactly and an integer id beyond 64 bits
    data = order_file(
        order_id="123456789012345678901234567890",
        order_date='"2025-01-01T10:00:00.1234567Z"',
        total_amount="9999999999999999.99",
        products=product_json(price="99999999999999.99", quantity="9223372036854775807"),
    )
    rows, result = engine_rows(tmp_path, data)
    # THEN the reference decided, and the values are exact
    assert result.summary.engine == "reference"
    assert rows == reference_rows(data)
    assert rows[0]["order_id"] == "123456789012345678901234567890"
    assert rows[0]["total_amount"] == Decimal("9999999999999999.99")
    assert rows[0]["price"] == Decimal("99999999999999.99")


def test_files_over_the_limit_are_too_large_before_and_after_gunzip(tmp_path: Path) -> None:
    source = tmp_path / "input"
    source.write_bytes(b"[" + b" " * 2000 + b"]")
    with pytest.raises(FileTooLarge):
        scan_order_file(source, source_key=KEY, max_bytes=1000, workdir=tmp_path / "work", settings=FAST)
    source.write_bytes(gzip.compress(b"[" + b" " * 100_000 + b"]"))
    assert source.stat().st_size < 1000
    with pytest.raises(FileTooLarge):
        scan_order_file(source, source_key=KEY, max_bytes=1000, workdir=tmp_path / "work", settings=FAST)


def test_timestamps_are_utc_and_truncated_to_milliseconds(tmp_path: Path) -> None:
    data = order_file(order_date='"2025-01-01T23:30:00.999999-02:00"', products=product_json())
    rows, result = engine_rows(tmp_path, data)
    assert result.summary.engine == "duckdb"
    assert rows[0]["dt"] == "2025-01-02"
    assert rows[0]["order_date"].isoformat() == "2025-01-02T01:30:00.999000+00:00"
    assert rows[0]["order_date"].tzinfo is not None and rows[0]["order_date"].utcoffset() == timedelta(0)
    assert table_schema().field("order_date").type == pa.timestamp("us", tz="UTC")


def test_a_single_huge_line_is_handled(tmp_path: Path) -> None:
    # GIVEN one JSON Lines order whose name is 20 MB
    big = "x" * (20 * 1024 * 1024)
    data = order_file(customer=f'{{"customer_id": 1, "name": "{big}"}}', products=product_json())[1:-1] + b"\n"
    # WHEN flattened THEN the row is exact
    rows, _ = engine_rows(tmp_path, data)
    assert rows == reference_rows(data)
    assert len(rows) == 1 and rows[0]["customer_name"] == big
    # AND a huge line of garbage is a problem at that line, not a crash
    source = tmp_path / "garbage.jsonl"
    source.write_bytes(b"{" + b"x" * (20 * 1024 * 1024) + b"\n")
    with pytest.raises(InvalidOrderFile) as raised:
        scan_order_file(source, source_key=KEY, max_bytes=MAX, workdir=tmp_path / "work", settings=FAST)
    assert raised.value.problems[0].position == "line 1"


def test_a_duckdb_failure_falls_back_to_the_reference_and_says_why(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # GIVEN a DuckDB memory limit too small to read anything
    source = tmp_path / "input"
    source.write_bytes(Path("events/orders/good_orders.json").read_bytes())
    # WHEN the file is validated
    with caplog.at_level("WARNING", logger="orders_etl.engine"):
        summary = scan_order_file(
            source,
            source_key=KEY,
            max_bytes=MAX,
            workdir=tmp_path / "work",
            settings=EngineSettings(memory_limit="1KB", small_file_bytes=0),
        )
    # THEN the reference validated it, and the fallback is visible in the summary and the log
    assert (summary.engine, summary.orders, summary.rows) == ("reference", 3, 4)
    assert summary.reason.startswith("DuckDB: Out of Memory")
    assert any("reference path: DuckDB" in r.getMessage() for r in caplog.records)


def test_an_invalid_file_is_not_reported_as_a_duckdb_failure(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    source = tmp_path / "input"
    source.write_bytes(order_file(total_amount="-1"))
    with caplog.at_level("WARNING", logger="orders_etl.engine"), pytest.raises(InvalidOrderFile):
        scan_order_file(source, source_key=KEY, max_bytes=MAX, workdir=tmp_path / "work", settings=FAST)
    assert not caplog.records


@pytest.mark.parametrize(
    ("text", "uncertain"),
    [
        (b'"note": "' + b"." * 500 + b'"', False),  # a string of dots holds no number
        (b'"version": "1.2.3.4.5.6.7.8.9.1.2.3.4.5"', False),  # 14 digits among points
        (b'"total_amount": 1234567.00000000001', True),  # 18 digits: the double 1234567.0
        (b'"total_amount": 123456789012345.6', True),  # 16 digits: more than a double holds exactly
        (b'"total_amount": 12345678901234.5', False),  # 15 digits: exact in a double
        (b'"order_id": 1234567890123456', False),  # a JSON integer of 16 digits: read exactly
    ],
)
@pytest.mark.parametrize("chunk", [7, 8 * 1024 * 1024])  # runs and tokens cut by a chunk's end, or whole
def test_the_byte_scan_doubts_numbers_of_16_digits_or_more_point_or_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: bytes, uncertain: bool, chunk: int
) -> None:
    import orders_etl.engine as engine

    monkeypatch.setattr(engine, "_CHUNK", chunk)
    path = tmp_path / "file.json"
    path.write_bytes(b'[{"a": 1, ' + text + b"}]")
    assert engine._has_uncertain_bytes(path) is uncertain


def test_a_connection_that_spilled_is_replaced_when_the_next_use_spills_elsewhere(tmp_path: Path) -> None:
    # GIVEN a kept connection that spilled to disk under one file's scratch folder
    from orders_etl.engine import _connection

    tight = EngineSettings(memory_limit="20MB", threads=1)
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir(), second.mkdir()
    with _connection(first, tight) as connection:
        connection.execute("SELECT count(*) FROM (SELECT * FROM range(3000000) t(i) ORDER BY hash(i))").fetchall()
    # WHEN the next file (or the same file's reference path) needs one spilling under another folder
    with _connection(second, tight) as reused:
        spill = reused.execute("SELECT current_setting('temp_directory')").fetchone()[0]
    # THEN it gets one (DuckDB refuses to switch a used temporary directory: a new connection, not a failure)
    assert spill == str(second / "duckdb-spill")
