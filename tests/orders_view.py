"""The shipped orders contract's records seen as orders, customers and products, for readable assertions.

The reader returns generic records (values by column, one mapping per row); tests of the orders shape compare
them with these, which name each field once more as the contract does (src/orders_etl/contracts/orders.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from orders_etl.contract import Record, read_order_file


@dataclass(frozen=True)
class Product:
    product_id: str
    name: str | None
    category: str | None
    price: Decimal
    quantity: int


@dataclass(frozen=True)
class Customer:
    customer_id: str
    name: str | None
    email: str | None
    address: str | None


@dataclass(frozen=True)
class Order:
    order_id: str
    order_date: datetime  # tz-aware UTC, millisecond precision
    total_amount: Decimal
    customer: Customer
    products: tuple[Product, ...]


def as_order(record: Record) -> Order:
    values = record.values
    return Order(
        order_id=values["order_id"],
        order_date=values["order_date"],
        total_amount=values["total_amount"],
        customer=Customer(
            values["customer_id"], values["customer_name"], values["customer_email"], values["customer_address"]
        ),
        products=tuple(
            Product(row["product_id"], row["product_name"], row["category"], row["price"], row["quantity"])
            for row in record.rows
        ),
    )


def read_orders(data: bytes, **arguments: Any) -> list[Order]:
    """read_order_file with the shipped contract, its records as orders."""
    return [as_order(record) for record in read_order_file(data, **arguments)]


def as_record(order: Order) -> Record:
    """The record the shipped contract's reader returns for this order."""
    customer = order.customer
    values = {
        "order_id": order.order_id,
        "order_date": order.order_date,
        "total_amount": order.total_amount,
        "customer_id": customer.customer_id,
        "customer_name": customer.name,
        "customer_email": customer.email,
        "customer_address": customer.address,
    }
    rows = tuple(
        {
            "product_id": p.product_id,
            "product_name": p.name,
            "category": p.category,
            "price": p.price,
            "quantity": p.quantity,
        }
        for p in order.products
    )
    return Record(values, rows, order.order_date.astimezone(UTC).strftime("%Y-%m-%d"))
