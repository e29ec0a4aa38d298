"""The data contract of an order file: bytes in, validated :class:`Order` objects out.

A file is UTF-8 (a leading BOM is allowed), optionally gzip-compressed (detected by its magic bytes), and holds
either a JSON array of orders or JSON Lines (one order object per non-blank line). The first non-whitespace
character decides: ``[`` is an array, ``{`` is JSON Lines. The whole file is rejected with
:class:`~orders_etl.errors.InvalidOrderFile` listing every problem found (up to
:data:`~orders_etl.errors.MAX_PROBLEMS`), or with :class:`~orders_etl.errors.FileTooLarge`.

Positions of problems: ``$[37].products[2].price`` in an array file (zero-based indexes),
``line 57 $.products[2].price`` in a JSON Lines file (1-based line number, then the path inside that line's
object), and for file-level problems ``$``, ``line N`` (JSON Lines syntax error), ``line L column C`` (array
syntax error, both 1-based) or ``byte N`` (invalid UTF-8; zero-based offset in the decompressed content).
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from itertools import islice
from typing import Any

from orders_etl.errors import MAX_PROBLEMS, MISSING, FileTooLarge, InvalidOrderFile, Problem

DEFAULT_MAX_BYTES = 512 * 1024 * 1024
MAX_MONEY = Decimal("9999999999999999.99")
MAX_QUANTITY = 2**63 - 1
VALUE_WIDTH = 60

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

_GZIP_MAGIC = b"\x1f\x8b"
_BOM = b"\xef\xbb\xbf"
_JSON_WS = " \t\r\n"
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


class _Problems:
    """Collects problems: keeps the first MAX_PROBLEMS, counts them all."""

    def __init__(self) -> None:
        self.kept: list[Problem] = []
        self.total = 0

    def add(self, position: str, field: str, value: str, expected: str) -> None:
        self.total += 1
        if len(self.kept) < MAX_PROBLEMS:
            self.kept.append(Problem(position, field, value, expected))


class _FileProblem(Exception):
    """One problem that makes the rest of the file unreadable."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.to_line())
        self.problem = problem


class _BadNumber:
    """What the JSON parser yields for NaN, Infinity, -Infinity and numbers Decimal cannot hold."""

    __slots__ = ("reported", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.reported = False


def read_order_file(data: bytes, *, source_key: str, max_bytes: int = DEFAULT_MAX_BYTES) -> list[Order]:
    """The orders of one file, validated and converted; raises InvalidOrderFile or FileTooLarge."""
    if len(data) > max_bytes:
        raise FileTooLarge(source_key, len(data), max_bytes)
    try:
        text = _decode(_gunzip(data, source_key, max_bytes) if data[:2] == _GZIP_MAGIC else data)
    except _FileProblem as exc:
        raise InvalidOrderFile(source_key, [exc.problem]) from None
    problems = _Problems()
    orders = list(_read_orders(text, problems))
    if problems.total:
        raise InvalidOrderFile(source_key, problems.kept, problems.total)
    return orders


# --- bytes to text -------------------------------------------------------------------------------------------


def _file_problem(position: str, value: str, expected: str) -> _FileProblem:
    return _FileProblem(Problem(position, "", value, expected))


def _gunzip(data: bytes, source_key: str, max_bytes: int) -> bytes:
    """Decompress every gzip member, never holding more than max_bytes + 1 bytes of output."""
    out = bytearray()
    pending = data
    while pending:
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        try:
            # Either the output reaches the limit, or all input is consumed: one call is enough.
            out += inflater.decompress(pending, max_bytes + 1 - len(out))
        except zlib.error as exc:
            raise _file_problem("$", MISSING, f"a complete gzip stream ({exc})") from None
        if len(out) > max_bytes:
            raise FileTooLarge(source_key, len(out), max_bytes, decompressed=True)
        if not inflater.eof:
            raise _file_problem("$", MISSING, "a complete gzip stream (the data ends too early)")
        pending = inflater.unused_data
        if not pending.strip(b"\x00"):  # like gzip(1), ignore zero padding after the last member
            break
    return bytes(out)


def _decode(data: bytes) -> str:
    raw = data[len(_BOM) :] if data.startswith(_BOM) else data
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = exc.start + len(data) - len(raw)
        bad = json.dumps(raw[exc.start : exc.end].hex(" "))
        raise _file_problem(f"byte {offset}", bad, "valid UTF-8 text") from None


# --- text to JSON values -------------------------------------------------------------------------------------


def _read_orders(text: str, problems: _Problems) -> Iterator[Order]:
    body = text.lstrip(_JSON_WS)
    if not body:
        problems.add("$", "", '""', "a non-empty file with at least one order")
    elif body[0] == "[":
        yield from _read_array(text, problems)
    elif body[0] == "{":
        yield from _read_lines(text, problems)
    else:
        problems.add("$", "", render(body[:VALUE_WIDTH]), "a JSON array of orders or JSON Lines (one order per line)")


class _Parser:
    """json.loads with exact decimals, and NaN/Infinity/out-of-range numbers turned into _BadNumber."""

    def __init__(self) -> None:
        self.bad_numbers: list[_BadNumber] = []

    def number(self, text: str) -> Decimal | _BadNumber:
        try:
            return Decimal(text)
        except InvalidOperation:
            return self.constant(text)

    def constant(self, text: str) -> _BadNumber:
        bad = _BadNumber(text)
        self.bad_numbers.append(bad)
        return bad

    def loads(self, text: str) -> Any:
        return json.loads(text, parse_float=self.number, parse_constant=self.constant)

    def report_unreported(self, position: str, problems: _Problems) -> None:
        """Bad numbers outside the validated fields (e.g. in an unknown field) still make the file invalid."""
        for bad in self.bad_numbers:
            if not bad.reported:
                problems.add(position, "", bad.text, EXPECT_FINITE)
        self.bad_numbers.clear()


def _read_array(text: str, problems: _Problems) -> Iterator[Order]:
    parser = _Parser()
    try:
        value = parser.loads(text)
    except json.JSONDecodeError as exc:
        problems.add(f"line {exc.lineno} column {exc.colno}", "", _snippet(text, exc.pos), f"valid JSON ({exc.msg})")
        return
    except (ValueError, RecursionError) as exc:
        problems.add("$", "", MISSING, f"valid JSON that Python can read ({_reason(exc)})")
        return
    if not value:
        problems.add("$", "", "[]", "at least one order")
    seen: dict[str, str] = {}
    for index, item in enumerate(value):
        order = _order(item, f"$[{index}]", seen, problems)
        if order is not None:
            yield order
    parser.report_unreported("$", problems)


def _read_lines(text: str, problems: _Problems) -> Iterator[Order]:
    parser = _Parser()
    seen: dict[str, str] = {}
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip(_JSON_WS):
            continue
        try:
            item = parser.loads(line)
        except json.JSONDecodeError as exc:
            expected = f"one complete JSON object per line ({exc.msg} at column {exc.colno})"
            problems.add(f"line {number}", "", _snippet(line, exc.pos), expected)
            continue
        except (ValueError, RecursionError) as exc:
            problems.add(f"line {number}", "", MISSING, f"a JSON object that Python can read ({_reason(exc)})")
            continue
        order = _order(item, f"line {number} $", seen, problems)
        if order is not None:
            yield order
        parser.report_unreported(f"line {number}", problems)


def _reason(exc: BaseException) -> str:
    return "nested too deeply" if isinstance(exc, RecursionError) else str(exc).split(";")[0]


def _snippet(text: str, pos: int) -> str:
    return render(text[max(pos - 10, 0) : pos + 20])


# --- rendering values ----------------------------------------------------------------------------------------


def render(value: object, width: int = VALUE_WIDTH) -> str:
    """A JSON value as JSON text of at most ``width`` characters (cut with ``…``), line breaks escaped."""
    parts: list[str] = []
    _render_into(value, parts, width + 1)
    text = "".join(parts)
    text = text.replace("\x85", "\\u0085").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return text if len(text) <= width else text[: width - 1] + "…"


def _render_into(value: object, parts: list[str], budget: int) -> int:
    """Append JSON text for value to parts, stopping once about ``budget`` characters are written."""
    if isinstance(value, dict):
        return _render_container(list(islice(value.items(), budget)), "{", "}", parts, budget)
    if isinstance(value, list):
        return _render_container(value[:budget], "[", "]", parts, budget)
    if isinstance(value, _BadNumber):
        text = value.text
    elif isinstance(value, Decimal):
        text = str(value)
    elif isinstance(value, str):
        text = json.dumps(value[:budget], ensure_ascii=False)
    else:
        text = json.dumps(value)
    parts.append(text[:budget])
    return budget - len(parts[-1])


def _render_container(items: list[Any], opening: str, closing: str, parts: list[str], budget: int) -> int:
    parts.append(opening)
    budget -= 1
    for index, item in enumerate(items):
        if budget <= 0:
            return budget
        if index:
            parts.append(", ")
            budget -= 2
        if isinstance(item, tuple):
            budget = _render_into(item[0], parts, budget)
            parts.append(": ")
            budget -= 2
            item = item[1]
        budget = _render_into(item, parts, budget)
    parts.append(closing)
    return budget - 1


# --- validation ----------------------------------------------------------------------------------------------


def _order(item: object, path: str, seen: dict[str, str], problems: _Problems) -> Order | None:
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


def _customer(item: dict[str, Any], path: str, problems: _Problems) -> Customer:
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


def _products(item: dict[str, Any], path: str, problems: _Problems) -> tuple[Product, ...]:
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


def _identifier(obj: dict[str, Any], field: str, path: str, problems: _Problems) -> str:
    value = obj.get(field, _ABSENT)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and value.strip() and _valid_text(value):
        return value
    problems.add(f"{path}.{field}", field, _shown(value), EXPECT_ID)
    return ""


def _text(obj: dict[str, Any], field: str, path: str, problems: _Problems) -> str | None:
    value = obj.get(field)
    if value is None or (isinstance(value, str) and _valid_text(value)):
        return value
    problems.add(f"{path}.{field}", field, render(value), EXPECT_TEXT)
    return None


def _number(obj: dict[str, Any], field: str, path: str, problems: _Problems, expected: str) -> Decimal | None:
    """The field as a Decimal if it is a JSON number; otherwise report a problem."""
    value = obj.get(field, _ABSENT)
    if isinstance(value, _BadNumber):
        value.reported = True
        problems.add(f"{path}.{field}", field, value.text, EXPECT_FINITE)
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    problems.add(f"{path}.{field}", field, _shown(value), expected)
    return None


def _money(obj: dict[str, Any], field: str, path: str, problems: _Problems) -> Decimal:
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


def _quantity(obj: dict[str, Any], field: str, path: str, problems: _Problems) -> int:
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


def _date(obj: dict[str, Any], field: str, path: str, problems: _Problems) -> datetime:
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
