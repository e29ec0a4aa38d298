"""orders_etl.contract.compatibility: a contract against the deployed table's columns, as Glue describes them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from orders_etl.contract import load_contract
from orders_etl.contract.compatibility import compare, glue_type
from orders_etl.contract.spec import parse_contract

ORDERS = load_contract()
# The orders table as the crawler describes it after the shipped contract's files (GetTable's Columns).
TABLE = [(column.name, glue_type(column)) for column in ORDERS.columns()]


def changed(change: Any) -> Any:
    document = yaml.safe_load(ORDERS.source.read_text())
    change(document)
    return parse_contract(document, Path("orders-v2.yaml"))


def test_the_shipped_contract_matches_the_table_its_files_made() -> None:
    assert TABLE[:3] == [("order_id", "string"), ("order_date", "timestamp"), ("total_amount", "decimal(18,2)")]
    assert ("quantity", "bigint") in TABLE
    verdict = compare(ORDERS, TABLE, ["dt"])
    assert verdict.compatible and (verdict.added, verdict.warnings) == ([], [])


def test_a_new_optional_field_is_compatible_and_adds_a_column() -> None:
    v2 = changed(lambda d: d["fields"].update(currency={"type": "text", "required": False}))
    verdict = compare(v2, TABLE, ["dt"])
    assert verdict.compatible and verdict.warnings == []
    assert verdict.added == ["column currency (string) is added: older partitions read it as NULL"]


def test_a_new_required_field_is_compatible_with_a_warning_about_older_files() -> None:
    v2 = changed(lambda d: d["fields"]["products"]["fields"].update(gift={"type": "boolean"}))
    verdict = compare(v2, TABLE, ["dt"])
    assert verdict.compatible
    assert verdict.warnings == [
        "column gift is required: files written before it lack it and a backfill of them would fail"
    ]


def test_a_type_change_a_removal_and_a_rename_need_a_backfill() -> None:
    def change(document: dict[str, Any]) -> None:
        document["fields"]["total_amount"]["scale"] = 3  # decimal(18,2) -> decimal(18,3)
        del document["fields"]["products"]["fields"]["category"]
        document["fields"]["customer"]["fields"]["email"]["column"] = "email"

    verdict = compare(changed(change), TABLE, ["dt"])
    assert not verdict.compatible
    assert verdict.incompatible == [
        "column total_amount changes type: decimal(18,2) -> decimal(18,3)",
        "column customer_email (string) is no longer written: removed or renamed",
        "column category (string) is no longer written: removed or renamed",
    ]
    assert verdict.added == ["column email (string) is added: older partitions read it as NULL"]


def test_another_partition_key_is_incompatible() -> None:
    v2 = changed(lambda d: d["partition"].update(column="day"))
    assert compare(v2, TABLE, ["dt"]).incompatible == ["the table is partitioned by dt, the contract by day"]
