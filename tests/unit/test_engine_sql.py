"""The engine's SQL comes from the contract: a second shape (the shipped example, marketplace_orders) written by the
fast path with exact types (the bytes the reference's path writes), every rule of every type judged invalid on the
fast path (so the reference decides and reports the problems), and a contract whose names could clash with the
SQL's own."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings

from contract_strategies import files as contract_files
from marketplace import MARKETPLACE, marketplace_order
from orders_etl.contract import read_order_file
from orders_etl.contract.spec import Contract, load_contract
from orders_etl.engine import (
    EngineSettings,
    FlattenedFile,
    _connect,
    _copy_partitioned,
    _source,
    flatten_order_file,
    scan_order_file,
)
from orders_etl.engine_sql import reference_rows_query, rows_query, verdicts_query
from orders_etl.errors import InvalidOrderFile, Problem

CONTRACT = MARKETPLACE
KEY = "raw/marketplace/2025-09-01.json"
MAX = 64 * 1024 * 1024
FAST = EngineSettings(small_file_bytes=0)  # DuckDB decides at any size


def an_item(**changes: Any) -> dict[str, Any]:
    """A valid line item; a change to ... removes the field."""
    item: dict[str, Any] = {"sku": "S-1", "unit_price": 9.995, "units": 3} | changes
    return {name: value for name, value in item.items() if value is not ...}


def an_order(**changes: Any) -> dict[str, Any]:
    """A valid marketplace order with microseconds and two items, the second at the ends of its bounds."""
    items = [an_item(), an_item(sku=2, unit_price=0, units=1000)]
    return marketplace_order(**{"placed_at": "2025-09-01T22:30:00.123456-03:00", "items": items} | changes)


_RAW = "\x00raw:"
_RAW_JSON = re.compile(r'"\\u0000raw:([^"]*)"')


def raw(number: str) -> str:
    """A number written verbatim into the file (json.dumps writes 1e3 as 1000.0)."""
    return _RAW + number


def to_json(record: Any) -> str:
    return _RAW_JSON.sub(r"\1", json.dumps(record, ensure_ascii=False))


def array_file(*records: Any) -> bytes:
    return ("[" + ", ".join(to_json(record) for record in records) + "]").encode()


def lines_file(*records: Any) -> bytes:
    return "".join(to_json(record) + "\n" for record in records).encode()


def fast_verdict(tmp_path: Path, data: bytes, contract: Contract = CONTRACT) -> str:
    """What the fast path's SQL makes of a file: "valid", "invalid" (a rule failed: the reference decides) or
    "rejected" (DuckDB refused the text: the reference decides)."""
    source = tmp_path / "input.json"
    source.write_bytes(data)
    fmt = "array" if data.lstrip()[:1] == b"[" else "newline_delimited"
    connection = _connect(FAST)
    try:
        rows = rows_query(_source(connection, source, fmt, contract), contract)
        records, invalid, _, repeated, invalid_rows, _ = connection.execute(verdicts_query(rows, contract)).fetchone()
    except duckdb.Error:
        return "rejected"
    finally:
        connection.close()
    return "valid" if records and not (invalid or repeated or invalid_rows) else "invalid"


def flatten(
    tmp_path: Path, data: bytes, contract: Contract = CONTRACT, settings: EngineSettings = FAST
) -> FlattenedFile:
    tmp_path.mkdir(exist_ok=True)
    source = tmp_path / "input.json"
    source.write_bytes(data)
    return flatten_order_file(
        source,
        tmp_path / "out",
        source_key=KEY,
        max_bytes=MAX,
        workdir=tmp_path / "work",
        settings=settings,
        contract=contract,
    )


def engine_problems(tmp_path: Path, data: bytes) -> list[Problem]:
    """The problems the engine reports for an invalid file (the reference's, once the fast path deferred)."""
    source = tmp_path / "scanned.json"
    source.write_bytes(data)
    with pytest.raises(InvalidOrderFile) as raised:
        scan_order_file(
            source, source_key=KEY, max_bytes=MAX, workdir=tmp_path / "work", settings=FAST, contract=CONTRACT
        )
    return raised.value.problems


def reference_problems(data: bytes) -> list[Problem]:
    with pytest.raises(InvalidOrderFile) as raised:
        read_order_file(data, source_key=KEY, contract=CONTRACT)
    return raised.value.problems


def parquet_rows(result: FlattenedFile) -> list[dict[str, Any]]:
    return [row for files in result.parquet_files.values() for file in files for row in pq.read_table(file).to_pylist()]


# --- a valid file: the fast path writes the contract's columns, in order, with exact types ---------------------------


def test_a_valid_file_is_written_by_the_fast_path_with_the_contract_s_columns_and_types(tmp_path: Path) -> None:
    # GIVEN a full order, one with every optional value absent or null, and one without items
    data = array_file(
        an_order(),
        an_order(
            order_ref=2, gift=..., discount=None, shipping=..., delivery_date=None, items=[an_item(units=raw("5.0"))]
        ),
        an_order(order_ref="M-3", placed_at="2025-09-03", gift=False, shipping=None, items=[]),
    )
    # WHEN it is flattened
    result = flatten(tmp_path, data)
    # THEN DuckDB decided, and counted every order
    assert result.summary.engine == "duckdb"
    assert (result.summary.orders, result.summary.rows, result.summary.orders_without_products) == (3, 3, 1)
    assert result.summary.rows_by_date == {"2025-09-02": 3}
    assert list(result.parquet_files) == ["2025-09-02"]
    # AND the Parquet holds the contract's columns in its order, typed by the contract
    [file] = result.parquet_files["2025-09-02"]
    assert file.parent.name == "dt=2025-09-02"
    schema = pq.read_schema(file)
    assert schema.names == list(CONTRACT.column_names())
    assert [schema.field(name).type for name in ("placed_at", "gift", "discount", "delivery_date")] == [
        pa.timestamp("us", tz="UTC"),
        pa.bool_(),
        pa.decimal128(12, 3),
        pa.date32(),
    ]
    assert [schema.field(name).type for name in ("order_ref", "buyer_id", "shipping_city", "unit_price", "units")] == [
        pa.string(),
        pa.string(),
        pa.string(),
        pa.decimal128(12, 3),
        pa.int64(),
    ]
    # AND the values are exact: UTC timestamps truncated to milliseconds, decimals at the scale, NULL when absent
    placed = datetime(2025, 9, 2, 1, 30, 0, 123000, tzinfo=UTC)
    full = {
        "order_ref": "M-1",
        "placed_at": placed,
        "currency": "EUR",
        "gift": True,
        "discount": Decimal("-1.250"),
        "buyer_id": "77",
        "shipping_method": "post",
        "shipping_city": "Lyon",
        "shipping_postcode": "69001",
        "shipping_country": "FR",
        "delivery_date": date(2025, 9, 5),
        "source_key": KEY,
    }
    minimal = full | {"order_ref": "2", "gift": None, "discount": None, "delivery_date": None}
    minimal |= dict.fromkeys(["shipping_method", "shipping_city", "shipping_postcode", "shipping_country"])
    assert parquet_rows(result) == [
        full | {"sku": "S-1", "unit_price": Decimal("9.995"), "units": 3},
        full | {"sku": "2", "unit_price": Decimal("0.000"), "units": 1000},
        minimal | {"sku": "S-1", "unit_price": Decimal("9.995"), "units": 5},
    ]


def test_json_lines_and_several_partitions_take_the_fast_path_too(tmp_path: Path) -> None:
    data = lines_file(an_order(), an_order(order_ref="M-2", placed_at="2025-09-03T00:00:00Z"))
    result = flatten(tmp_path, data)
    assert result.summary.engine == "duckdb"
    assert result.summary.rows_by_date == {"2025-09-02": 2, "2025-09-03": 2}
    assert {row["order_ref"] for row in parquet_rows(result)} == {"M-1", "M-2"}


def test_the_reference_s_text_rows_are_cast_to_the_same_parquet(tmp_path: Path) -> None:
    # GIVEN an order, flattened by the fast path
    fast = flatten(tmp_path, array_file(an_order(shipping={"address": {"city": "Lyon", "country": 33}})))
    # AND the reference's rows for it: each column's exact value as text, or null
    text_rows = [
        {
            "order_ref": "M-1",
            "placed_at": "2025-09-02T01:30:00.123+00:00",
            "currency": "EUR",
            "gift": "true",
            "discount": "-1.250",
            "buyer_id": "77",
            "shipping_method": None,
            "shipping_city": "Lyon",
            "shipping_postcode": None,
            "shipping_country": "33",
            "delivery_date": "2025-09-05",
            "sku": sku,
            "unit_price": price,
            "units": units,
        }
        for sku, price, units in (("S-1", "9.995", "3"), ("2", "0.000", "1000"))
    ]
    rows_path = tmp_path / "reference-rows.jsonl"
    rows_path.write_text(lines_file(*text_rows).decode())
    # WHEN DuckDB writes them
    connection = _connect(FAST)
    try:
        query = reference_rows_query(rows_path, KEY, CONTRACT)
        files = _copy_partitioned(connection, query, tmp_path / "reference", CONTRACT)
    finally:
        connection.close()
    # THEN the Parquet is the fast path's, byte for byte
    assert list(files) == list(fast.parquet_files) == ["2025-09-02"]
    assert [f.read_bytes() for f in files["2025-09-02"]] == [f.read_bytes() for f in fast.parquet_files["2025-09-02"]]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=contract_files(CONTRACT, ordinary=True))
def test_random_valid_orders_of_the_second_shape_take_the_fast_path_with_the_reference_s_bytes(
    tmp_path_factory: Any, data: bytes
) -> None:
    tmp = tmp_path_factory.mktemp("marketplace")
    fast = flatten(tmp / "fast", data)
    # (the decompressed size decides a gzip file's path: only a limit beyond any file sends it to the reference)
    reference = flatten(tmp / "reference", data, settings=EngineSettings(small_file_bytes=MAX + 1))
    assert (fast.summary.engine, reference.summary.engine) == ("duckdb", "reference")
    assert fast.summary == replace(reference.summary, engine="duckdb", reason="")
    assert list(fast.parquet_files) == list(reference.parquet_files)
    for partition, files in fast.parquet_files.items():
        assert [f.read_bytes() for f in files] == [f.read_bytes() for f in reference.parquet_files[partition]]


# --- every rule of every type: the other side of each bound is invalid on the fast path ---------------------------

ACCEPTED = {
    "identifier as an integer": an_order(order_ref=0),
    "identifier as a negative integer": an_order(order_ref=-5),
    "identifier with text around spaces": an_order(order_ref=" M "),
    "timestamp as a date": an_order(placed_at="2025-09-01"),
    "timestamp with a space and no seconds": an_order(placed_at="2025-09-01 10:00"),
    "timestamp with microseconds and Z": an_order(placed_at="2025-09-01T10:00:00.999999Z"),
    "text empty": an_order(currency=""),
    "optional boolean false": an_order(gift=False),
    "optional boolean null": an_order(gift=None),
    "optional boolean absent": an_order(gift=...),
    "money at the lowest (no minimum: minus the column's largest)": an_order(discount=-999999999.999),
    "money at the column's largest": an_order(discount=999999999.999),
    "money whole": an_order(discount=7),
    "money written 1.5e2": an_order(discount=raw("1.5e2")),
    "money written 1.250": an_order(discount=raw("1.250")),
    "money -0": an_order(discount=raw("-0")),
    "optional money absent": an_order(discount=...),
    "required object with every value": an_order(buyer={"buyer_id": "B"}),
    "optional object absent": an_order(shipping=...),
    "optional object null": an_order(shipping=None),
    "optional object without its optional values": an_order(shipping={"address": {"city": "X", "country": 1}}),
    "optional value of a present object null": an_order(
        shipping={"method": None, "address": {"city": "X", "country": 1}}
    ),
    "date in a leap year": an_order(delivery_date="2024-02-29"),
    "optional date absent": an_order(delivery_date=...),
    "rows array empty": an_order(items=[]),
    "money at the minimum 0": an_order(items=[an_item(unit_price=0)]),
    "money at the maximum": an_order(items=[an_item(unit_price=999999999.999)]),
    "integer at the minimum": an_order(items=[an_item(units=1)]),
    "integer at the maximum": an_order(items=[an_item(units=1000)]),
    "integer written 1e3": an_order(items=[an_item(units=raw("1e3"))]),
    "integer written 7.0": an_order(items=[an_item(units=raw("7.0"))]),
    "unknown fields": an_order(note={"any": [1, None]}, items=[an_item(extra="x")]),
}


@pytest.mark.parametrize("order", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_values_at_each_bound_are_valid_on_the_fast_path_and_written_as_the_reference_writes_them(
    tmp_path: Path, order: dict[str, Any]
) -> None:
    data = array_file(order)
    assert fast_verdict(tmp_path, data) == "valid"
    # AND the fast path writes the very bytes of the reference's path
    fast = flatten(tmp_path / "fast", data)
    reference = flatten(tmp_path / "reference", data, settings=EngineSettings(small_file_bytes=len(data) + 1))
    assert (fast.summary.engine, reference.summary.engine) == ("duckdb", "reference")
    assert fast.summary.rows_by_date == reference.summary.rows_by_date
    for dt, files in fast.parquet_files.items():
        assert [f.read_bytes() for f in files] == [f.read_bytes() for f in reference.parquet_files[dt]]


INVALID = {
    # identifier (order_ref, unique; buyer_id; shipping_country; sku)
    "identifier absent": an_order(order_ref=...),
    "identifier null": an_order(order_ref=None),
    "identifier true": an_order(order_ref=True),
    "identifier a fraction": an_order(order_ref=1.5),
    "identifier empty": an_order(order_ref=""),
    "identifier whitespace-only (ideographic space)": an_order(order_ref=" \u3000\t"),
    "identifier an object": an_order(order_ref={"id": 1}),
    "identifier in an object absent": an_order(buyer={}),
    "identifier in a nested object blank": an_order(shipping={"address": {"city": "X", "country": " "}}),
    "identifier of a row absent": an_order(items=[an_item(sku=...)]),
    "identifier of a row null": an_order(items=[an_item(sku=None)]),
    # timestamp (placed_at)
    "timestamp absent": an_order(placed_at=...),
    "timestamp null": an_order(placed_at=None),
    "timestamp a number": an_order(placed_at=20250901),
    "timestamp not on the calendar": an_order(placed_at="2025-02-30"),
    "timestamp hour 24": an_order(placed_at="2025-09-01T24:00:00Z"),
    "timestamp with slashes": an_order(placed_at="2025/09/01"),
    "timestamp offset without colon": an_order(placed_at="2025-09-01T10:00:00+0200"),
    "timestamp year 0": an_order(placed_at="0000-01-01"),
    # text (currency, required; shipping_city, required in an optional object)
    "text absent": an_order(currency=...),
    "text null": an_order(currency=None),
    "text a number": an_order(currency=978),
    "text a boolean": an_order(currency=False),
    "text in a nested object null": an_order(shipping={"address": {"city": None, "country": 1}}),
    "optional text a number": an_order(shipping={"method": 5, "address": {"city": "X", "country": 1}}),
    # boolean (gift, optional)
    "boolean as a string": an_order(gift="true"),
    "boolean as 1": an_order(gift=1),
    "boolean as 0": an_order(gift=0),
    # money (discount: 3 decimals, no minimum; unit_price: minimum 0)
    "money with 4 decimals": an_order(discount=1.0005),
    "money as a string": an_order(discount="1.5"),
    "money as a boolean": an_order(discount=True),
    "money below the lowest": an_order(discount=-1000000000),
    "money above the column's largest": an_order(discount=1000000000),
    "money with 4 decimals written 1.0005e0": an_order(discount=raw("1.0005e0")),
    "money below the minimum 0": an_order(items=[an_item(unit_price=-0.001)]),
    "money of a row absent": an_order(items=[an_item(unit_price=...)]),
    # integer (units: 1..1000)
    "integer below the minimum": an_order(items=[an_item(units=0)]),
    "integer negative": an_order(items=[an_item(units=-1)]),
    "integer above the maximum": an_order(items=[an_item(units=1001)]),
    "integer above the maximum as a double": an_order(items=[an_item(units=raw("1.001e3"))]),
    "integer not whole": an_order(items=[an_item(units=2.5)]),
    "integer as a string": an_order(items=[an_item(units="5")]),
    "integer null": an_order(items=[an_item(units=None)]),
    "integer beyond 64 bits": an_order(items=[an_item(units=2**64)]),
    # date (delivery_date, optional)
    "date not on the calendar": an_order(delivery_date="2025-02-29"),
    "date without leading zeros": an_order(delivery_date="2025-9-5"),
    "date with a time": an_order(delivery_date="2025-09-05T00:00:00Z"),
    "date a number": an_order(delivery_date=20250905),
    "date year 0": an_order(delivery_date="0000-01-01"),
    "date empty": an_order(delivery_date=""),
    # objects
    "required object absent": an_order(buyer=...),
    "required object null": an_order(buyer=None),
    "optional object present but empty": an_order(shipping={}),
    "optional object present without its required object": an_order(shipping={"method": "post"}),
    "optional object present with its required object null": an_order(shipping={"address": None}),
    "optional object present with its required object empty": an_order(shipping={"address": {}}),
    "optional object present, nested object incomplete": an_order(shipping={"address": {"city": "Lyon"}}),
    # the rows array
    "rows array absent": an_order(items=...),
    "rows array null": an_order(items=None),
    "a null row": an_order(items=[an_item(), None]),
}


@pytest.mark.parametrize("order", INVALID.values(), ids=INVALID.keys())
def test_each_rule_of_each_type_is_invalid_on_the_fast_path(tmp_path: Path, order: dict[str, Any]) -> None:
    # GIVEN the order after a valid one, WHEN the fast path's SQL judges the file THEN it is invalid
    data = array_file(an_order(order_ref="other"), order)
    assert fast_verdict(tmp_path, data) == "invalid"
    # AND the engine reports the reference's problems
    assert engine_problems(tmp_path, data) == reference_problems(data)


def test_what_the_fast_path_cannot_vouch_for_is_left_to_the_reference(tmp_path: Path) -> None:
    # GIVEN a timestamp with seven fraction digits: valid, but beyond what the SQL checks exactly
    data = array_file(DOUBTFUL)
    # WHEN the fast path's SQL judges it THEN it is invalid, and the reference accepts the file
    assert fast_verdict(tmp_path, data) == "invalid"
    result = flatten(tmp_path, data)
    assert result.summary.engine == "reference"
    assert {row["placed_at"] for row in parquet_rows(result)} == {datetime(2025, 9, 1, 10, 0, 0, 123000, tzinfo=UTC)}


DOUBTFUL = an_order(placed_at="2025-09-01T10:00:00.1234567Z")

REJECTED = {
    "required object not an object": an_order(buyer="B"),
    "optional object not an object": an_order(shipping=[]),
    "nested object not an object": an_order(shipping={"address": "Lyon"}),
    "rows array an object": an_order(items={}),
    "rows array of numbers": an_order(items=[1]),
    "record not an object": 5,
}


@pytest.mark.parametrize("order", REJECTED.values(), ids=REJECTED.keys())
def test_a_non_object_where_an_object_belongs_is_rejected_by_duckdb(tmp_path: Path, order: Any) -> None:
    data = array_file(an_order(order_ref="other"), order)
    assert fast_verdict(tmp_path, data) == "rejected"
    assert engine_problems(tmp_path, data) == reference_problems(data)


@pytest.mark.parametrize("write", [array_file, lines_file])
def test_a_repeated_unique_identifier_is_invalid_even_as_integer_and_string(tmp_path: Path, write: Any) -> None:
    assert fast_verdict(tmp_path, write(an_order(order_ref=1), an_order(order_ref=2))) == "valid"
    assert fast_verdict(tmp_path, write(an_order(order_ref=1), an_order(order_ref="1"))) == "invalid"
    other_day = an_order(order_ref="M-1", placed_at="2025-12-31T00:00:00Z")
    assert fast_verdict(tmp_path, write(an_order(), other_day)) == "invalid"


# --- names: the SQL's own never clash with the contract's --------------------------------------------------------

CLASHING = """
name: clashing
version: 1
record: entry
records: entries
rows: products
partition:
  column: order  # an SQL keyword: quoted in PARTITION_BY
  from: "o'clock"
fields:
  position:
    type: identifier
  "o'clock":
    type: timestamp
    column: dt
  order_valid:
    type: boolean
    required: false
  "#rows":
    type: integer
    column: product_valid
    required: false
  'a"b':
    type: object
    required: false
    fields:
      type:
        type: text
        column: p
  customer_missing:
    type: object
    fields:
      note:
        type: text
        required: false
        column: order_date_parsed
  products:
    type: array
    fields:
      position:
        type: integer
        required: false
        column: items
      size:
        type: object
        required: false
        fields:
          select:
            type: money
            precision: 10
            scale: 2
            column: group
"""


def an_entry(**changes: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "position": "P",
        "o'clock": "2025-01-01T10:00:00Z",
        "order_valid": True,
        "#rows": 7,
        'a"b': {"type": "t"},
        "customer_missing": {},
        "products": [{"position": 1, "size": {"select": 2.5}}, {"position": 2}],
    } | changes
    return {name: value for name, value in entry.items() if value is not ...}


def test_a_contract_naming_columns_like_the_sql_s_own_works(tmp_path: Path) -> None:
    # GIVEN a contract whose keys need quoting and whose columns are named as the engine's internals once were
    path = tmp_path / "clashing.yaml"
    path.write_text(CLASHING)
    contract = load_contract(str(path))
    # WHEN a valid file is flattened on the fast path (no unique field: the same position twice is no repeat)
    data = array_file(an_entry(), an_entry(products=[], **{'a"b': None}))
    result = flatten(tmp_path, data, contract)
    # THEN every column is there, in the contract's order, with its values, as the reference's path writes them
    assert result.summary.engine == "duckdb"
    reference = flatten(tmp_path / "reference", data, contract, EngineSettings(small_file_bytes=len(data) + 1))
    assert reference.summary.engine == "reference"
    assert [f.read_bytes() for f in reference.parquet_files["2025-01-01"]] == [
        f.read_bytes() for f in result.parquet_files["2025-01-01"]
    ]
    assert (result.summary.orders, result.summary.orders_without_products) == (2, 1)
    [file] = result.parquet_files["2025-01-01"]
    assert file.parent.name == "order=2025-01-01"
    assert pq.read_schema(file).names == [
        *("position", "dt", "order_valid", "product_valid", "p", "order_date_parsed"),
        *("items", "group", "source_key"),
    ]
    dt = datetime(2025, 1, 1, 10, tzinfo=UTC)
    entry = {"position": "P", "dt": dt, "order_valid": True, "product_valid": 7, "p": "t", "order_date_parsed": None}
    entry |= {"source_key": KEY}
    assert parquet_rows(result) == [
        entry | {"items": 1, "group": Decimal("2.50")},
        entry | {"items": 2, "group": None},
    ]
    # AND each rule still holds under those names, in the record and in a row's optional object
    assert fast_verdict(tmp_path, array_file(an_entry(order_valid="yes")), contract) == "invalid"
    assert fast_verdict(tmp_path, array_file(an_entry(**{'a"b': {}})), contract) == "invalid"
    assert fast_verdict(tmp_path, array_file(an_entry(products=[{"position": 1, "size": {}}])), contract) == "invalid"
    assert fast_verdict(tmp_path, array_file(an_entry(products=[{"position": 1, "size": None}])), contract) == "valid"
    # AND a required object must be there even when all its values are optional, and a row must be an object
    assert fast_verdict(tmp_path, array_file(an_entry(customer_missing=...)), contract) == "invalid"
    assert fast_verdict(tmp_path, array_file(an_entry(customer_missing=None)), contract) == "invalid"
    assert fast_verdict(tmp_path, array_file(an_entry(products=[{}])), contract) == "valid"
    assert fast_verdict(tmp_path, array_file(an_entry(products=[{}, None])), contract) == "invalid"


def test_a_record_without_a_partition_is_a_verdict_not_a_duckdb_failure(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # GIVEN an order of the shipped contract whose date is not on the calendar, with a product (a row without dt)
    source = tmp_path / "input.json"
    product = '{"product_id": 1, "price": 1, "quantity": 1}'
    source.write_text(
        f'[{{"order_id": 1, "order_date": "2025-02-30", "total_amount": 1, "customer": {{"customer_id": 1}}, '
        f'"products": [{product}]}}]'
    )
    # WHEN the engine validates it THEN the file is invalid, and no DuckDB failure is logged
    with caplog.at_level("WARNING", logger="orders_etl.engine"), pytest.raises(InvalidOrderFile):
        scan_order_file(source, source_key=KEY, max_bytes=MAX, workdir=tmp_path / "work", settings=FAST)
    assert not caplog.records
