"""The original approach that this project replaces: the baseline of the benchmark.

What the common order-ETL Lambda does: ``json.loads`` of the whole file (JSON Lines: ``json.loads`` per line
into a list), a Python loop that builds one dict per product (order + customer + product fields),
``pandas.DataFrame(rows)`` and ``DataFrame.to_parquet`` with the pyarrow engine. No validation beyond what
those calls do by themselves, one output file, no partitions.

One deliberate difference from that code: ids go through ``str()``. The contract allows integer ids, and
pyarrow cannot write a column that mixes ``int`` and ``str`` (``ArrowTypeError: Expected bytes, got a 'int'
object``), so the unmodified original fails on such files instead of giving a time. Optional fields are read
with ``.get`` for the same reason (``order["customer"]["email"]`` raises ``KeyError`` when it is absent).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd


def _load(input_path: Path) -> list[dict[str, Any]]:
    text = input_path.read_text(encoding="utf-8-sig")
    if text.lstrip()[:1] == "[":
        data: list[dict[str, Any]] = json.loads(text)
        return data
    return [json.loads(line) for line in text.split("\n") if line.strip()]


def flatten(data: list[dict[str, Any]]) -> pd.DataFrame:
    rows = []
    for order in data:
        customer = order["customer"]
        for product in order["products"]:
            rows.append(
                {
                    "order_id": str(order["order_id"]),
                    "order_date": order["order_date"],
                    "total_amount": order["total_amount"],
                    "customer_id": str(customer["customer_id"]),
                    "customer_name": customer.get("name"),
                    "customer_email": customer.get("email"),
                    "customer_address": customer.get("address"),
                    "product_id": str(product["product_id"]),
                    "product_name": product.get("name"),
                    "category": product.get("category"),
                    "price": product["price"],
                    "quantity": product["quantity"],
                }
            )
    return pd.DataFrame(rows)


def run_original(input_path: Path, output_dir: Path) -> dict[str, int]:
    """Load, flatten and write ``output_dir/out.parquet``; returns the counts."""
    data = _load(input_path)
    df = flatten(data)
    output_dir.mkdir(parents=True, exist_ok=True)
    df.to_parquet(output_dir / "out.parquet", engine="pyarrow")
    return {"orders": len(data), "rows": len(df)}
