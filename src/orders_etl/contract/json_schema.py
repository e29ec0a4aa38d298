"""A contract as a JSON Schema (draft 2020-12), for producers to check a file before they upload it.

The schema is that of the array form; the record's own schema is in ``$defs`` under the contract's record name,
so a JSON Lines producer checks each line against ``#/$defs/<record>``. Each type says what JSON Schema can say
of its rule in orders_etl.contract.rules; what it cannot (calendar validity, uniqueness within a file, lone
surrogates, numbers beyond a double) is listed in docs/contracts.md and pinned by tests.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from orders_etl.contract.rules import DATE_PATTERN, DATE_TIME_PATTERN, WHITESPACE
from orders_etl.contract.spec import ARRAY, Contract, Field

DRAFT = "https://json-schema.org/draft/2020-12/schema"
VERSION_KEYWORD = "x-contract-version"

# The identifier rule's whitespace; every such character is in the Basic Multilingual Plane, so \uXXXX says each.
_SPACES = [ord(character) for character in WHITESPACE]
_NAMED_GROUP = re.compile(r"\(\?P<\w+>")  # Python's syntax; ECMA-262 (JSON Schema's regex dialect) has no `?P`


def json_schema(contract: Contract) -> dict[str, Any]:
    """The JSON Schema of a file (a non-empty JSON array of records); the record's at #/$defs/<record>."""
    unique = next((field for field in contract.fields if field.unique), None)
    description = [
        contract.description,
        f"A JSON array of {contract.records}; in JSON Lines, each line is one {contract.record}: "
        f"{record_ref(contract)}.",
    ]
    if unique is not None:
        description.append(f"{unique.key} is unique within a file; not checked by this schema.")
    return {
        "$schema": DRAFT,
        "title": contract.name,
        "description": " ".join(part for part in description if part),
        VERSION_KEYWORD: contract.version,
        "type": "array",
        "minItems": 1,
        "items": {"$ref": record_ref(contract)},
        "$defs": {contract.record: _record_schema(contract)},
    }


def record_ref(contract: Contract) -> str:
    """The reference of the record's schema: a JSON Pointer (~ and / escaped) in a URI fragment."""
    return "#/$defs/" + quote(contract.record.replace("~", "~0").replace("/", "~1"), safe="")


def _record_schema(contract: Contract) -> dict[str, Any]:
    schema = _object(contract.fields)
    return {"title": contract.record, **schema}


def _object(fields: tuple[Field, ...]) -> dict[str, Any]:
    """Unknown keys are allowed, as the rules ignore them."""
    return {
        "type": "object",
        "properties": {field.key: _property(field) for field in fields},
        "required": [field.key for field in fields if field.required],
        "additionalProperties": True,
    }


def _property(field: Field) -> dict[str, Any]:
    if field.type == ARRAY:
        schema: dict[str, Any] = {"type": "array", "items": _object(field.fields)}
    elif field.is_value:
        schema = _VALUE_SCHEMAS[field.type](field)
    else:
        schema = _object(field.fields)
    if not field.required:
        schema = _or_null(schema)
    return {"description": field.description, **schema} if field.description else schema


def _or_null(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema that also accepts null: every keyword but `type` ignores a null, so null joins the types."""
    types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    return {**schema, "type": [*types, "null"]}


def _identifier(_: Field) -> dict[str, Any]:
    # A pattern applies to strings only: an integer passes it, a string needs one character that is not space.
    return {"type": ["integer", "string"], "pattern": f"[^{_character_class(_SPACES)}]"}


def _character_class(codes: list[int]) -> str:
    """Ascending code points as the inside of a regex class: runs as ranges (\\u2000-\\u200a)."""
    runs: list[list[int]] = []
    for code in codes:
        if runs and runs[-1][1] == code - 1:
            runs[-1][1] = code
        else:
            runs.append([code, code])
    return "".join(f"\\u{first:04x}" + (f"-\\u{last:04x}" if last > first else "") for first, last in runs)


def _money(field: Field) -> dict[str, Any]:
    lowest, highest = field.accepted_range()
    column_lowest, column_highest = field.column_range()
    schema: dict[str, Any] = {"type": "number", "multipleOf": _json_number(field.step)}
    # The column's own limits as exclusive powers of ten: exact in JSON, where 9999999999999999.99 is no double.
    power_of_ten = column_highest + field.step  # 10^(precision - scale)
    if lowest == column_lowest:
        schema["exclusiveMinimum"] = _json_number(-power_of_ten)
    else:
        schema["minimum"] = _json_number(lowest)
    if highest == column_highest:
        schema["exclusiveMaximum"] = _json_number(power_of_ten)
    else:
        schema["maximum"] = _json_number(highest)
    return schema


def _integer(field: Field) -> dict[str, Any]:
    lowest, highest = field.accepted_range()
    return {"type": "integer", "minimum": int(lowest), "maximum": int(highest)}


def _whole_string(pattern: re.Pattern[str]) -> Callable[[Field], dict[str, Any]]:
    """A rule's pattern (which it full-matches) as a JSON Schema pattern (which searches): anchored, in ECMA-262."""
    ecma = "^(?:" + _NAMED_GROUP.sub("(", pattern.pattern) + ")$"
    return lambda _: {"type": "string", "pattern": ecma}


def _json_number(number: Decimal) -> int | float:
    """An int when whole (exact in JSON), else the float whose shortest form is the decimal's own digits (up to
    15 significant digits; docs/contracts.md says what a longer one loses)."""
    return int(number) if number == number.to_integral_value() else float(number)


_VALUE_SCHEMAS: dict[str, Callable[[Field], dict[str, Any]]] = {
    "identifier": _identifier,
    "text": lambda _: {"type": "string"},
    "money": _money,
    "integer": _integer,
    "timestamp": _whole_string(DATE_TIME_PATTERN),
    "date": _whole_string(DATE_PATTERN),
    "boolean": lambda _: {"type": "boolean"},
}
