"""A data contract as data: the records of a file, their fields and types, and the table's columns.

A contract is a YAML file (the shipped one: src/orders_etl/contracts/orders.yaml; the format: docs/contracts.md).
Every check, column and message of the pipeline derives from the loaded :class:`Contract`. Loading refuses
anything the engine could not check exactly (an unknown type or key, bounds a column cannot hold, two fields
writing one column, ...) with a :class:`ContractError` that names the file, the field and what to change.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any, NoReturn

import yaml

CONTRACTS_DIR = Path(__file__).resolve().parents[1] / "contracts"
DEFAULT_CONTRACT = "orders"

# The types of values, each with exact, documented semantics (docs/contracts.md), and the containers.
VALUE_TYPES = ("identifier", "text", "money", "integer", "timestamp", "date", "boolean")
OBJECT, ARRAY = "object", "array"
MAX_DECIMAL_PRECISION = 38  # DuckDB's, Parquet's and Athena's largest DECIMAL
BIGINT_MIN, BIGINT_MAX = -(2**63), 2**63 - 1
SOURCE_KEY_COLUMN = "source_key"  # the pipeline's own column after the contract's: the file each row came from

_COLUMN_NAME = re.compile(r"[a-z_][a-z0-9_]{0,254}")  # Glue and Athena: lower case, at most 255 characters
_KEY = re.compile(r"[^.\[\]\s]+")  # a JSON key usable in positions ($[0].customer.name)
_CONTRACT_KEYS = {"name", "version", "description", "record", "records", "rows", "partition", "fields"}
_FIELD_KEYS = {
    "identifier": {"unique"},
    "text": set(),
    "money": {"precision", "scale", "minimum", "maximum"},
    "integer": {"minimum", "maximum"},
    "timestamp": set(),
    "date": set(),
    "boolean": set(),
    OBJECT: {"fields"},
    ARRAY: {"fields"},
}
_COMMON_KEYS = {"type", "required", "description", "column"}


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's, when the wheel has it: 10x faster


class ContractError(ValueError):
    """A contract file that cannot be used; the message says where and what to change, on one line."""


@dataclass(frozen=True)
class Field:
    """One field of a record, of an object in it, or of the elements of the rows array."""

    key: str  # its key in its object
    path: tuple[str, ...]  # the keys from the record (or from a row element) down to it
    type: str
    required: bool
    description: str
    column: str = ""  # the output column of a value; "" for an object or the array
    unique: bool = False  # identifiers of the record: no two records of a file share the value
    precision: int = 0  # money: digits in all, and after the point
    scale: int = 0
    minimum: Decimal | None = None  # money and integer
    maximum: Decimal | None = None
    fields: tuple[Field, ...] = ()  # an object's, or the rows array's elements'
    location: str = field(default="", compare=False)  # where the contract file declares it: fields.customer.fields.name

    @property
    def is_value(self) -> bool:
        return self.type in VALUE_TYPES

    @property
    def step(self) -> Decimal:
        """The smallest difference between two values: 10^-scale (1 for an integer)."""
        return Decimal(1).scaleb(-self.scale)

    def column_range(self) -> tuple[Decimal, Decimal]:
        """(lowest, highest) a money or integer column holds: DECIMAL(p, s) within +-(10^(p-s) - 10^-s), BIGINT its
        own."""
        if self.type == "integer":
            return Decimal(BIGINT_MIN), Decimal(BIGINT_MAX)
        largest = _decimal_largest(self.precision, self.scale)
        return -largest, largest

    def accepted_range(self) -> tuple[Decimal, Decimal]:
        """(lowest, highest) a money or integer value may be, both included: the contract's bounds, else the
        column's (`minimum` stays None when the contract gives none: the words of problems then name no floor)."""
        assert self.maximum is not None  # the contract's, or the column's largest
        lowest = self.minimum if self.minimum is not None else self.column_range()[0]
        return lowest, self.maximum

    def values(self) -> list[Field]:
        """The value fields at and under this one, depth first in the contract's order."""
        if self.is_value:
            return [self]
        return [value for child in self.fields for value in child.values()]


@dataclass(frozen=True)
class Column:
    """An output column: its name and the field whose value it holds (None: source_key, added by the pipeline)."""

    name: str
    field: Field | None


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: load_contract gives one object per file
class Contract:
    name: str
    version: int
    description: str
    record: str  # one record, in messages: "an order object"
    records: str  # several: "a JSON array of orders"
    fields: tuple[Field, ...]  # the record's, in order
    rows: Field  # the array whose elements become rows
    partition_column: str  # the partition (a folder per value: dt=2025-09-01), not a column of the files
    partition_source: Field  # the record's timestamp or date whose UTC date is the partition
    source: Path = Path()

    def record_values(self) -> list[Field]:
        """The record's value fields (outside the rows array), depth first."""
        return [value for top in self.fields if top is not self.rows for value in top.values()]

    def row_values(self) -> list[Field]:
        """The value fields of the rows array's elements, depth first."""
        return self.rows.values()

    def columns(self) -> list[Column]:
        """The table's columns in order: the contract's values depth first, then source_key."""
        values = [value for top in self.fields for value in top.values()]
        return [*(Column(value.column, value) for value in values), Column(SOURCE_KEY_COLUMN, None)]

    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns())

    def parquet_metadata(self) -> dict[str, str]:
        """The key-value metadata of every Parquet file written under this contract: a backfill can find the files
        an older version wrote."""
        return {"contract": self.name, "contract_version": str(self.version)}


@cache
def load_contract(name_or_path: str = DEFAULT_CONTRACT) -> Contract:
    """A shipped contract by name (src/orders_etl/contracts/<name>.yaml) or a contract file by path."""
    path = Path(name_or_path)
    if path.suffix not in (".yaml", ".yml"):
        path = CONTRACTS_DIR / f"{name_or_path}.yaml"
    try:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except FileNotFoundError:
        shipped = sorted(p.stem for p in CONTRACTS_DIR.glob("*.yaml"))
        raise ContractError(f"{path}: no such contract file (shipped contracts: {', '.join(shipped)})") from None
    except yaml.YAMLError as error:
        raise ContractError(f"{path}: not valid YAML ({' '.join(str(error).split())})") from None
    return parse_contract(document, path)


def parse_contract(document: Any, source: Path = Path("<contract>")) -> Contract:
    """The Contract a YAML document describes; ContractError naming the first thing wrong with it."""
    where = _Where(source)
    top = where.mapping(document, "", required={"name", "version", "record", "records", "rows", "partition", "fields"})
    where.known(top, _CONTRACT_KEYS, "")
    fields = _fields(where, top["fields"], (), "fields")
    rows_key = where.text(top["rows"], "rows")
    rows = next((f for f in fields if f.key == rows_key and f.type == ARRAY), None)
    if rows is None:
        where.fail("rows", f"names no array field of the record: {rows_key!r}")
    if not rows.required:  # a record's rows may be [], never absent: the rules require the array
        where.fail(f"{rows.location}.required", "the rows array is required (an empty one gives no rows)")
    partition = where.mapping(top["partition"], "partition", required={"column", "from"})
    where.known(partition, {"column", "from"}, "partition")
    source_key = where.text(partition["from"], "partition.from")
    partition_source = next((f for f in fields if f.key == source_key), None)
    if partition_source is None or partition_source.type not in ("timestamp", "date") or not partition_source.required:
        where.fail("partition.from", f"names no required timestamp or date field of the record: {source_key!r}")
    contract = Contract(
        name=where.text(top["name"], "name"),
        version=where.integer(top["version"], "version"),
        description=str(top.get("description", "")),
        record=where.text(top["record"], "record"),
        records=where.text(top["records"], "records"),
        fields=fields,
        rows=rows,
        partition_column=where.column_name(partition["column"], "partition.column"),
        partition_source=partition_source,
        source=source,
    )
    _check_layout(where, contract)
    return contract


def _fields(where: _Where, document: Any, path: tuple[str, ...], at: str) -> tuple[Field, ...]:
    mapping = where.mapping(document, at)
    if not mapping:
        where.fail(at, "lists no fields")
    # DuckDB's struct fields, like SQL names, ignore case: `id` and `ID` side by side could not be read apart.
    folded: dict[str, str] = {}
    for key in map(str, mapping):
        if folded.setdefault(key.lower(), key) != key:
            where.fail(f"{at}.{key}", f"differs from {folded[key.lower()]!r} only in case; rename one")
    return tuple(_field(where, str(key), spec, path, f"{at}.{key}") for key, spec in mapping.items())


def _field(where: _Where, key: str, document: Any, path: tuple[str, ...], at: str) -> Field:
    if not _KEY.fullmatch(key):
        where.fail(at, "a field's key must not be empty or hold '.', '[', ']' or spaces")
    spec = where.mapping(document, at, required={"type"})
    kind = spec["type"]
    if kind not in _FIELD_KEYS:
        where.fail(f"{at}.type", f"unknown type {kind!r} (types: {', '.join([*VALUE_TYPES, OBJECT, ARRAY])})")
    where.known(spec, _COMMON_KEYS | _FIELD_KEYS[kind], at)
    here = (*path, key)
    common: dict[str, Any] = {
        "key": key,
        "path": here,
        "type": kind,
        "required": where.boolean(spec.get("required", True), f"{at}.required"),
        "description": str(spec.get("description", "")),
        "location": at,
    }
    if kind in (OBJECT, ARRAY):
        if "column" in spec:
            where.fail(f"{at}.column", f"an {kind} has no column: its fields do")
        return Field(**common, fields=_fields(where, spec.get("fields"), () if kind == ARRAY else here, f"{at}.fields"))
    column = where.column_name(spec.get("column", key), f"{at}.column")
    extra: dict[str, Any] = {"unique": where.boolean(spec.get("unique", False), f"{at}.unique")}
    if kind == "money":
        extra |= _money_bounds(where, spec, at)
    elif kind == "integer":
        extra |= _integer_bounds(where, spec, at)
    return Field(**common, column=column, **extra)


def _money_bounds(where: _Where, spec: dict[str, Any], at: str) -> dict[str, Any]:
    precision = where.integer(spec.get("precision"), f"{at}.precision")
    scale = where.integer(spec.get("scale"), f"{at}.scale")
    if not 1 <= precision <= MAX_DECIMAL_PRECISION or not 0 <= scale <= precision:
        where.fail(at, f"precision and scale must satisfy 0 <= scale <= precision <= {MAX_DECIMAL_PRECISION}")
    largest = _decimal_largest(precision, scale)
    minimum, maximum = where.bounds(spec, at, -largest, largest, scale)
    return {"precision": precision, "scale": scale, "minimum": minimum, "maximum": maximum}


def _decimal_largest(precision: int, scale: int) -> Decimal:
    """The largest DECIMAL(precision, scale): DECIMAL(18, 2) holds up to 9999999999999999.99."""
    return Decimal(10) ** (precision - scale) - Decimal(1).scaleb(-scale)


def _integer_bounds(where: _Where, spec: dict[str, Any], at: str) -> dict[str, Any]:
    minimum, maximum = where.bounds(spec, at, Decimal(BIGINT_MIN), Decimal(BIGINT_MAX), 0)
    return {"minimum": minimum, "maximum": maximum}


def _check_layout(where: _Where, contract: Contract) -> None:
    """One rows array, at the record's top; unique identifiers at the record's top; one field per column."""
    for top in contract.fields:
        nested = [f for f in _all_fields(top.fields) if f.type == ARRAY]
        if nested:
            where.fail(_at(nested[0]), "only the rows array may be an array (a nested array has no columns)")
        if top.type == ARRAY and top is not contract.rows:
            where.fail(_at(top), f"only the rows array ({contract.rows.key}) may be an array")
    for value in contract.row_values() + [v for v in contract.record_values() if len(v.path) > 1]:
        if value.unique:
            where.fail(_at(value), "unique applies to an identifier of the record itself")
    unique = [value for value in contract.record_values() if value.unique]
    if len(unique) > 1:  # the engine groups by it to find repeats: one grouping a file
        where.fail(_at(unique[1]), f"one field of a record may be unique ({unique[0].key} is)")
    seen: dict[str, Field] = {}
    for column in contract.columns():
        if column.name == contract.partition_column:
            where.fail("partition.column", f"{column.name!r} is also a column of the table")
        if column.name in seen and column.field is not None:
            where.fail(_at(column.field), f"column {column.name!r} is {_at(seen[column.name])}'s too: set `column:`")
        if column.field is None and column.name in seen:
            where.fail(_at(seen[column.name]), f"{column.name!r} is the pipeline's own column: set `column:`")
        if column.field is not None:
            seen[column.name] = column.field


def _all_fields(fields: tuple[Field, ...]) -> list[Field]:
    return [f for child in fields for f in (child, *_all_fields(child.fields))]


def _at(declared: Field) -> str:
    return declared.location


class _Where:
    """Reads a contract document, failing with the file and the place in it."""

    def __init__(self, source: Path) -> None:
        self.source = source

    def fail(self, at: str, problem: str) -> NoReturn:
        raise ContractError(f"{self.source}: {at or 'the document'}: {problem}")

    def mapping(self, value: Any, at: str, required: Collection[str] = ()) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.fail(at, "must be a mapping (key: value lines)")
        missing = sorted(set(required) - set(value))
        if missing:
            self.fail(at, f"missing {', '.join(missing)}")
        return dict(value)

    def known(self, mapping: dict[str, Any], keys: set[str], at: str) -> None:
        unknown = sorted(set(mapping) - keys)
        if unknown:
            self.fail(f"{at}.{unknown[0]}" if at else unknown[0], f"unknown key (allowed: {', '.join(sorted(keys))})")

    def text(self, value: Any, at: str) -> str:
        if not isinstance(value, str) or not value.strip():
            self.fail(at, "must be a non-empty string")
        return str(value)

    def integer(self, value: Any, at: str) -> int:
        if not isinstance(value, int) or isinstance(value, bool):
            self.fail(at, "must be a whole number")
        return int(value)

    def boolean(self, value: Any, at: str) -> bool:
        if not isinstance(value, bool):
            self.fail(at, "must be true or false")
        return bool(value)

    def column_name(self, value: Any, at: str) -> str:
        if not isinstance(value, str) or not _COLUMN_NAME.fullmatch(value):
            self.fail(at, f"{value!r} is not a column name (lower-case letters, digits and _, not first a digit)")
        return str(value)

    def bounds(
        self, spec: dict[str, Any], at: str, lowest: Decimal, highest: Decimal, scale: int
    ) -> tuple[Decimal | None, Decimal]:
        """(minimum or None, maximum): each within what the column holds, with at most `scale` decimals."""
        found: list[Decimal | None] = []
        for key, default in (("minimum", None), ("maximum", highest)):
            if key not in spec:
                found.append(default)
                continue
            raw = spec[key]
            try:
                number = Decimal(str(raw)) if not isinstance(raw, bool) else None
            except InvalidOperation:
                number = None
            if number is None or not number.is_finite() or not lowest <= number <= highest:
                self.fail(f"{at}.{key}", f"must be a number from {lowest} to {highest}")
            if number is not None and number != number.quantize(Decimal(1).scaleb(-scale)):
                self.fail(f"{at}.{key}", f"must have at most {scale} decimals")
            found.append(number)
        minimum, maximum = found
        if minimum is not None and maximum is not None and minimum > maximum:
            self.fail(at, "minimum is above maximum")
        assert maximum is not None
        return minimum, maximum
