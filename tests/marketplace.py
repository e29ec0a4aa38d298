"""The shipped example of a team's own shape (src/orders_etl/contracts/marketplace_orders.yaml) and a valid order
of it, for the tests that show a second shape needs no code."""

from __future__ import annotations

from typing import Any

from orders_etl.contract import load_contract

MARKETPLACE = load_contract("marketplace_orders")


def marketplace_order(**changes: Any) -> dict[str, Any]:
    """A valid marketplace order, every field present; a change to ... removes the field."""
    order: dict[str, Any] = {
        "order_ref": "M-1",
        "placed_at": "2025-09-01T22:30:00-03:00",
        "currency": "EUR",
        "gift": True,
        "discount": -1.25,
        "buyer": {"buyer_id": 77},
        "shipping": {"method": "post", "address": {"city": "Lyon", "postcode": "69001", "country": "FR"}},
        "delivery_date": "2025-09-05",
        "items": [{"sku": "S-1", "unit_price": 9.995, "units": 3}],
    }
    order.update(changes)
    return {name: value for name, value in order.items() if value is not ...}
