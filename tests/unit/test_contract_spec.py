"""orders_etl.contract.spec: contract files load into what the pipeline derives everything from, or are refused
with one line naming the file, the place and what to change."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from orders_etl.contract.spec import ContractError, load_contract, parse_contract

# The table as it was before the contract was data (columns.py): the shipped contract must give exactly it.
ORDERS_COLUMNS = (
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
)


def test_the_shipped_contract_describes_todays_table() -> None:
    contract = load_contract()
    assert contract.column_names() == ORDERS_COLUMNS
    assert (contract.name, contract.rows.key, contract.partition_column) == ("orders", "products", "dt")
    assert contract.partition_source.key == "order_date"
    price = next(f for f in contract.row_values() if f.key == "price")
    assert (price.precision, price.scale, price.minimum, price.maximum) == (18, 2, 0, Decimal("9999999999999999.99"))
    quantity = next(f for f in contract.row_values() if f.key == "quantity")
    assert (quantity.minimum, quantity.maximum) == (1, 2**63 - 1)
    assert [f.key for f in contract.record_values() if f.unique] == ["order_id"]


def test_a_second_shape_flattens_nested_objects_into_the_columns_it_names() -> None:
    contract = load_contract("marketplace_orders")
    assert contract.column_names()[5:10] == (
        "buyer_id",
        "shipping_method",
        "shipping_city",
        "shipping_postcode",
        "shipping_country",
    )
    city = next(f for f in contract.record_values() if f.column == "shipping_city")
    assert city.path == ("shipping", "address", "city")
    assert [f.column for f in contract.row_values()] == ["sku", "unit_price", "units"]


def orders_document() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(load_contract().source.read_text())
    return document


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["fields"]["order_id"].update(type="uuid"), "fields.order_id.type: unknown type 'uuid'"),
        (lambda d: d["fields"]["order_id"].update(colum="id"), "fields.order_id.colum: unknown key"),
        (
            lambda d: d["fields"]["total_amount"].update(precision=40),
            "fields.total_amount: precision and scale must satisfy",
        ),
        (
            lambda d: d["fields"]["products"]["fields"]["quantity"].update(maximum=2**63),
            "fields.products.fields.quantity.maximum: must be a number from",
        ),
        (
            lambda d: d["fields"]["total_amount"].update(minimum=0.001),
            "fields.total_amount.minimum: must have at most 2 decimals",
        ),
        (
            lambda d: d["fields"]["customer"]["fields"]["name"].update(column="order_id"),
            "fields.customer.fields.name: column 'order_id' is fields.order_id's too",
        ),
        (
            lambda d: d["fields"]["customer"]["fields"].update(
                tags={"type": "array", "fields": {"t": {"type": "text"}}}
            ),
            "fields.customer.fields.tags: only the rows array may be an array",
        ),
        (lambda d: d["partition"].update({"from": "total_amount"}), "partition.from: names no required timestamp"),
        (lambda d: d.update(rows="customer"), "rows: names no array field of the record"),
        (
            lambda d: d["fields"]["total_amount"].update(unique=True),
            "fields.total_amount.unique: unknown key",
        ),
        (
            lambda d: d["fields"]["customer"]["fields"]["customer_id"].update(unique=True),
            "fields.customer.fields.customer_id: unique applies to an identifier of the record itself",
        ),
        (
            lambda d: d["fields"]["customer"]["fields"]["email"].update(column="Email"),
            "fields.customer.fields.email.column: 'Email' is not a column name",
        ),
        (lambda d: d["partition"].update(column="price"), "partition.column: 'price' is also a column"),
        (
            lambda d: d["fields"].update(source_key={"type": "text"}),
            "fields.source_key: 'source_key' is the pipeline's own column",
        ),
        (lambda d: d["fields"]["customer"].update(fields={}), "fields.customer.fields: lists no fields"),
        (
            lambda d: d["fields"]["products"].update(required=False),
            "fields.products.required: the rows array is required (an empty one gives no rows)",
        ),
    ],
)
def test_a_contract_the_engine_could_not_check_exactly_is_refused_with_where_and_what(
    change: Any, message: str
) -> None:
    document = orders_document()
    change(document)
    with pytest.raises(ContractError) as refused:
        parse_contract(document, Path("contracts/mine.yaml"))
    assert str(refused.value).startswith(f"contracts/mine.yaml: {message}"), str(refused.value)
    assert "\n" not in str(refused.value)


def test_a_contract_with_two_unique_fields_is_refused() -> None:
    document = orders_document()
    document["fields"]["customer"]["fields"]["customer_id"]["unique"] = False
    document["fields"]["order_ref"] = {"type": "identifier", "unique": True}
    with pytest.raises(ContractError, match=r"fields\.order_ref: one field of a record may be unique"):
        parse_contract(document, Path("mine.yaml"))


def test_an_unknown_contract_name_lists_the_shipped_ones(tmp_path: Path) -> None:
    with pytest.raises(ContractError, match=r"no such contract file \(shipped contracts: marketplace_orders, orders\)"):
        load_contract("order")
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: [unclosed\n")
    with pytest.raises(ContractError, match=r"broken.yaml: not valid YAML"):
        load_contract(str(broken))


def test_keys_that_differ_only_in_case_are_refused() -> None:
    # DuckDB reads objects as STRUCTs whose field names ignore case: the two could not be told apart
    document = orders_document()
    document["fields"]["customer"]["fields"]["Name"] = {"type": "text", "required": False, "column": "name2"}
    with pytest.raises(ContractError, match=r"fields\.customer\.fields\.Name: differs from 'name' only in case"):
        parse_contract(document, Path("mine.yaml"))
