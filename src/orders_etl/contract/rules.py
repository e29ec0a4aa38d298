"""The rules of the contract: a parsed JSON value in, a validated Order out, or its problems."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from orders_etl.contract.problems import Problems
from orders_etl.contract.rendering import BadNumber, render
from orders_etl.errors import MISSING

MAX_MONEY = Decimal("9999999999999999.99")
MAX_QUANTITY = 2**63 - 1

EXPECT_ID = "a non-empty string or integer"
EXPECT_DATE = "an ISO-8601 date or date-time"
EXPECT_REAL_DATE = "an ISO-8601 date or date-time that exists on the calendar"
EXPECT_MONEY = "a number >= 0 with at most 2 decimals"
EXPECT_MONEY_MAX = f"a number <= {MAX_MONEY}"
EXPECT_FINITE = "a finite JSON number (NaN and Infinity are not JSON)"
EXPECT_QUANTITY = "a whole number >= 1"
EXPECT_QUANTITY_MAX = f"a whole number <= {MAX_QUANTITY}"
EXPECT_TEXT = "a string or null"
EXPECT_OBJECT = "an object"
EXPECT_ORDER = "an order object"
EXPECT_PRODUCTS = "an array of objects"

_CENT = Decimal("0.01")
_DATE = re.compile(
    r"(?P<y>[0-9]{4})-(?P<mo>[0-9]{2})-(?P<d>[0-9]{2})"
    r"(?:[T ](?P<h>[0-9]{2}):(?P<mi>[0-9]{2})(?::(?P<s>[0-9]{2})(?:\.(?P<frac>[0-9]+))?)?"
    r"(?P<tz>Z|[+-][0-9]{2}:[0-9]{2})?)?"
)


@dataclass(frozen=True, slots=True)
class Product:
    product_id: str
    name: str | None
    category: str | None
    price: Decimal
    quantity: int


@dataclass(frozen=True, slots=True)
class Customer:
    customer_id: str
    name: str | None
    email: str | None
    address: str | None


@dataclass(frozen=True, slots=True)
class Order:
    order_id: str
    order_date: datetime  # tz-aware UTC, millisecond precision
    total_amount: Decimal
    customer: Customer
    products: tuple[Product, ...]


def validate_order(item: object, path: str, seen: dict[str, str], problems: Problems) -> Order | None:
    if not isinstance(item, dict):
        problems.add(path, "", render(item), EXPECT_ORDER)
        return None
    before = problems.total
    order_id = _identifier(item, "order_id", path, problems)
    if order_id and problems.total == before:
        first = seen.setdefault(order_id, path)
        if first != path:
            problems.add(
                f"{path}.order_id", "order_id", render(item["order_id"]), f"a unique order_id (first seen at {first})"
            )
    order = Order(
        order_id=order_id,
        order_date=_date(item, "order_date", path, problems),
        total_amount=_money(item, "total_amount", path, problems),
        customer=_customer(item, path, problems),
        products=_products(item, path, problems),
    )
    return order if problems.total == before else None


def _customer(item: dict[str, Any], path: str, problems: Problems) -> Customer:
    value = item.get("customer", _ABSENT)
    here = f"{path}.customer"
    if not isinstance(value, dict):
        problems.add(here, "customer", _shown(value), EXPECT_OBJECT)
        return _NO_CUSTOMER
    return Customer(
        customer_id=_identifier(value, "customer_id", here, problems),
        name=_text(value, "name", here, problems),
        email=_text(value, "email", here, problems),
        address=_text(value, "address", here, problems),
    )


def _products(item: dict[str, Any], path: str, problems: Problems) -> tuple[Product, ...]:
    value = item.get("products", _ABSENT)
    here = f"{path}.products"
    if not isinstance(value, list):
        problems.add(here, "products", _shown(value), EXPECT_PRODUCTS)
        return ()
    products: list[Product] = []
    for index, element in enumerate(value):
        at = f"{here}[{index}]"
        if not isinstance(element, dict):
            problems.add(at, "products", render(element), EXPECT_OBJECT)
            continue
        products.append(
            Product(
                product_id=_identifier(element, "product_id", at, problems),
                name=_text(element, "name", at, problems),
                category=_text(element, "category", at, problems),
                price=_money(element, "price", at, problems),
                quantity=_quantity(element, "quantity", at, problems),
            )
        )
    return tuple(products)


_ABSENT: Any = object()
_NO_CUSTOMER = Customer("", None, None, None)


def _shown(value: object) -> str:
    return MISSING if value is _ABSENT else render(value)


def _valid_text(value: str) -> bool:
    """False for strings with lone surrogates (legal as JSON escapes, but not encodable as UTF-8)."""
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _identifier(obj: dict[str, Any], field: str, path: str, problems: Problems) -> str:
    value = obj.get(field, _ABSENT)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and value.strip() and _valid_text(value):
        return value
    problems.add(f"{path}.{field}", field, _shown(value), EXPECT_ID)
    return ""


def _text(obj: dict[str, Any], field: str, path: str, problems: Problems) -> str | None:
    value = obj.get(field)
    if value is None or (isinstance(value, str) and _valid_text(value)):
        return value
    problems.add(f"{path}.{field}", field, render(value), EXPECT_TEXT)
    return None


def _number(obj: dict[str, Any], field: str, path: str, problems: Problems, expected: str) -> Decimal | None:
    """The field as a Decimal if it is a JSON number; otherwise report a problem."""
    value = obj.get(field, _ABSENT)
    if isinstance(value, BadNumber):
        value.reported = True
        problems.add(f"{path}.{field}", field, value.text, EXPECT_FINITE)
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    problems.add(f"{path}.{field}", field, _shown(value), expected)
    return None


def _money(obj: dict[str, Any], field: str, path: str, problems: Problems) -> Decimal:
    number = _number(obj, field, path, problems, EXPECT_MONEY)
    if number is None:
        return Decimal(0)
    expected = None
    if number < 0:
        expected = EXPECT_MONEY
    elif number > MAX_MONEY:
        expected = EXPECT_MONEY_MAX
    elif number.quantize(_CENT) != number:
        expected = EXPECT_MONEY
    if expected is not None:
        problems.add(f"{path}.{field}", field, render(obj[field]), expected)
        return Decimal(0)
    return number.quantize(_CENT) + 0  # "+ 0" turns -0.00 into 0.00


def _quantity(obj: dict[str, Any], field: str, path: str, problems: Problems) -> int:
    number = _number(obj, field, path, problems, EXPECT_QUANTITY)
    if number is None:
        return 0
    if number > MAX_QUANTITY:
        problems.add(f"{path}.{field}", field, render(obj[field]), EXPECT_QUANTITY_MAX)
        return 0
    if number < 1 or number != number.to_integral_value():
        problems.add(f"{path}.{field}", field, render(obj[field]), EXPECT_QUANTITY)
        return 0
    return int(number)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _date(obj: dict[str, Any], field: str, path: str, problems: Problems) -> datetime:
    value = obj.get(field, _ABSENT)
    match = _DATE.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        problems.add(f"{path}.{field}", field, _shown(value), EXPECT_DATE)
        return _EPOCH
    try:
        return _to_utc(match)
    except (ValueError, OverflowError):
        problems.add(f"{path}.{field}", field, render(value), EXPECT_REAL_DATE)
        return _EPOCH


def _to_utc(match: re.Match[str]) -> datetime:
    """The matched date or date-time in UTC, truncated to milliseconds; ValueError/OverflowError if impossible."""
    millis = int(((match["frac"] or "") + "000")[:3])
    moment = datetime(
        int(match["y"]),
        int(match["mo"]),
        int(match["d"]),
        int(match["h"] or 0),
        int(match["mi"] or 0),
        int(match["s"] or 0),
        millis * 1000,
        tzinfo=_zone(match["tz"]),
    )
    return moment.astimezone(UTC)


def _zone(text: str | None) -> timezone:
    if text is None or text == "Z":
        return UTC
    hours, minutes = int(text[1:3]), int(text[4:6])
    if minutes > 59:
        raise ValueError(f"offset minutes out of range: {text}")
    offset = timedelta(hours=hours, minutes=minutes)
    return timezone(-offset if text[0] == "-" else offset)  # ValueError from 24:00 up
