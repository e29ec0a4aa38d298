"""Validated records as Arrow tables with the table's types, one per partition (the reference writer).

The Lambdas write Parquet with DuckDB (orders_etl.engine); this writes the same columns and types with pyarrow
(not in the layer): for the tests' reference, the bench's straightforward approach and notebooks. The partition
(``dt=YYYY-MM-DD`` in the S3 path) is not a column of the Parquet files.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from orders_etl.contract import Contract, Record, load_contract
from orders_etl.contract.spec import SOURCE_KEY_COLUMN, Field

# Each value type's Arrow type. Timestamps hold milliseconds (the contract truncates) in a microsecond column:
# what DuckDB writes for TIMESTAMPTZ.
_ARROW_TYPES: dict[str, Any] = {
    "identifier": lambda _: pa.string(),
    "text": lambda _: pa.string(),
    "money": lambda field: pa.decimal128(field.precision, field.scale),
    "integer": lambda _: pa.int64(),
    "timestamp": lambda _: pa.timestamp("us", tz="UTC"),
    "date": lambda _: pa.date32(),
    "boolean": lambda _: pa.bool_(),
}


def arrow_type(field: Field) -> pa.DataType:
    return _ARROW_TYPES[field.type](field)


def table_schema(contract: Contract | None = None) -> pa.Schema:
    """The table's Arrow schema: the contract's columns in order, then source_key; the contract's name and version
    as its metadata (written into each Parquet file's key-value metadata)."""
    contract = contract or load_contract()
    fields = [pa.field(c.name, arrow_type(c.field) if c.field else pa.string()) for c in contract.columns()]
    return pa.schema(fields, metadata=contract.parquet_metadata())


@dataclass(frozen=True)
class FlattenResult:
    """``partitions`` maps each partition value ``YYYY-MM-DD`` (sorted) to the rows of records in it."""

    partitions: dict[str, pa.Table]
    orders: int
    rows: int
    orders_without_products: int


def partition_date(moment: datetime) -> str:
    """The UTC date of ``moment`` as ``YYYY-MM-DD`` (naive datetimes are taken as UTC)."""
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return aware.date().isoformat()


def flatten_records(records: Iterable[Record], *, source_key: str, contract: Contract | None = None) -> FlattenResult:
    """One row per element of each record's rows array, in file order; records without rows give no rows but
    are counted."""
    schema = table_schema(contract)
    by_partition: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
    count = without_rows = 0
    for record in records:
        count += 1
        if not record.rows:
            without_rows += 1
        for row in record.rows:
            by_partition[record.partition].append(record.values | row)
    partitions = {dt: _table(rows, schema, source_key) for dt, rows in sorted(by_partition.items())}
    return FlattenResult(
        partitions=partitions,
        orders=count,
        rows=sum(table.num_rows for table in partitions.values()),
        orders_without_products=without_rows,
    )


def _table(rows: list[dict[str, Any]], schema: pa.Schema, source_key: str) -> pa.Table:
    arrays = [
        pa.array([source_key] * len(rows) if name == SOURCE_KEY_COLUMN else [row[name] for row in rows], type=kind)
        for name, kind in zip(schema.names, schema.types, strict=True)
    ]
    return pa.Table.from_arrays(arrays, schema=schema)


def to_parquet_bytes(table: pa.Table) -> bytes:
    """The table as a snappy-compressed Parquet file; identical input gives identical bytes."""
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="snappy")
    return sink.getvalue()
