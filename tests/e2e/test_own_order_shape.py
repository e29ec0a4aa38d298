"""A team's own order shape with no code change: the stack deployed with Contract=marketplace_orders (a contract
file, src/orders_etl/contracts/marketplace_orders.yaml) validates, flattens, crawls, queries and quarantines files
of that shape on the embedded AWS."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

from embedded_aws.server import EmbeddedAws
from support import Stack


def marketplace_order(order_ref: str, placed_at: str, *items: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "order_ref": order_ref,
        "placed_at": placed_at,
        "currency": "EUR",
        "buyer": {"buyer_id": 7},
        "items": list(items),
    } | fields


def test_a_deployment_with_another_contract_takes_files_of_its_shape(stack: Stack, embedded_aws: EmbeddedAws) -> None:
    # GIVEN the stack deployed with the marketplace contract
    embedded_aws.reset()
    stack.outputs = embedded_aws.deploy(parameter_overrides={"Contract": "marketplace_orders"})
    shipping = {"method": "post", "address": {"city": "Lyon", "country": "FR"}}
    good = [
        marketplace_order(
            "M-1",
            "2025-09-01T22:30:00-03:00",
            {"sku": "S-1", "unit_price": 9.995, "units": 3},
            gift=True,
            discount=-1.25,
            shipping=shipping,
            delivery_date="2025-09-05",
        ),
        marketplace_order("M-2", "2025-09-01T08:00:00Z", {"sku": "S-2", "unit_price": 0.5, "units": 1}),
    ]
    bad = [marketplace_order("M-3", "2025-09-01", {"sku": "S-3", "unit_price": 1.0005, "units": 1})]

    # WHEN a file of that shape and a bad one are uploaded
    executions = stack.run(
        {"raw/market/good.json": json.dumps(good).encode(), "raw/market/bad.json": json.dumps(bad).encode()}
    )

    # THEN the good one is in the table, with the contract's columns and types, partitioned by its UTC date
    statuses = {stack.source_key(e): stack.describe(e)["status"] for e in executions}
    assert statuses == {"raw/market/good.json": "SUCCEEDED", "raw/market/bad.json": "FAILED"}
    rows = stack.query(
        "SELECT order_ref, dt, sku, unit_price, units, gift, discount, shipping_city, shipping_postcode,"
        " delivery_date FROM orders ORDER BY order_ref"
    )
    assert rows == [
        ("M-1", "2025-09-02", "S-1", Decimal("9.995"), 3, True, Decimal("-1.250"), "Lyon", None, date(2025, 9, 5)),
        ("M-2", "2025-09-01", "S-2", Decimal("0.500"), 1, None, None, None, None, None),
    ]
    # AND the bad one is quarantined with a report in the contract's words, at its position
    report = json.loads(stack.get("quarantine/market/bad.json.error.json"))
    assert report["problems"] == [
        {
            "position": "$[0].items[0].unit_price",
            "field": "unit_price",
            "value": "1.0005",
            "expected": "a number >= 0 with at most 3 decimals",
        }
    ]
