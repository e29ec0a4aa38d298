"""The rules of a contract: a parsed JSON record in, a validated :class:`Record` out, or its problems.

Each type's rule and the words of its problems are here, once (docs/contracts.md describes them for users); the
engine's SQL (orders_etl.engine_sql) implements the same rules and defers to these whenever it cannot be certain.
A contract is compiled once into one closure per field, so a record costs a loop over its fields.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from functools import cache
from typing import Any

from orders_etl.contract.problems import Problems
from orders_etl.contract.rendering import BadNumber, render
from orders_etl.contract.spec import ARRAY, Contract, Field
from orders_etl.errors import MISSING

EXPECT_FINITE = "a finite JSON number (NaN and Infinity are not JSON)"
EXPECT_OBJECT = "an object"
EXPECT_ROWS = "an array of objects"

# The forms a timestamp and a date may take (the engine's SQL and the JSON Schema export say the same).
DATE_TIME_PATTERN = re.compile(
    r"(?P<y>[0-9]{4})-(?P<mo>[0-9]{2})-(?P<d>[0-9]{2})"
    r"(?:[T ](?P<h>[0-9]{2}):(?P<mi>[0-9]{2})(?::(?P<s>[0-9]{2})(?:\.(?P<frac>[0-9]+))?)?"
    r"(?P<tz>Z|[+-][0-9]{2}:[0-9]{2})?)?"
)
DATE_PATTERN = re.compile(r"(?P<y>[0-9]{4})-(?P<mo>[0-9]{2})-(?P<d>[0-9]{2})")


@dataclass(frozen=True, slots=True)
class Record:
    """One valid record: its own values by column, one mapping per element of its rows array, and its partition.

    Values are typed: identifier and text str, money Decimal (at the column's scale), integer int, timestamp a
    UTC datetime truncated to milliseconds, date a date, boolean bool; an optional value that is absent is None."""

    values: dict[str, Any]
    rows: tuple[dict[str, Any], ...]
    partition: str  # YYYY-MM-DD


# --- the words of problems -------------------------------------------------------------------------------------


def expected(field: Field) -> str:
    """What a field's value must be, as problems say it ("expected a whole number >= 1")."""
    words = _BASE_WORDS[field.type](field)
    if field.required:
        return words
    return f"{words} or null" if words.count(" ") == 1 else f"{words}, or null"  # "a string or null"


def expected_at_most(field: Field) -> str:
    """A number above the field's maximum."""
    kind = "a whole number" if field.type == "integer" else "a number"
    return f"{kind} <= {field.maximum}"


def expected_on_calendar(field: Field) -> str:
    """A timestamp or date of the right form that does not exist (2025-02-30)."""
    return f"{_BASE_WORDS[field.type](field)} that exists on the calendar"


def _money_words(field: Field) -> str:
    floor = f" >= {field.minimum}" if field.minimum is not None else ""
    return f"a number{floor} with at most {field.scale} decimals"


def _integer_words(field: Field) -> str:
    return f"a whole number >= {field.minimum}" if field.minimum is not None else "a whole number"


_BASE_WORDS: dict[str, Callable[[Field], str]] = {
    "identifier": lambda _: "a non-empty string or integer",
    "text": lambda _: "a string",
    "money": _money_words,
    "integer": _integer_words,
    "timestamp": lambda _: "an ISO-8601 date or date-time",
    "date": lambda _: "an ISO-8601 date (YYYY-MM-DD)",
    "boolean": lambda _: "true or false",
    "object": lambda _: EXPECT_OBJECT,
    ARRAY: lambda _: EXPECT_ROWS,
}


# --- records ---------------------------------------------------------------------------------------------------

_ABSENT: Any = object()
# (the object holding the value, the position of that object, problems) -> the typed value, None after a problem
ValueRule = Callable[[dict[str, Any], str, Problems], Any]
# (object, position, the record's or row's values so far, problems): adds the columns of a field and those under it
Collector = Callable[[dict[str, Any], str, dict[str, Any], Problems], None]


class RecordRules:
    """A contract compiled: checks one parsed record after another, remembering the unique values of the file.

    Problems come in the contract's order of fields; a repeated unique value is reported right after its field,
    when nothing before it in the record was wrong."""

    def __init__(self, contract: Contract) -> None:
        self.contract = contract
        self.record = f"{_article(contract.record)} {contract.record} object"  # "an order object"
        self._steps = [None if f is contract.rows else _field_collector(f) for f in contract.fields]
        self._unique_step = next((i for i, f in enumerate(contract.fields) if f.unique), None)
        self._unique = contract.fields[self._unique_step] if self._unique_step is not None else None
        self._collect_row = _collector(contract.rows.fields)
        self._rows_key = contract.rows.key
        self._partition = contract.partition_source.column

    def check(self, item: object, position: str, seen: dict[str, str], problems: Problems) -> Record | None:
        """The record, or None after adding its problems. `seen`: unique value -> where first seen, in this file."""
        if not isinstance(item, dict):
            problems.add(position, "", render(item), self.record)
            return None
        before = problems.total
        values: dict[str, Any] = {}
        rows: tuple[dict[str, Any], ...] = ()
        for index, step in enumerate(self._steps):
            if step is None:
                rows = self._rows(item, position, problems)
                continue
            step(item, position, values, problems)
            if index == self._unique_step and problems.total == before:
                self._check_unique(item, position, values, seen, problems)
        if problems.total != before:
            return None
        moment = values[self._partition]  # isoformat: strftime's %Y does not pad years before 1000 (0002 -> 2)
        return Record(values, rows, (moment.date() if isinstance(moment, datetime) else moment).isoformat())

    def _check_unique(
        self, item: dict[str, Any], position: str, values: dict[str, Any], seen: dict[str, str], problems: Problems
    ) -> None:
        unique = self._unique
        assert unique is not None
        first = seen.setdefault(values[unique.column], position)
        if first != position:
            where = f"{position}.{unique.key}"
            problems.add(where, unique.key, render(item[unique.key]), f"a unique {unique.key} (first seen at {first})")

    def _rows(self, item: dict[str, Any], position: str, problems: Problems) -> tuple[dict[str, Any], ...]:
        value = item.get(self._rows_key, _ABSENT)
        here = f"{position}.{self._rows_key}"
        if not isinstance(value, list):
            problems.add(here, self._rows_key, _shown(value), EXPECT_ROWS)
            return ()
        rows: list[dict[str, Any]] = []
        for index, element in enumerate(value):
            at = f"{here}[{index}]"
            if not isinstance(element, dict):
                problems.add(at, self._rows_key, render(element), EXPECT_OBJECT)
                continue
            row: dict[str, Any] = {}
            self._collect_row(element, at, row, problems)
            rows.append(row)
        return tuple(rows)


@cache
def rules_for(contract: Contract) -> RecordRules:
    return RecordRules(contract)


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def _collector(fields: tuple[Field, ...]) -> Collector:
    """One collector for a tuple of sibling fields, in order."""
    steps = [_field_collector(field) for field in fields]

    def collect(obj: dict[str, Any], position: str, values: dict[str, Any], problems: Problems) -> None:
        for step in steps:
            step(obj, position, values, problems)

    return collect


def _field_collector(field: Field) -> Collector:
    if field.is_value:
        rule = _VALUE_RULES[field.type](field)
        column = field.column

        def collect_value(obj: dict[str, Any], position: str, values: dict[str, Any], problems: Problems) -> None:
            values[column] = rule(obj, position, problems)

        return collect_value
    inner = _collector(field.fields)
    key, columns, required = field.key, [value.column for value in field.values()], field.required

    def collect_object(obj: dict[str, Any], position: str, values: dict[str, Any], problems: Problems) -> None:
        value = obj.get(key, _ABSENT)
        if isinstance(value, dict):
            inner(value, f"{position}.{key}", values, problems)
            return
        if required or (value is not _ABSENT and value is not None):
            problems.add(f"{position}.{key}", key, _shown(value), expected(field))
        values.update(dict.fromkeys(columns))

    return collect_object


def _shown(value: object) -> str:
    return MISSING if value is _ABSENT else render(value)


# What str.strip() removes (str.isspace): an identifier of only these is blank. None lies past U+3000 (the JSON
# Schema export's test checks all of Unicode); the engine's SQL and the export build their classes from this.
WHITESPACE = "".join(character for character in map(chr, range(0x3001)) if character.isspace())


def _valid_text(value: str) -> bool:
    """False for strings with lone surrogates (legal as JSON escapes, but not encodable as UTF-8)."""
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# --- one rule per type: each returns the typed value, or None after adding a problem -----------------------------


_NOT: Any = object()  # what a conversion returns for a value of another type


def _simple_rule(convert: Callable[[Any], Any]) -> Callable[[Field], ValueRule]:
    """The rule of a type whose value is taken as it is: `convert` gives the typed value, or _NOT."""

    def make(field: Field) -> ValueRule:
        key, required, words = field.key, field.required, expected(field)

        def rule(obj: dict[str, Any], position: str, problems: Problems) -> Any:
            value = obj.get(key, _ABSENT)
            typed = convert(value)
            if typed is not _NOT:
                return typed
            if required or (value is not _ABSENT and value is not None):
                problems.add(f"{position}.{key}", key, _shown(value), words)
            return None

        return rule

    return make


def _as_identifier(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value if isinstance(value, str) and value.strip() and _valid_text(value) else _NOT


def _as_text(value: Any) -> Any:
    return value if isinstance(value, str) and _valid_text(value) else _NOT


def _as_boolean(value: Any) -> Any:
    return value if value is True or value is False else _NOT


def _number(value: Any, key: str, position: str, problems: Problems, words: str) -> Decimal | None:
    """The value as a Decimal if it is a JSON number; otherwise a problem."""
    if isinstance(value, BadNumber):
        value.reported = True
        problems.add(f"{position}.{key}", key, value.text, EXPECT_FINITE)
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    problems.add(f"{position}.{key}", key, _shown(value), words)
    return None


def _money_rule(field: Field) -> ValueRule:
    key, required, words, above = field.key, field.required, expected(field), expected_at_most(field)
    step = field.step
    minimum, maximum = field.accepted_range()
    below = words if field.minimum is not None else f"a number >= {minimum}"

    def money(obj: dict[str, Any], position: str, problems: Problems) -> Decimal | None:
        value = obj.get(key, _ABSENT)
        if not required and (value is _ABSENT or value is None):
            return None
        number = _number(value, key, position, problems, words)
        if number is None:
            return None
        wrong = below if number < minimum else above if number > maximum else None
        if wrong is None and number.quantize(step) != number:
            wrong = words
        if wrong is not None:
            problems.add(f"{position}.{key}", key, render(value), wrong)
            return None
        return number.quantize(step) + 0  # "+ 0" turns -0.00 into 0.00

    return money


def _integer_rule(field: Field) -> ValueRule:
    key, required, words, above = field.key, field.required, expected(field), expected_at_most(field)
    minimum, maximum = field.accepted_range()
    below = words if field.minimum is not None else f"a whole number >= {minimum}"

    def integer(obj: dict[str, Any], position: str, problems: Problems) -> int | None:
        value = obj.get(key, _ABSENT)
        if not required and (value is _ABSENT or value is None):
            return None
        number = _number(value, key, position, problems, words)
        if number is None:
            return None
        if number > maximum:
            problems.add(f"{position}.{key}", key, render(value), above)
            return None
        if number != number.to_integral_value():
            problems.add(f"{position}.{key}", key, render(value), words)
            return None
        if number < minimum:
            problems.add(f"{position}.{key}", key, render(value), below)
            return None
        return int(number)

    return integer


def _calendar_rule(pattern: re.Pattern[str], convert: Callable[[re.Match[str]], Any]) -> Callable[[Field], ValueRule]:
    """The rule of a timestamp or a date: a string of `pattern`'s form whose value `convert` can build."""

    def make(field: Field) -> ValueRule:
        key, required, words, unreal = field.key, field.required, expected(field), expected_on_calendar(field)

        def calendar(obj: dict[str, Any], position: str, problems: Problems) -> Any:
            value = obj.get(key, _ABSENT)
            match = pattern.fullmatch(value) if isinstance(value, str) else None
            if match is None:
                if required or (value is not _ABSENT and value is not None):
                    problems.add(f"{position}.{key}", key, _shown(value), words)
                return None
            try:
                return convert(match)
            except (ValueError, OverflowError):
                problems.add(f"{position}.{key}", key, render(value), unreal)
                return None

        return calendar

    return make


_VALUE_RULES: dict[str, Callable[[Field], ValueRule]] = {
    "identifier": _simple_rule(_as_identifier),
    "text": _simple_rule(_as_text),
    "money": _money_rule,
    "integer": _integer_rule,
    "timestamp": _calendar_rule(DATE_TIME_PATTERN, lambda match: _to_utc(match)),
    "date": _calendar_rule(DATE_PATTERN, lambda match: date(int(match["y"]), int(match["mo"]), int(match["d"]))),
    "boolean": _simple_rule(_as_boolean),
}


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
