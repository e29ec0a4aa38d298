"""A second order shape read with no code of its own: the shipped example marketplace_orders through the same
reader (line items under `items`, a nested optional shipping address, a boolean, a date, 3-decimal money)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from marketplace import MARKETPLACE, marketplace_order
from orders_etl.contract import read_order_file
from orders_etl.errors import InvalidOrderFile, Problem

CONTRACT = MARKETPLACE
KEY = "raw/marketplace/2025-09-01.json"


def an_order(**changes: Any) -> dict[str, Any]:
    """A valid marketplace order with two items, one at each end of its bounds."""
    items = [{"sku": "S-1", "unit_price": 9.995, "units": 3}, {"sku": "S-2", "unit_price": 0, "units": 1000}]
    return marketplace_order(**{"discount": -1.250, "items": items} | changes)


def read(*orders: Any) -> list[Any]:
    return read_order_file(json.dumps(list(orders)).encode(), source_key=KEY, contract=CONTRACT)


def problems(*orders: Any) -> list[Problem]:
    with pytest.raises(InvalidOrderFile) as refused:
        read(*orders)
    return refused.value.problems


def test_a_valid_order_gives_typed_values_by_column_and_one_row_per_item() -> None:
    [record] = read(an_order())
    assert record.values == {
        "order_ref": "M-1",
        "placed_at": datetime(2025, 9, 2, 1, 30, tzinfo=UTC),
        "currency": "EUR",
        "gift": True,
        "discount": Decimal("-1.250"),
        "buyer_id": "77",
        "shipping_method": "post",
        "shipping_city": "Lyon",
        "shipping_postcode": "69001",
        "shipping_country": "FR",
        "delivery_date": date(2025, 9, 5),
    }
    assert record.rows == (
        {"sku": "S-1", "unit_price": Decimal("9.995"), "units": 3},
        {"sku": "S-2", "unit_price": Decimal("0.000"), "units": 1000},
    )
    assert record.partition == "2025-09-02"  # the UTC date of placed_at


def test_optional_fields_and_an_absent_optional_object_give_nulls() -> None:
    [record] = read(an_order(gift=None, discount=..., shipping=..., delivery_date=None))
    nulls = ["gift", "discount", "shipping_method", "shipping_city", "shipping_postcode", "shipping_country"]
    assert [record.values[column] for column in [*nulls, "delivery_date"]] == [None] * 7


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"gift": "yes"}, Problem("$[0].gift", "gift", '"yes"', "true or false, or null")),
        (
            {"discount": 1.0001},
            Problem("$[0].discount", "discount", "1.0001", "a number with at most 3 decimals, or null"),
        ),
        (
            {"discount": -1000000000},
            Problem("$[0].discount", "discount", "-1000000000", "a number >= -999999999.999"),
        ),
        (
            {"delivery_date": "2025-09-05T10:00"},
            Problem(
                "$[0].delivery_date", "delivery_date", '"2025-09-05T10:00"', "an ISO-8601 date (YYYY-MM-DD), or null"
            ),
        ),
        (
            {"delivery_date": "2025-02-30"},
            Problem(
                "$[0].delivery_date",
                "delivery_date",
                '"2025-02-30"',
                "an ISO-8601 date (YYYY-MM-DD) that exists on the calendar",
            ),
        ),
        ({"currency": None}, Problem("$[0].currency", "currency", "null", "a string")),
        ({"currency": ...}, Problem("$[0].currency", "currency", "<missing>", "a string")),
        ({"buyer": {}}, Problem("$[0].buyer.buyer_id", "buyer_id", "<missing>", "a non-empty string or integer")),
        ({"shipping": {"method": "post"}}, Problem("$[0].shipping.address", "address", "<missing>", "an object")),
        (
            {"shipping": {"address": {"city": "Lyon"}}},
            Problem("$[0].shipping.address.country", "country", "<missing>", "a non-empty string or integer"),
        ),
        ({"shipping": []}, Problem("$[0].shipping", "shipping", "[]", "an object or null")),
        (
            {"items": [{"sku": "S", "unit_price": 1, "units": 1001}]},
            Problem("$[0].items[0].units", "units", "1001", "a whole number <= 1000"),
        ),
        (
            {"items": [{"sku": "S", "unit_price": -0.001, "units": 1}]},
            Problem("$[0].items[0].unit_price", "unit_price", "-0.001", "a number >= 0 with at most 3 decimals"),
        ),
        ({"items": {}}, Problem("$[0].items", "items", "{}", "an array of objects")),
        ({"items": [1]}, Problem("$[0].items[0]", "items", "1", "an object")),
    ],
)
def test_each_rule_of_the_second_shape_reports_where_and_what(change: dict[str, Any], expected: Problem) -> None:
    assert problems(an_order(**change)) == [expected]


def test_a_repeated_order_ref_and_a_non_object_name_the_contract_s_words() -> None:
    assert problems(an_order(), an_order(), 5) == [
        Problem("$[1].order_ref", "order_ref", '"M-1"', "a unique order_ref (first seen at $[0])"),
        Problem("$[2]", "", "5", "an order object"),
    ]
