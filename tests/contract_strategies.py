"""Hypothesis strategies generated from a data contract (orders_etl.contract.spec.Contract), for any contract.

- records(contract, ordinary=...): valid records; every value type on and near its bounds and in every form JSON
  allows, optional values and objects absent, null or present, the rows array of 0..MAX_ROWS elements, and
  members the contract does not name.
- files(contract, ordinary, invalid=...): the bytes of a file of such records (unique values for the unique
  field) as a JSON array, JSON Lines or gzip-compressed, in several spellings of whitespace and escapes.
- invalid_records(contract): a record that breaks exactly one rule of one of the contract's fields.

`ordinary` files hold nothing the engine's fast path hands to the reference by design (orders_etl.engine): no run
of 17 digits and points (a double cannot hold 16 significant digits), no NaN or Infinity anywhere, at most six
fraction digits of seconds, years 0002..9998, money below 10^(15 - scale) and whole doubles below 9e15 in
magnitude. Records are dicts ready for to_json(): a RawJson value is written verbatim (json.dumps writes 1e2 as
100.0 and cannot write -0, 1.50 or a lone surrogate's escape).
"""

from __future__ import annotations

import copy
import gzip
import json
import re
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

from hypothesis import assume
from hypothesis import strategies as st

from orders_etl.contract.spec import ARRAY, BIGINT_MAX, BIGINT_MIN, OBJECT, Contract, Field

LAYOUTS = ("array", "lines", "array.gz", "lines.gz")
MAX_RECORDS = 6
MAX_ROWS = 4
_DOUBLE_DIGITS = 15  # the engine's exact range: a double tells apart all decimals of 15 significant digits
_WHOLE_DOUBLE_LIMIT = 9 * 10**15
_ORDINARY_INTEGER = 10**16 - 1  # 16 digits: the longest integer the byte scan lets through
_DIGIT_RUN = re.compile(r"[0-9.]{17}")


class RawJson(str):
    """JSON text written verbatim by to_json (a number as 1.50e1 or -0, NaN, a string with a lone surrogate)."""


_ABSENT: Any = object()  # a member left out of its object


ESCAPES = ("utf-8", "ascii", "every")  # how strings are written: as UTF-8, \u-escaped beyond ASCII, or all escaped


def to_json(value: Any, *, escape: str = "utf-8", compact: bool = False) -> str:
    """The value as JSON text; `escape` (ESCAPES) spells strings, keys included."""
    comma, colon = (",", ":") if compact else (", ", ": ")
    if isinstance(value, RawJson):
        return str(value)
    if isinstance(value, dict):
        members = (_string(k, escape) + colon + to_json(v, escape=escape, compact=compact) for k, v in value.items())
        return "{" + comma.join(members) + "}"
    if isinstance(value, list):
        return "[" + comma.join(to_json(v, escape=escape, compact=compact) for v in value) + "]"
    if isinstance(value, str):
        return _string(value, escape)
    return json.dumps(value)


def _string(text: str, escape: str) -> str:
    if escape != "every":
        return json.dumps(text, ensure_ascii=escape == "ascii")
    # Every character but ASCII letters, digits and spaces as \uXXXX (astral ones as a surrogate pair), "/" as \/.
    units = []
    for character in text:
        if character.isascii() and (character.isalnum() or character == " "):
            units.append(character)
        elif character == "/":
            units.append("\\/")
        else:
            code = character.encode("utf-16-be")
            units += [f"\\u{code[i]:02X}{code[i + 1]:02x}" for i in range(0, len(code), 2)]
    return '"' + "".join(units) + '"'


def is_ordinary(text: str) -> bool:
    """Nothing the fast path's byte scan hands to the reference: NaN, Infinity, 17 digits and points in a row."""
    return "NaN" not in text and "Infinity" not in text and _DIGIT_RUN.search(text) is None


def _ordinary_string(value: str) -> bool:
    return all(is_ordinary(_string(value, escape)) for escape in ESCAPES)


def identifier_value(value: Any) -> str | None:
    """An identifier's typed value as the reference's rule gives it (1 and "1" are the same); None if not one."""
    if isinstance(value, RawJson):
        try:
            return str(int(value))
        except ValueError:
            return None
    if isinstance(value, bool):
        return None
    if isinstance(value, int | str):
        return str(value)
    return None


# --- values of each type ----------------------------------------------------------------------------------------

_CHARACTERS = st.characters(codec="utf-8", exclude_categories=("Cs",))  # lone surrogates are not UTF-8 text
_TEXT_EDGES = ("", " ", "\t", "\u3000", "0", "007", "-0", "é", "\U0001f600", "\x00", "\x1f", "\x7f", "\u2028")
_TEXT_EDGES += ('"', "\\", "line\nbreak", "\r\n", "\ufeff", "\uffff", "a b", "ÅNGSTRÖM", "İ")
# Valid text that the byte scan hands to the reference.
_UNUSUAL_TEXTS = ("NaN", "-Infinity", "12345678901234567", "1234567.000000001", "v1.2.3.4.5.6.7.8.9")


@cache
def _texts(ordinary: bool) -> st.SearchStrategy[str]:
    usual = st.one_of(st.sampled_from(_TEXT_EDGES), st.text(_CHARACTERS, max_size=12))
    if ordinary:
        return usual.filter(_ordinary_string)
    return st.one_of(usual, st.sampled_from(_UNUSUAL_TEXTS), st.text("0123456789.", min_size=17, max_size=24))


def _identifiers(field: Field, ordinary: bool) -> st.SearchStrategy[Any]:
    names = _texts(ordinary).filter(lambda text: text.strip() != "")
    if ordinary:
        edges = [0, 1, -1, _ORDINARY_INTEGER, -_ORDINARY_INTEGER, RawJson("-0")]
        numbers = st.integers(-_ORDINARY_INTEGER, _ORDINARY_INTEGER)
    else:
        edges = [0, -1, BIGINT_MIN, BIGINT_MAX, 2**64 - 1, 2**64, BIGINT_MIN - 1, 10**30, RawJson("-0")]
        numbers = st.integers(BIGINT_MIN, 2**64 - 1) | st.integers(-(10**40), 10**40)
    return st.one_of(st.sampled_from(edges), numbers, names)


def _text_values(field: Field, ordinary: bool) -> st.SearchStrategy[Any]:
    return _texts(ordinary)


def _booleans(field: Field, ordinary: bool) -> st.SearchStrategy[Any]:
    return st.booleans()


def _near(low: int, high: int, points: list[int]) -> st.SearchStrategy[int]:
    """Integers in [low, high]: on and next to each point and bound, small ones, and any."""
    edges = sorted({p + d for p in [low, high, 0, *points] for d in (-1, 0, 1) if low <= p + d <= high})
    small = st.integers(max(low, -1000), min(high, 1000)) if max(low, -1000) <= min(high, 1000) else st.nothing()
    return st.one_of(st.sampled_from(edges), small, st.integers(low, high))


def _written(draw: st.DrawFn, units: int, exponent: int, *, whole_double: bool) -> RawJson:
    """units * 10^exponent as JSON text: integer, decimal (with zeros after its last digit or not), exponent forms.

    whole_double: may a whole number be written as a double (2.0, 1e2)?"""
    value = Decimal(units).scaleb(exponent)
    sign = "-" if units < 0 or (units == 0 and draw(st.booleans())) else ""
    plain = format(abs(value).normalize(), "f")  # 1200, 12.3, 0.05
    forms = ["plain"]
    if whole_double or "." in plain:
        forms += ["padded", "exponent"]
    form = draw(st.sampled_from(forms))
    if form == "plain":
        return RawJson(sign + plain)
    if form == "padded":
        zeros = "0" * draw(st.integers(1, 3))
        return RawJson(sign + (plain + zeros if "." in plain else f"{plain}.{zeros}"))
    digits, power = str(abs(units)), exponent
    padding = draw(st.integers(0, 2)) if units else 0  # 120000e-2 for 1200 (but never 00e0)
    digits, power = digits + "0" * padding, power - padding
    point = draw(st.integers(0, len(digits)))  # digits after the mantissa's point; len(digits): 0.xxx
    if point == len(digits):
        mantissa = "0." + digits
    elif point:
        mantissa = f"{digits[:-point]}.{digits[-point:]}"
    else:
        mantissa = digits
    power += point
    marker = draw(st.sampled_from(["e", "E"]))
    power_sign = "-" if power < 0 else draw(st.sampled_from(["", "+"]))
    return RawJson(f"{sign}{mantissa}{marker}{power_sign}{abs(power)}")


@st.composite
def _number_texts(
    draw: st.DrawFn, units: st.SearchStrategy[int], exponent: int, *, whole_double_below: int | None
) -> RawJson:
    """A number of `units` times 10^exponent in any of its forms; a whole one written as a double (2.0, 1e2) only
    below `whole_double_below` in magnitude, when given."""
    n = draw(units)
    whole_double = whole_double_below is None or abs(n) < whole_double_below
    return _written(draw, n, exponent, whole_double=whole_double)


def _money(field: Field, ordinary: bool) -> st.SearchStrategy[Any]:
    assert field.maximum is not None
    minimum = field.minimum if field.minimum is not None else -field.maximum
    low, high = int(minimum.scaleb(field.scale)), int(field.maximum.scaleb(field.scale))  # in steps of the scale
    exact = 10**_DOUBLE_DIGITS  # steps: 10^(15 - scale) is the double's exact range
    if ordinary:
        low, high = max(low, -exact + 1), min(high, exact - 1)
    texts = _number_texts(_near(low, high, [exact, -exact]), -field.scale, whole_double_below=None)
    return texts.filter(is_ordinary) if ordinary else texts


def _integers(field: Field, ordinary: bool) -> st.SearchStrategy[Any]:
    assert field.maximum is not None
    low = int(field.minimum) if field.minimum is not None else BIGINT_MIN
    high = int(field.maximum)
    limits = [_WHOLE_DOUBLE_LIMIT, -_WHOLE_DOUBLE_LIMIT, 2**53, _ORDINARY_INTEGER, -_ORDINARY_INTEGER]
    if ordinary:
        low, high = max(low, -_ORDINARY_INTEGER), min(high, _ORDINARY_INTEGER)
    texts = _number_texts(_near(low, high, limits), 0, whole_double_below=_WHOLE_DOUBLE_LIMIT if ordinary else None)
    return texts.filter(is_ordinary) if ordinary else texts


def _days(ordinary: bool) -> st.SearchStrategy[date]:
    first, last = (date(2, 1, 1), date(9998, 12, 31)) if ordinary else (date(1, 1, 1), date(9999, 12, 31))
    edges = [first, first + timedelta(days=1), last, last - timedelta(days=1), date(1969, 12, 31), date(1970, 1, 1)]
    edges += [date(4, 2, 29), date(999, 12, 31), date(1000, 1, 1), date(2000, 2, 29), date(2024, 2, 29)]
    return st.one_of(st.sampled_from(edges), st.dates(first, last))


def _dates(field: Field, ordinary: bool) -> st.SearchStrategy[Any]:
    return _days(ordinary).map(date.isoformat)


_OFFSET_MINUTES = st.one_of(st.sampled_from([0, 1, -1, 23 * 60 + 59, -(23 * 60 + 59)]), st.integers(-1439, 1439))


@st.composite
def _timestamp_texts(draw: st.DrawFn, ordinary: bool) -> str:
    """Every form the contract accepts: a date; T or space; seconds, 1-9 fraction digits and Z or an offset each
    optional; only instants whose UTC time is on the calendar (0001..9999)."""
    day = draw(_days(ordinary))
    if draw(st.integers(0, 4)) == 0:
        return day.isoformat()
    hour, minute = draw(st.integers(0, 23)), draw(st.integers(0, 59))
    text = f"{day.isoformat()}{draw(st.sampled_from('T '))}{hour:02d}:{minute:02d}"
    seconds = draw(st.none() | st.integers(0, 59))
    if seconds is not None:
        text += f":{seconds:02d}"
        digits = draw(st.none() | st.text("0123456789", min_size=1, max_size=6 if ordinary else 9))
        text += f".{digits}" if digits is not None else ""
    zone = draw(st.sampled_from(["", "Z", "offset"]))
    if zone != "offset":
        return text + zone
    minutes = draw(_OFFSET_MINUTES)
    try:  # the UTC instant must be on the calendar too
        datetime(day.year, day.month, day.day, hour, minute) - timedelta(minutes=minutes)
    except OverflowError:
        return text + "Z"
    sign = "-" if minutes < 0 or (minutes == 0 and draw(st.booleans())) else "+"
    return text + f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _timestamps(field: Field, ordinary: bool) -> st.SearchStrategy[Any]:
    return _timestamp_texts(ordinary)


_VALUES: dict[str, Callable[[Field, bool], st.SearchStrategy[Any]]] = {
    "identifier": _identifiers,
    "text": _text_values,
    "money": _money,
    "integer": _integers,
    "timestamp": _timestamps,
    "date": _dates,
    "boolean": _booleans,
}


# --- unknown fields ---------------------------------------------------------------------------------------------

# Valid numbers the byte scan hands to the reference (NaN and Infinity are not valid: see _break_one).
_UNUSUAL_NUMBERS = ("1e400", "-1e-400", "123456789012345678901234567890", "0.1000000000000000001", "-0.0")


@cache
def _json_values(ordinary: bool) -> st.SearchStrategy[Any]:
    """Any JSON value, for fields the contract does not know (the reference and DuckDB ignore them, once parsed)."""
    numbers = st.integers(-(10**15), 10**15) | st.sampled_from([RawJson("1.5e3"), RawJson("-0"), RawJson("0.25")])
    if not ordinary:
        numbers |= st.integers() | st.sampled_from([RawJson(n) for n in _UNUSUAL_NUMBERS])
    leaves = st.one_of(st.none(), st.booleans(), numbers, _texts(ordinary))
    return st.recursive(
        leaves,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_texts(ordinary), inner, max_size=3),
        max_leaves=6,
    )


@cache
def _unknown_fields(fields: tuple[Field, ...], ordinary: bool) -> st.SearchStrategy[dict[str, Any]]:
    """Members of an object the contract does not name, among them its keys in other cases (DuckDB's names
    ignore case; the contract's keys do not)."""
    known = {field.key for field in fields}
    other_cases = sorted(({key.upper() for key in known} | {key.title() for key in known}) - known)
    keys = (st.sampled_from(other_cases) if other_cases else st.nothing()) | _texts(ordinary)
    keys = keys.filter(lambda key: key not in known)
    return st.dictionaries(keys, _json_values(ordinary), max_size=2)


# --- records ----------------------------------------------------------------------------------------------------


@cache
def _member(field: Field, ordinary: bool) -> st.SearchStrategy[Any]:
    """A field's member of its object: _ABSENT, None or a value for an optional one."""
    if field.type == ARRAY:
        present: st.SearchStrategy[Any] = st.lists(_object(field.fields, ordinary), max_size=MAX_ROWS)
        return present  # the reference requires the rows array whatever `required` says
    present = _VALUES[field.type](field, ordinary) if field.is_value else _object(field.fields, ordinary)
    if field.required:
        return present
    return st.one_of(st.just(_ABSENT), st.none(), present)


@cache
def _object(fields: tuple[Field, ...], ordinary: bool) -> st.SearchStrategy[dict[str, Any]]:
    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        members = {field.key: draw(_member(field, ordinary)) for field in fields}
        members |= draw(_unknown_fields(fields, ordinary))
        order = draw(st.permutations(list(members)))  # members in any order
        return {key: members[key] for key in order if members[key] is not _ABSENT}

    return build()


def records(contract: Contract, *, ordinary: bool) -> st.SearchStrategy[dict[str, Any]]:
    """Valid records of the contract; `ordinary`: nothing the fast path hands to the reference (module docstring)."""
    return _object(contract.fields, ordinary)


# --- records that break one rule -----------------------------------------------------------------------------------

_NOT_OBJECTS = ("x", 5, True, [], [{}])
_WHITESPACE = (" ", "\t", "\u3000", "\u2028", " \n\r\x0b\x0c\x1c\x85\xa0", "\u200a")
_LONE_SURROGATE = RawJson('"\\ud800"')
_BAD_NUMBERS = (RawJson("NaN"), RawJson("Infinity"), RawJson("-Infinity"))
_BAD_TIMESTAMPS = (
    *("2025/09/01", "2025-09-01T10:00:00+0200", "2025-02-30", "2025-09-01T24:00:00Z", "0000-01-01", "2025-9-1"),
    *("2025-09-01t10:00:00", "2025-09-01T10:00:00z", "2025-09-01T10:60", "2025-09-01T10:00:60", "", " 2025-09-01"),
    *("2025-09-01 ", "2025-09-01T10:00:00.", "2025-09-01T10:00:00+24:00", "2025-09-01T10:00:00+05:60", "20250901"),
    *("2025-09-01T10", "2025-09-01T10:00:00.5 Z", "2025-09-01Z", "0001-01-01T00:00+00:01", "9999-12-31T23:59-00:01"),
    *("+2025-09-01", "2025-09-01T1:00", 20250901, "2025-09-01T10:00:00,5"),
)
_BAD_DATES = ("2025-02-29", "2025-9-5", "2025-09-05T00:00:00Z", 20250905, "0000-01-01", "", "2025-13-01")
_BAD_DATES += ("2025-00-10", " 2025-09-05", "2025-09-05 ", "2025-09-05 10:00", "25-09-05")


def _money_breaks(field: Field) -> list[Any]:
    assert field.maximum is not None
    step = Decimal(1).scaleb(-field.scale)
    minimum = field.minimum if field.minimum is not None else -field.maximum
    finer = max(minimum, min(field.maximum - step, Decimal(0))) + step / 10  # one decimal too many, within bounds
    numbers = [minimum - step, field.maximum + step, finer, minimum - 1, field.maximum * 10]
    return [*(RawJson(format(n, "f")) for n in numbers), *_BAD_NUMBERS, "1.5", "0", True, {}]


def _integer_breaks(field: Field) -> list[Any]:
    assert field.maximum is not None
    minimum = field.minimum if field.minimum is not None else Decimal(BIGINT_MIN)
    above, below = int(field.maximum) + 1, int(minimum) - 1
    within = max(int(minimum), min(int(field.maximum) - 1, 0))
    forms = [above, below, RawJson(f"{above}.0"), RawJson(f"{above}e0"), RawJson(f"{below}.0")]
    return [*forms, RawJson(f"{within}.5"), RawJson(f"{within}.000001"), *_BAD_NUMBERS, "5", True, [1]]


_IDENTIFIER_BREAKS = ("", *_WHITESPACE, True, False, RawJson("1.5"), RawJson("1e2"), RawJson("1.0"), {}, [1])
_IDENTIFIER_BREAKS += (_LONE_SURROGATE, RawJson('"a\\udc00"'))
_BREAKS: dict[str, Callable[[Field], list[Any]]] = {
    "identifier": lambda _: list(_IDENTIFIER_BREAKS),
    "text": lambda _: [5, RawJson("1.5"), True, {}, ["x"], _LONE_SURROGATE, RawJson('"\\udfff\\ud800"')],
    "money": _money_breaks,
    "integer": _integer_breaks,
    "timestamp": lambda _: list(_BAD_TIMESTAMPS),
    "date": lambda _: list(_BAD_DATES),
    "boolean": lambda _: ["true", "false", 1, 0, RawJson("1.0"), [True]],
    OBJECT: lambda _: list(_NOT_OBJECTS),
    ARRAY: lambda _: [{}, "x", 5, True],
}
_BAD_ROWS = (None, 5, "x", [], True)  # an element of the rows array that is not an object


def _breaks(field: Field) -> list[Any]:
    """Values that break one rule of the field (_ABSENT: leave it out)."""
    missing = [_ABSENT, None] if field.required or field.type == ARRAY else []
    return missing + _BREAKS[field.type](field)


def _targets(fields: tuple[Field, ...], ancestors: tuple[Field, ...] = ()) -> Iterator[tuple[Field, ...]]:
    """Every field of the contract with the objects and array above it: (ancestors..., field)."""
    for field in fields:
        yield (*ancestors, field)
        yield from _targets(field.fields, (*ancestors, field))


def _break(draw: st.DrawFn, contract: Contract, record: dict[str, Any]) -> dict[str, Any]:
    """The valid record with one rule of one of the contract's fields broken (in place)."""
    chain = draw(st.sampled_from(list(_targets(contract.fields))))
    *above, target = chain
    holder = record
    for ancestor in above:  # make every object and array above the target present
        if ancestor.type == ARRAY:
            elements = holder.get(ancestor.key)
            if not isinstance(elements, list) or not elements:
                holder[ancestor.key] = elements = [draw(_object(ancestor.fields, True))]
            holder = elements[draw(st.integers(0, len(elements) - 1))]
        else:
            if not isinstance(holder.get(ancestor.key), dict):
                holder[ancestor.key] = draw(_object(ancestor.fields, True))
            holder = holder[ancestor.key]
    if target.type == ARRAY and draw(st.booleans()):  # a bad element among good ones
        elements = holder.get(target.key) or []
        elements.insert(draw(st.integers(0, len(elements))), copy.deepcopy(draw(st.sampled_from(_BAD_ROWS))))
        holder[target.key] = elements
        return record
    value = draw(st.sampled_from(_breaks(target)))
    if value is _ABSENT:
        holder.pop(target.key, None)
    else:
        holder[target.key] = copy.deepcopy(value)  # a fresh {} or [] for each record
    return record


@cache
def invalid_records(contract: Contract) -> st.SearchStrategy[dict[str, Any]]:
    """Ordinary records with exactly one rule of one field broken: a required value or object absent or null, a
    value of another type or form, beyond a bound, with a decimal too many, not on the calendar, not UTF-8 (a lone
    surrogate), NaN or Infinity; an object or the rows array not one, an element of the rows array not an object.
    Ordinary: the fast path's own checks judge the other values."""
    return _broken_records(contract)


@st.composite
def _broken_records(draw: st.DrawFn, contract: Contract) -> dict[str, Any]:
    return _break(draw, contract, draw(records(contract, ordinary=True)))


# --- files ------------------------------------------------------------------------------------------------------


def _unique_key(contract: Contract) -> str | None:
    return next((field.key for field in contract.fields if field.unique), None)


@st.composite
def _file_bytes(draw: st.DrawFn, found: list[dict[str, Any]], ordinary: bool) -> bytes:
    """The records in a layout (LAYOUTS) and one of the spellings the reference accepts: strings escaped or not,
    compact or spaced, LF or CRLF, whitespace and blank lines around records, a BOM, gzip in one or two members."""
    layout = draw(st.sampled_from(LAYOUTS))
    escape, compact = draw(st.sampled_from(ESCAPES)), draw(st.booleans())
    texts = [to_json(record, escape=escape, compact=compact) for record in found]
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    space = st.sampled_from(["", " ", "\t", newline, f" {newline}\t"])
    if layout.startswith("array"):
        text = draw(space) + "[" + draw(space) + f"{draw(space)},{draw(space)}".join(texts) + draw(space) + "]"
    else:  # a blank line (only whitespace) may come anywhere; the last line may lack its line break
        blank = st.sampled_from(["", newline, f" \t{newline}"])
        text = draw(blank) + "".join(line + newline + draw(blank) for line in texts)
        text = text.removesuffix(newline) if draw(st.booleans()) and text.endswith(newline) else text
    if ordinary:
        assume(is_ordinary(text))  # values are ordinary one by one; this guards what they make side by side
    data = ("\ufeff" if draw(st.integers(0, 9)) == 9 else "").encode() + text.encode(
        "utf-8"
    )  # 1 in 10; shrinks to none
    if not layout.endswith(".gz"):
        return data
    cut = draw(st.sampled_from([len(data), draw(st.integers(0, len(data)))]))  # two members: gunzip joins them
    return gzip.compress(data[:cut], mtime=0) + (gzip.compress(data[cut:], mtime=0) if cut < len(data) else b"")


@st.composite
def _files(draw: st.DrawFn, contract: Contract, ordinary: bool, invalid: bool) -> bytes:
    unique = _unique_key(contract)
    found = draw(
        st.lists(
            records(contract, ordinary=ordinary or invalid),
            min_size=1,
            max_size=MAX_RECORDS,
            unique_by=(lambda record: identifier_value(record[unique])) if unique else None,
        )
    )
    if invalid:
        _break_one(draw, contract, found, unique)
    return draw(_file_bytes(found, ordinary and not invalid))


_INTEGER_TEXT = re.compile(r"-?[1-9][0-9]*|0")


def _break_one(draw: st.DrawFn, contract: Contract, found: list[dict[str, Any]], unique: str | None) -> None:
    """One record of `found` made invalid: one rule of one field broken (as by invalid_records), or another record's
    unique value (in another form where it has one: 1 and "1"), or an unknown member holding NaN or Infinity (not
    JSON: the reference refuses them anywhere; no contract key holds a space)."""
    index = draw(st.integers(0, len(found) - 1))
    ways = ["field"] * 4 + ["unknown NaN"] + (["repeat"] if unique is not None and len(found) > 1 else [])
    way = draw(st.sampled_from(ways))
    if way == "repeat":
        assert unique is not None
        first = draw(st.sampled_from([i for i in range(len(found)) if i != index]))
        value = found[first][unique]
        typed = identifier_value(value)
        forms = [value, typed, *([int(typed)] if typed is not None and _INTEGER_TEXT.fullmatch(typed) else [])]
        found[index][unique] = draw(st.sampled_from(forms))
    elif way == "unknown NaN":
        bad = draw(st.sampled_from(_BAD_NUMBERS))
        found[index][draw(st.sampled_from(["an unknown member", "é x"]))] = draw(
            st.sampled_from([bad, [1, bad], {"x": bad}])
        )
    else:  # the record keeps its unique value, unique in the file: a repeat would break a second rule
        _break(draw, contract, found[index])


@cache
def files(contract: Contract, ordinary: bool, *, invalid: bool = False) -> st.SearchStrategy[bytes]:
    """Files of 1..MAX_RECORDS records with unique values for the unique field (see _file_bytes for the layouts);
    `invalid`: exactly one rule broken once (see _break_one)."""
    return _files(contract, ordinary, invalid)
