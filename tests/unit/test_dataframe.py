"""orders_etl.dataframe: a file as a typed pandas DataFrame, with the pipeline's checks and errors."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from orders_etl.dataframe import read_dataframe
from orders_etl.errors import InvalidOrderFile

SAMPLES = Path(__file__).resolve().parents[2] / "events" / "orders"


def test_a_good_file_has_the_table_s_columns_and_exact_types(tmp_path: Path) -> None:
    compressed = tmp_path / "good_orders.json.gz"
    compressed.write_bytes(gzip.compress((SAMPLES / "good_orders.json").read_bytes()))
    frame = read_dataframe(compressed)
    assert list(frame.columns)[-3:] == ["quantity", "source_key", "dt"]
    assert str(frame.dtypes["price"]) == "decimal128(18, 2)[pyarrow]"
    assert str(frame.dtypes["order_date"]) == "timestamp[us, tz=UTC][pyarrow]"
    assert str(frame.dtypes["quantity"]) == "int64[pyarrow]"
    assert frame["price"].map(type).eq(Decimal).all()
    assert len(frame) == 4 and set(frame["dt"]) == {"2025-11-03", "2025-11-04"}
    assert frame["source_key"].unique().tolist() == ["good_orders.json.gz"]


def test_a_bad_file_raises_the_pipeline_s_error_with_every_problem() -> None:
    bad = next(path for path in sorted(SAMPLES.glob("*.json")) if "bad" in path.name or "invalid" in path.name)
    with pytest.raises(InvalidOrderFile) as refused:
        read_dataframe(bad)
    assert refused.value.problems and all(problem.position for problem in refused.value.problems)


def test_another_contract_gives_its_own_columns(tmp_path: Path) -> None:
    path = tmp_path / "market.json"
    path.write_text(
        '[{"order_ref": "M-1", "placed_at": "2025-09-01T10:00:00Z", "currency": "EUR", "buyer": {"buyer_id": 7},'
        ' "items": [{"sku": "S", "unit_price": 1.005, "units": 2}]}]'
    )
    frame = read_dataframe(path, contract="marketplace_orders")
    assert frame.loc[0, "unit_price"] == Decimal("1.005") and pd.isna(frame.loc[0, "shipping_city"])
    assert frame.loc[0, "placed_at"] == datetime(2025, 9, 1, 10, tzinfo=UTC)
    assert str(frame.dtypes["gift"]) == "bool[pyarrow]" and str(frame.dtypes["delivery_date"]) == "date32[day][pyarrow]"


def test_records_without_rows_give_the_columns_and_no_rows(tmp_path: Path) -> None:
    path = tmp_path / "empty.json"
    order = '{"order_id": 1, "order_date": "2025-01-01", "total_amount": 0, "customer": {"customer_id": 1}}'
    path.write_text(f'[{order[:-1]}, "products": []}}]')
    frame = read_dataframe(path)
    assert frame.empty and list(frame.columns)[:2] == ["order_id", "order_date"]
