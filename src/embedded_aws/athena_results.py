"""A query's result as Athena gives it, for the embedded Athena (`athena_queries`): column types, values as text,
the result files and GetQueryResults' rows.

The AWS docs fix the file names (`<QueryExecutionId>.csv`, and `<QueryExecutionId>.csv.metadata`, "saved in binary
format", used by GetQueryResults: Athena user guide, Working with query results), ColumnInfo's members and the
header row; they are silent on the rest, taken here from answers of Athena that others recorded:

- ColumnInfo: `CatalogName` `hive`, empty `SchemaName`/`TableName`, `Nullable` `UNKNOWN`, `CaseSensitive` true for
  varchar only, `Precision` 2147483647 for varchar, 19 bigint, 10 integer, 17 double and float, 3 timestamps,
  1073741824 varbinary, the digits of a decimal (and its `Scale`), 0 otherwise (GetQueryResults answers quoted in
  public projects; the athena-local project's measurements);
- values: a double in Java's notation (`1.5`, `0.30000000000000004`, `1.0E20`), a timestamp with its milliseconds
  (`2025-03-01 10:00:00.000`), arrays `[1, 2]`, maps and rows `{k=1}`, varbinary as hex bytes `01 02`;
- the CSV: every value quoted, the header too, `"` doubled, NULL an empty unquoted field, each line ending `\\n`;
- the metadata file: protobuf, field 1 the query's id, then one field 4 per column holding the ColumnInfo (field
  numbers read by the athena-jdbc project's AthenaMetaDataParser, which reads Athena's files).
"""

from __future__ import annotations

import datetime
import math
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

_VARCHAR_PRECISION = 2147483647
_PRECISIONS = {
    "bigint": 19,
    "integer": 10,
    "double": 17,
    "float": 17,
    "timestamp": 3,
    "timestamp with time zone": 3,
    "varbinary": 1073741824,
}
# DuckDB's type ids by Athena's type name; DuckDB sums bigints as hugeint, which Athena calls bigint.
_ATHENA_TYPES = {
    "varchar": "varchar",
    "bigint": "bigint",
    "hugeint": "bigint",
    "ubigint": "bigint",
    "uinteger": "bigint",
    "integer": "integer",
    "usmallint": "integer",
    "smallint": "smallint",
    "utinyint": "smallint",
    "tinyint": "tinyint",
    "double": "double",
    "float": "float",
    "boolean": "boolean",
    "date": "date",
    "timestamp": "timestamp",
    "timestamp_ms": "timestamp",
    "timestamp_ns": "timestamp",
    "timestamp_s": "timestamp",
    "timestamp with time zone": "timestamp with time zone",
    "blob": "varbinary",
    "list": "array",
    "array": "array",
    "struct": "row",
    "map": "map",
    "time": "time",
    "interval": "interval day to second",
    "null": "unknown",
}


@dataclass(frozen=True)
class ResultColumn:
    name: str
    type: str  # Athena's name: varchar, bigint, decimal, timestamp...
    precision: int = 0
    scale: int = 0

    @classmethod
    def of(cls, name: str, duckdb_type: Any) -> ResultColumn:
        type_id = str(duckdb_type.id)
        if type_id == "decimal":
            precision, scale = (int(n) for n in re.findall(r"\d+", str(duckdb_type)))
            return cls(name, "decimal", precision, scale)
        athena_type = _ATHENA_TYPES.get(type_id, type_id)
        precision = _VARCHAR_PRECISION if athena_type == "varchar" else _PRECISIONS.get(athena_type, 0)
        return cls(name, athena_type, precision)

    @property
    def case_sensitive(self) -> bool:
        return self.type == "varchar"

    def column_info(self) -> dict[str, Any]:
        return {
            "CatalogName": "hive",
            "SchemaName": "",
            "TableName": "",
            "Name": self.name,
            "Label": self.name,
            "Type": self.type,
            "Precision": self.precision,
            "Scale": self.scale,
            "Nullable": "UNKNOWN",
            "CaseSensitive": self.case_sensitive,
        }


def athena_text(value: Any) -> str | None:
    """A value as Athena writes it in its results (None stays None: NULL)."""
    if value is None:
        return None
    return _text(value)


def _text(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return java_double(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime.datetime):
        text = f"{value:%Y-%m-%d %H:%M:%S}.{value.microsecond // 1000:03d}"
        return f"{text} {value.tzinfo}" if value.tzinfo else text
    if isinstance(value, bytes):
        return " ".join(f"{byte:02x}" for byte in value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_text(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_text(key)}={_text(item)}" for key, item in value.items()) + "}"
    return str(value)


def java_double(value: float) -> str:
    """Java's Double.toString, which Athena's engine writes: positional from 10^-3 to 10^7, else `1.0E20`."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0 or 1e-3 <= abs(value) < 1e7:
        return repr(value)  # the shortest digits that read back, as Java's since JDK 19
    number = Decimal(repr(value))
    digits = "".join(str(d) for d in number.as_tuple().digits).rstrip("0") or "0"
    sign = "-" if value < 0 else ""
    return f"{sign}{digits[0]}.{digits[1:] or '0'}E{number.adjusted()}"


def csv_bytes(columns: list[ResultColumn], rows: list[tuple[str | None, ...]]) -> bytes:
    lines = [_csv_line(tuple(column.name for column in columns))]
    lines.extend(_csv_line(row) for row in rows)
    return "".join(lines).encode()


def _csv_line(values: tuple[str | None, ...]) -> str:
    return ",".join("" if v is None else '"' + v.replace('"', '""') + '"' for v in values) + "\n"


def metadata_bytes(query_id: str, columns: list[ResultColumn]) -> bytes:
    return _bytes_field(1, query_id.encode()) + b"".join(_bytes_field(4, _column_message(c)) for c in columns)


def _column_message(column: ResultColumn) -> bytes:
    message = _bytes_field(1, b"hive") + _bytes_field(4, column.name.encode()) + _bytes_field(5, column.name.encode())
    message += _bytes_field(6, column.type.encode())
    for number, value in ((7, column.precision), (8, column.scale), (9, 3), (10, int(column.case_sensitive))):
        if value:  # protobuf leaves a zero out; 3 is Nullable UNKNOWN
            message += _varint((number << 3) | 0) + _varint(value)
    return message


def _bytes_field(number: int, payload: bytes) -> bytes:
    return _varint((number << 3) | 2) + _varint(len(payload)) + payload


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def result_rows(columns: list[ResultColumn], rows: list[tuple[str | None, ...]]) -> list[dict[str, Any]]:
    """GetQueryResults' Rows for a SELECT: the column names first, then each row; NULL has no VarCharValue."""
    header = {"Data": [{"VarCharValue": column.name} for column in columns]}
    return [header, *({"Data": [{} if v is None else {"VarCharValue": v} for v in row]} for row in rows)]
