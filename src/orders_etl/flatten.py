"""Flatten validated orders into one row per product, split by the UTC date of the order.

The ``dt`` partition (``dt=YYYY-MM-DD`` in the S3 path) is not a column of the Parquet files.
"""

from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from orders_etl.columns import OUTPUT_COLUMNS
from orders_etl.contract import Order

_TYPES: dict[str, pa.DataType] = {
    # Millisecond values (the contract truncates) in a microsecond column: what DuckDB writes for TIMESTAMPTZ.
    "order_date": pa.timestamp("us", tz="UTC"),
    "total_amount": pa.decimal128(18, 2),
    "price": pa.decimal128(18, 2),
    "quantity": pa.int64(),
}
ORDERS_SCHEMA: pa.Schema = pa.schema([pa.field(name, _TYPES.get(name, pa.string())) for name in OUTPUT_COLUMNS])


@dataclass(frozen=True)
class FlattenResult:
    """``partitions`` maps each UTC date ``YYYY-MM-DD`` (sorted) to the rows of orders placed on that date."""

    partitions: dict[str, pa.Table]
    orders: int
    rows: int
    orders_without_products: int


def partition_date(order_date: datetime) -> str:
    """The UTC date of ``order_date`` as ``YYYY-MM-DD`` (naive datetimes are taken as UTC)."""
    moment = order_date.replace(tzinfo=UTC) if order_date.tzinfo is None else order_date.astimezone(UTC)
    return moment.date().isoformat()


def _rows(order: Order, source_key: str) -> list[tuple[Any, ...]]:
    customer = order.customer
    head = (order.order_id, order.order_date, order.total_amount)
    who = (customer.customer_id, customer.name, customer.email, customer.address)
    return [(*head, *who, p.product_id, p.name, p.category, p.price, p.quantity, source_key) for p in order.products]


def _table(rows: list[tuple[Any, ...]]) -> pa.Table:
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in ORDERS_SCHEMA]
    arrays = [pa.array(list(values), type=field.type) for values, field in zip(columns, ORDERS_SCHEMA, strict=True)]
    return pa.Table.from_arrays(arrays, schema=ORDERS_SCHEMA)


def flatten_orders(orders: list[Order], *, source_key: str) -> FlattenResult:
    """One row per product, in file order; orders without products give no rows but are counted."""
    by_date: defaultdict[str, list[tuple[Any, ...]]] = defaultdict(list)
    without_products = 0
    for order in orders:
        if not order.products:
            without_products += 1
            continue
        by_date[partition_date(order.order_date)].extend(_rows(order, source_key))
    partitions = {dt: _table(by_date[dt]) for dt in sorted(by_date)}
    return FlattenResult(
        partitions=partitions,
        orders=len(orders),
        rows=sum(table.num_rows for table in partitions.values()),
        orders_without_products=without_products,
    )


def to_parquet_bytes(table: pa.Table) -> bytes:
    """The table as a snappy-compressed Parquet file; identical input gives identical bytes."""
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="snappy")
    return sink.getvalue()
