"""Flattening orders into Parquet rows: one row per product, partitioned by the UTC order date."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq

from orders_etl.flatten import FlattenResult, flatten_records, partition_date, table_schema, to_parquet_bytes
from orders_view import Customer, Order, Product, as_record, read_orders

KEY = "raw/2025/01/orders.json"
ORDERS_SCHEMA = table_schema()


def flatten_orders(orders: list[Order], *, source_key: str) -> FlattenResult:
    return flatten_records([as_record(order) for order in orders], source_key=source_key)


ANN = Customer(customer_id="C-1", name="Ann", email="ann@example.com", address="1 Main St")
BOB = Customer(customer_id="C-2", name=None, email=None, address=None)


def order(order_id: str, when: datetime, *products: Product, customer: Customer = ANN) -> Order:
    return Order(order_id, when, Decimal("10.50"), customer, tuple(products))


PEN = Product("P-1", "Pen", "office", Decimal("0.10"), 2)
INK = Product("P-2", None, None, Decimal("9999999999999999.99"), 2**63 - 1)
ORDERS = [
    order("1", datetime(2025, 1, 1, 10, 0, 0, 123000, tzinfo=UTC), PEN, INK),
    order("2", datetime(2025, 1, 1, 11, 0, tzinfo=UTC)),  # no products
    order("3", datetime(2025, 1, 2, 1, 30, tzinfo=UTC), INK, customer=BOB),
    order("4", datetime(2025, 1, 1, 12, 0, tzinfo=UTC), PEN),
]


def test_schema_is_the_explicit_one() -> None:
    assert ORDERS_SCHEMA.names == [
        "order_id",
        "order_date",
        "total_amount",
        "customer_id",
        "customer_name",
        "customer_email",
        "customer_address",
        "product_id",
        "product_name",
        "category",
        "price",
        "quantity",
        "source_key",
    ]
    assert ORDERS_SCHEMA.field("order_date").type == pa.timestamp("us", tz="UTC")
    assert ORDERS_SCHEMA.field("total_amount").type == pa.decimal128(18, 2)
    assert ORDERS_SCHEMA.field("price").type == pa.decimal128(18, 2)
    assert ORDERS_SCHEMA.field("quantity").type == pa.int64()
    assert "dt" not in ORDERS_SCHEMA.names


def test_one_row_per_product_with_exact_values() -> None:
    # GIVEN four orders on two UTC dates, one of them without products
    # WHEN they are flattened
    result = flatten_orders(ORDERS, source_key=KEY)
    # THEN the counts add up
    assert (result.orders, result.rows, result.orders_without_products) == (4, 4, 1)
    assert list(result.partitions) == ["2025-01-01", "2025-01-02"]
    # AND the rows of each date keep file order and exact values (decimals, ms UTC timestamps, nulls)
    first_day = result.partitions["2025-01-01"]
    assert first_day.schema == ORDERS_SCHEMA
    assert first_day.to_pylist() == [
        {
            "order_id": "1",
            "order_date": datetime(2025, 1, 1, 10, 0, 0, 123000, tzinfo=UTC),
            "total_amount": Decimal("10.50"),
            "customer_id": "C-1",
            "customer_name": "Ann",
            "customer_email": "ann@example.com",
            "customer_address": "1 Main St",
            "product_id": "P-1",
            "product_name": "Pen",
            "category": "office",
            "price": Decimal("0.10"),
            "quantity": 2,
            "source_key": KEY,
        },
        {
            "order_id": "1",
            "order_date": datetime(2025, 1, 1, 10, 0, 0, 123000, tzinfo=UTC),
            "total_amount": Decimal("10.50"),
            "customer_id": "C-1",
            "customer_name": "Ann",
            "customer_email": "ann@example.com",
            "customer_address": "1 Main St",
            "product_id": "P-2",
            "product_name": None,
            "category": None,
            "price": Decimal("9999999999999999.99"),
            "quantity": 2**63 - 1,
            "source_key": KEY,
        },
        {
            "order_id": "4",
            "order_date": datetime(2025, 1, 1, 12, 0, tzinfo=UTC),
            "total_amount": Decimal("10.50"),
            "customer_id": "C-1",
            "customer_name": "Ann",
            "customer_email": "ann@example.com",
            "customer_address": "1 Main St",
            "product_id": "P-1",
            "product_name": "Pen",
            "category": "office",
            "price": Decimal("0.10"),
            "quantity": 2,
            "source_key": KEY,
        },
    ]
    second_day = result.partitions["2025-01-02"].to_pylist()
    assert [(row["order_id"], row["customer_id"], row["customer_name"]) for row in second_day] == [("3", "C-2", None)]


def test_orders_without_products_give_no_rows_and_no_partition() -> None:
    result = flatten_orders([order("9", datetime(2025, 5, 5, tzinfo=UTC))], source_key=KEY)
    assert (result.orders, result.rows, result.orders_without_products, result.partitions) == (1, 0, 1, {})


def test_no_orders_give_an_empty_result() -> None:
    assert flatten_orders([], source_key=KEY) == flatten_orders([], source_key=KEY)
    assert flatten_orders([], source_key=KEY).partitions == {}


def test_partition_is_the_utc_date() -> None:
    # GIVEN an order at 2025-01-01T23:30:00-02:00, i.e. 01:30 UTC on the 2nd
    data = (
        b'[{"order_id": 1, "order_date": "2025-01-01T23:30:00-02:00", "total_amount": 1,'
        b' "customer": {"customer_id": 1}, "products": [{"product_id": 1, "price": 1, "quantity": 1}]}]'
    )
    orders = read_orders(data, source_key=KEY)
    # WHEN it is flattened THEN it lands in dt=2025-01-02
    result = flatten_orders(orders, source_key=KEY)
    assert list(result.partitions) == ["2025-01-02"]
    assert result.partitions["2025-01-02"].column("order_date").to_pylist() == [datetime(2025, 1, 2, 1, 30, tzinfo=UTC)]
    # AND partition_date converts any aware datetime to UTC first
    minus_two = timezone(timedelta(hours=-2))
    assert partition_date(datetime(2025, 1, 1, 23, 30, tzinfo=minus_two)) == "2025-01-02"
    assert partition_date(datetime(2025, 1, 1, 0, 0, tzinfo=UTC)) == "2025-01-01"


def test_parquet_round_trips_with_the_same_schema_and_is_deterministic() -> None:
    # GIVEN a flattened partition
    table = flatten_orders(ORDERS, source_key=KEY).partitions["2025-01-01"]
    # WHEN it is written to Parquet twice
    first = to_parquet_bytes(table)
    second = to_parquet_bytes(flatten_orders(ORDERS, source_key=KEY).partitions["2025-01-01"])
    # THEN the bytes are identical, snappy-compressed, and read back to the same table and schema
    assert first == second
    assert first[:4] == b"PAR1"
    back = pq.read_table(io.BytesIO(first))
    assert back.schema.remove_metadata() == ORDERS_SCHEMA
    assert back.equals(table)
    assert pq.ParquetFile(io.BytesIO(first)).metadata.row_group(0).column(0).compression == "SNAPPY"
