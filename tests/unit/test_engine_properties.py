"""The engine agrees with the reference on files generated from each contract (tests/contract_strategies.py): the
same rows or the same problems for any file; the fast path for ordinary files; the reference's problems for a file
that breaks one rule."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contract_strategies import files
from orders_etl.contract import read_order_file
from orders_etl.contract.spec import Contract, load_contract
from orders_etl.engine import EngineSettings, FlattenedFile, flatten_order_file
from orders_etl.errors import InvalidOrderFile
from orders_etl.flatten import flatten_records, table_schema

KEY = "raw/2025/generated.json"
MAX = 64 * 1024 * 1024
FAST = EngineSettings(small_file_bytes=0)  # DuckDB decides at any size: the fast path is what is compared
CONTRACTS = {
    "orders": load_contract(),
    "marketplace_orders": load_contract("marketplace_orders"),
}
each_contract = pytest.mark.parametrize("name", CONTRACTS)  # by name: a failing example shows the name, not a repr
HYPOTHESIS = {"deadline": None, "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]}


# --- what each side makes of a file: ("rows", rows with their partition, counts) or ("problems", problems, total) ---
# Rows are compared in order: by partition, then as in the file (the engine keeps the file's order).


def reference_outcome(data: bytes, contract: Contract) -> tuple[Any, ...]:
    try:
        found = read_order_file(data, source_key=KEY, max_bytes=MAX, contract=contract)
    except InvalidOrderFile as invalid:
        return ("problems", invalid.problems, invalid.total_problems)
    result = flatten_records(found, source_key=KEY, contract=contract)
    rows = [
        row | {contract.partition_column: dt} for dt, table in result.partitions.items() for row in table.to_pylist()
    ]
    by_partition = {dt: table.num_rows for dt, table in result.partitions.items()}
    return ("rows", rows, (result.orders, result.rows, result.orders_without_products, by_partition))


def engine_outcome(tmp: Path, data: bytes, contract: Contract) -> tuple[Any, ...]:
    try:
        result = flatten_file(tmp, data, contract, FAST)
    except InvalidOrderFile as invalid:
        assert not (tmp / "out").exists() or not any((tmp / "out").rglob("*.parquet")), "an invalid file was written"
        return ("problems", invalid.problems, invalid.total_problems)
    return written_outcome(result, contract)


def written_outcome(result: FlattenedFile, contract: Contract) -> tuple[Any, ...]:
    summary = result.summary
    rows = []
    for dt, parquet_files in result.parquet_files.items():
        for file in parquet_files:
            table = pq.read_table(file)
            assert table.schema.names == list(contract.column_names())
            assert table.schema.equals(table_schema(contract)), table.schema
            rows += [row | {contract.partition_column: dt} for row in table.to_pylist()]
    counts = (summary.orders, summary.rows, summary.orders_without_products, summary.rows_by_date)
    return ("rows", rows, counts)


def flatten_file(tmp: Path, data: bytes, contract: Contract, engine: EngineSettings) -> FlattenedFile:
    tmp.mkdir(parents=True, exist_ok=True)
    source = tmp / "input"
    source.write_bytes(data)
    return flatten_order_file(
        source, tmp / "out", source_key=KEY, max_bytes=MAX, workdir=tmp / "work", settings=engine, contract=contract
    )


# --- the properties -----------------------------------------------------------------------------------------------


@pytest.mark.slow  # ~5 s each on a worker; make test has test_engine's and test_engine_sql's properties
@each_contract
@settings(max_examples=60, **HYPOTHESIS)
@given(data=st.data())
def test_any_file_gives_the_reference_s_rows_or_problems(tmp_path_factory: Any, name: str, data: Any) -> None:
    contract = CONTRACTS[name]
    # GIVEN any file of the contract: valid (with values the fast path leaves to the reference) or breaking one rule
    content = data.draw(st.one_of(files(contract, ordinary=False), files(contract, ordinary=True, invalid=True)))
    # WHEN the engine flattens it, trying the fast path
    outcome = engine_outcome(tmp_path_factory.mktemp("any"), content, contract)
    # THEN it writes the reference's rows, typed, in the reference's partitions, with its counts; or it raises the
    # reference's problems, positions included
    assert outcome == reference_outcome(content, contract)


@pytest.mark.slow  # ~5 s each on a worker; make test has test_engine's and test_engine_sql's properties
@each_contract
@settings(max_examples=40, **HYPOTHESIS)
@given(data=st.data())
def test_ordinary_files_take_the_fast_path_and_write_the_reference_s_parquet(
    tmp_path_factory: Any, name: str, data: Any
) -> None:
    contract = CONTRACTS[name]
    # GIVEN a valid file holding nothing the fast path hands to the reference by design
    content = data.draw(files(contract, ordinary=True))
    tmp = tmp_path_factory.mktemp("ordinary")
    # WHEN the engine flattens it, once at any size and once with the reference deciding
    fast = flatten_file(tmp / "fast", content, contract, FAST)
    reference = flatten_file(tmp / "reference", content, contract, EngineSettings(small_file_bytes=MAX + 1))
    # THEN the fast path decided, with the reference's rows and counts
    assert (fast.summary.engine, fast.summary.reason) == ("duckdb", "")
    assert written_outcome(fast, contract) == reference_outcome(content, contract)
    # AND both paths gave the same summary and wrote the same Parquet bytes
    assert fast.summary == replace(reference.summary, engine="duckdb", reason="")
    assert list(fast.parquet_files) == list(reference.parquet_files)
    for partition, parquet_files in fast.parquet_files.items():
        assert [f.read_bytes() for f in parquet_files] == [f.read_bytes() for f in reference.parquet_files[partition]]


@pytest.mark.slow  # ~5 s each on a worker; make test has test_engine's and test_engine_sql's properties
@each_contract
@settings(max_examples=60, **HYPOTHESIS)
@given(data=st.data())
def test_a_file_breaking_one_rule_is_refused_with_the_reference_s_problems(
    tmp_path_factory: Any, name: str, data: Any
) -> None:
    contract = CONTRACTS[name]
    # GIVEN an ordinary file with one rule of one field broken once
    content = data.draw(files(contract, ordinary=True, invalid=True))
    # WHEN the engine flattens it THEN it raises the reference's one problem and writes nothing
    outcome = engine_outcome(tmp_path_factory.mktemp("invalid"), content, contract)
    assert outcome == reference_outcome(content, contract)
    assert outcome[0] == "problems" and outcome[2] == 1, outcome


# --- the disagreements the properties found, minimised: each fails until its cause is fixed ------------------------

FOUND = {
    # rules.py names a record's partition with strftime("%Y-%m-%d"), which glibc does not pad below the year 1000
    # ("2-01-01"); DuckDB names it "0002-01-01" (the folder both paths write, and the fast path's rows_by_date).
    "a partition before the year 1000": (
        "orders",
        b'[{"order_id": 0, "order_date": "0002-01-01", "total_amount": 0, "customer": {"customer_id": 0}, '
        b'"products": [{"product_id": 0, "price": 0, "quantity": 1}]}]',
    ),
    "a partition before the year 1000, second shape": (
        "marketplace_orders",
        b'[{"order_ref": 0, "placed_at": "0999-12-31T23:00:00+01:00", "currency": "", "buyer": {"buyer_id": 0}, '
        b'"items": [{"sku": 0, "unit_price": 0, "units": 1}]}]',
    ),
    # A JSON integer of 16 digits above 2^53 passes the byte scan (runs of 17 go to the reference) and the rule
    # (judged exactly, as HUGEINT), but engine_sql._typed writes it through DOUBLE: 9007199254740992.
    "an integer of 16 digits above 2^53": (
        "orders",
        b'[{"order_id": 0, "order_date": "2025-01-01", "total_amount": 0, "customer": {"customer_id": 0}, '
        b'"products": [{"product_id": 0, "price": 0, "quantity": 9007199254740993}]}]',
    ),
}


@pytest.mark.parametrize(("name", "content"), FOUND.values(), ids=FOUND.keys())
def test_the_files_the_properties_found_give_the_reference_s_rows(tmp_path: Path, name: str, content: bytes) -> None:
    contract = CONTRACTS[name]
    assert engine_outcome(tmp_path, content, contract) == reference_outcome(content, contract)
