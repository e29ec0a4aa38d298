"""The SQL of the DuckDB engine, all of it derived from the contract: the file read with an explicit schema, every
value typed and judged by the contract's rules, the counts that decide the file, and the rows written as Parquet.

Each type's rule here is the SQL of the reference's (orders_etl.contract.rules), or stricter: whatever a rule
cannot judge exactly on a double or DuckDB's parse, it judges invalid, and the reference then decides the file.

Names: the contract's columns are quoted identifiers (a column may be named `position` or `order`); the SQL's
own columns hold a character no column name can (`#`, `:` or a space), so the two never clash.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from orders_etl.contract.rules import WHITESPACE
from orders_etl.contract.spec import ARRAY, OBJECT, Contract, Field

# The reference's whitespace, so that "whitespace-only" means the same in SQL.
_SPACE_CLASS = "".join(f"\\x{{{ord(c):x}}}" for c in WHITESPACE)
_DATE_PATTERN = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
_TIMESTAMP_PATTERN = (
    _DATE_PATTERN
    + r"([T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?)?"
)
# The calendar's first and last days are left to the reference (an offset can move them out of DuckDB's range).
_FIRST_DAY, _LAST_DAY = "0001-01-02", "9999-12-30"
# A double holds any decimal of up to 15 significant digits exactly: money with `scale` decimals below
# 10^(15 - scale) in magnitude (1e13 at 2 decimals), whole numbers below 9e15 (2^53 is about 9.007e15).
_DOUBLE_DIGITS = 15
_DOUBLE_WHOLE_LIMIT = Decimal(9 * 10**15)

# The SQL's own columns (see the module docstring).
_RECORD_VALID = '"#record valid"'
_ROW_COUNT = '"#rows"'  # elements of the record's rows array (0 when it is empty or missing)
_ROWS_MISSING = '"#rows missing"'
_ELEMENTS = '"#elements"'  # the rows array, or [NULL] so that a record without rows keeps one row
_POSITION = '"#position"'  # 1-based, in the rows array
_ELEMENT = '"#element"'  # one element of the rows array
_ROW_VALID = '"#row valid"'
_PARTITION = '"#partition"'
_FIRST_ROW = f"{_POSITION} = 1"  # each record's first row: where the record's own values are counted


def _partition_of(moment: str) -> str:
    """The partition of a timestamp or date: its UTC date (the connection's TimeZone is UTC)."""
    return f"strftime({moment}, '%Y-%m-%d')"


def literal(text: str) -> str:
    """A SQL string literal (COPY and CREATE VIEW cannot take prepared parameters)."""
    return "'" + text.replace("'", "''") + "'"


def quoted(name: str) -> str:
    """A SQL identifier for any name."""
    return '"' + name.replace('"', '""') + '"'


# --- reading ---------------------------------------------------------------------------------------------------


def read_columns(contract: Contract) -> str:
    """The `columns` of `read_json`: each field of a record by its key, every value as raw JSON (nothing inferred
    or cast), an object as a STRUCT (DuckDB rejects a non-object there), the rows array as a list of STRUCTs."""
    return "{" + ", ".join(f"{literal(field.key)}: {literal(_read_type(field))}" for field in contract.fields) + "}"


def _read_type(field: Field) -> str:
    if field.is_value:
        return "JSON"
    struct = "STRUCT(" + ", ".join(f"{quoted(child.key)} {_read_type(child)}" for child in field.fields) + ")"
    return f"{struct}[]" if field.type == ARRAY else struct


def read_json(text_path: Path, fmt: str, contract: Contract) -> str:
    """`read_json` of the file with the contract's schema. `records = true`: each record is an object (with one
    STRUCT column DuckDB would otherwise guess whether to read each record as that column's value)."""
    return (
        f"read_json({literal(str(text_path))}, format = '{fmt}', records = true, "
        f"columns = {read_columns(contract)}, maximum_object_size = 16777216)"
    )


# --- the parts of a value, its rule and its typed value -----------------------------------------------------------

# Each JSON value is taken apart once, in the projection below the rules, into the parts its type needs; the rules
# and the typed columns share them. {json} is the value's SQL.
_PART_SQL = {
    "type": "json_type({json})",  # NULL when the key is absent, 'NULL' for null
    "text": "{json} ->> '$'",
    "number": "TRY_CAST({json} AS DOUBLE)",
    "json": "{json}",
    "timestamp": "TRY_CAST({json} ->> '$' AS TIMESTAMPTZ)",
    "date": "TRY_CAST({json} ->> '$' AS DATE)",
    "boolean": "TRY_CAST({json} AS BOOLEAN)",
}
_PARTS_OF_TYPE = {
    "identifier": ("type", "text"),
    "text": ("type", "text"),
    "money": ("type", "number"),
    "integer": ("type", "number", "json"),
    "timestamp": ("type", "text", "timestamp"),
    "date": ("type", "text", "date"),
    "boolean": ("type", "boolean"),
}


def _part(value: Field, part: str) -> str:
    return quoted(f"{value.column}:{part}")


def _parts(value: Field, json: str) -> list[str]:
    return [f"{_PART_SQL[part].format(json=json)} AS {_part(value, part)}" for part in _PARTS_OF_TYPE[value.type]]


_COLUMN_TYPES = {
    "identifier": "VARCHAR",
    "text": "VARCHAR",
    "integer": "BIGINT",
    "timestamp": "TIMESTAMPTZ",
    "date": "DATE",
    "boolean": "BOOLEAN",
}


def _column_type(value: Field) -> str:
    """The table's type of a value's column."""
    if value.type == "money":
        return f"DECIMAL({value.precision}, {value.scale})"
    return _COLUMN_TYPES[value.type]


def _typed(value: Field) -> str:
    """The value as its column's type; NULL when it is absent or null."""
    if value.type == "integer":  # a JSON integer as itself: through a double, 9007199254740993 would be ...992
        return f"coalesce(TRY_CAST({_part(value, 'json')} AS BIGINT), TRY_CAST({_part(value, 'number')} AS BIGINT))"
    if value.type == "money":
        return f"TRY_CAST({_part(value, 'number')} AS {_column_type(value)})"
    if value.type == "timestamp":
        return f"date_trunc('millisecond', {_part(value, 'timestamp')})"
    return _part(value, "text" if value.type in ("identifier", "text") else value.type)  # date, boolean


def _rule(value: Field) -> str:
    """The value's verdict, never NULL: its type's rule; for an optional value, also absent or null."""
    kind = _part(value, "type")
    rule = _RULES[value.type](value)
    if not value.required:
        rule = f"{kind} IS NULL OR {kind} = 'NULL' OR ({rule})"
    return f"coalesce({rule}, false)"


def _identifier_rule(value: Field) -> str:
    kind, text = _part(value, "type"), _part(value, "text")
    blank = f"regexp_full_match({text}, '[{_SPACE_CLASS}]*')"
    return f"{kind} IN ('UBIGINT', 'BIGINT') OR ({kind} = 'VARCHAR' AND NOT {blank})"


def _text_rule(value: Field) -> str:
    return f"{_part(value, 'type')} = 'VARCHAR'"


def _money_rule(value: Field) -> str:
    """A number with at most `scale` decimals within the bounds, and small enough for a double to be exact."""
    number = _part(value, "number")
    exact = Decimal(10) ** (_DOUBLE_DIGITS - value.scale)
    bounds = _double_bounds(number, *value.accepted_range(), exact)
    return (
        f"{_part(value, 'type')} IN ('UBIGINT', 'BIGINT', 'DOUBLE') AND {bounds} "
        f"AND round({number}, {value.scale}) = {number}"
    )


def _integer_rule(value: Field) -> str:
    """A whole number within the bounds: exactly (HUGEINT) when JSON wrote an integer; as a double (5.0, 1e2) only
    where the double is exact."""
    kind, number = _part(value, "type"), _part(value, "number")
    minimum, maximum = value.accepted_range()
    bounds = _double_bounds(number, minimum, maximum, _DOUBLE_WHOLE_LIMIT)
    return (
        f"({kind} IN ('UBIGINT', 'BIGINT') AND TRY_CAST({_part(value, 'json')} AS HUGEINT) "
        f"BETWEEN {_number(minimum)} AND {_number(maximum)}) "
        f"OR ({kind} = 'DOUBLE' AND {bounds} AND {number} = floor({number}))"
    )


def _double_bounds(number: str, minimum: Decimal, maximum: Decimal, exact: Decimal) -> str:
    """`number` within [minimum, maximum] and within (-exact, exact), each side by whichever bound is tighter."""
    low = f"{number} >= {_number(minimum)}" if minimum > -exact else f"{number} > {_number(-exact)}"
    high = f"{number} <= {_number(maximum)}" if maximum < exact else f"{number} < {_number(exact)}"
    return f"{low} AND {high}"


def _number(value: Decimal) -> str:
    """A SQL number (Decimal's str may use E-notation)."""
    return format(value, "f")


def _timestamp_rule(value: Field) -> str:
    return (
        f"{_part(value, 'type')} = 'VARCHAR' AND regexp_full_match({_part(value, 'text')}, '{_TIMESTAMP_PATTERN}') "
        f"AND {_part(value, 'timestamp')} BETWEEN TIMESTAMPTZ '{_FIRST_DAY} 00:00:00+00' "
        f"AND TIMESTAMPTZ '{_LAST_DAY} 00:00:00+00'"
    )


def _date_rule(value: Field) -> str:
    return (
        f"{_part(value, 'type')} = 'VARCHAR' AND regexp_full_match({_part(value, 'text')}, '{_DATE_PATTERN}') "
        f"AND {_part(value, 'date')} BETWEEN DATE '{_FIRST_DAY}' AND DATE '{_LAST_DAY}'"
    )


def _boolean_rule(value: Field) -> str:
    return f"{_part(value, 'type')} = 'BOOLEAN'"


_RULES: dict[str, Callable[[Field], str]] = {
    "identifier": _identifier_rule,
    "text": _text_rule,
    "money": _money_rule,
    "integer": _integer_rule,
    "timestamp": _timestamp_rule,
    "date": _date_rule,
    "boolean": _boolean_rule,
}


# --- records and rows ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Scope:
    """Where fields' paths start: the record (its top-level keys are the source's columns) or a rows element."""

    name: str
    element: str = ""  # the SQL of the element; "" for the record

    def json(self, field: Field) -> str:
        keys = list(field.path)
        start = self.element or quoted(keys.pop(0))
        return start + "".join(f"[{literal(key)}]" for key in keys)

    def missing(self, field: Field) -> str:
        """The column telling that an object is absent or null (keys hold no spaces: the name is unambiguous)."""
        return quoted(f"#{self.name} {'.'.join(field.path)} missing")

    def parts(self, fields: tuple[Field, ...]) -> list[str]:
        """The parts of every value, and whether every object is missing, under `fields` (not in the rows array:
        its elements are taken apart row by row)."""
        parts: list[str] = []
        for field in fields:
            if field.is_value:
                parts += _parts(field, self.json(field))
            elif field.type == OBJECT:
                parts += [f"{self.json(field)} IS NULL AS {self.missing(field)}", *self.parts(field.fields)]
        return parts

    def checks(self, fields: tuple[Field, ...]) -> list[str]:
        """The verdicts of `fields`: a required object must be there; an optional one's fields are checked only
        when it is (absent or null, its values are NULL)."""
        checks: list[str] = []
        for field in fields:
            if field.is_value:
                checks.append(_rule(field))
            elif field.type == OBJECT and field.required:
                checks += [f"NOT {self.missing(field)}", *self.checks(field.fields)]
            elif field.type == OBJECT:
                checks.append(f"({self.missing(field)} OR ({' AND '.join(self.checks(field.fields))}))")
            else:  # the rows array: its elements are checked row by row
                checks.append(f"NOT {_ROWS_MISSING}")
        return checks


_RECORD = _Scope("record")
_ROW = _Scope("row", _ELEMENT)


def _typed_columns(values: list[Field]) -> str:
    return ", ".join(f"{_typed(value)} AS {quoted(value.column)}" for value in values)


def rows_query(source: str, contract: Contract) -> str:
    """One row per element of the rows array, the record's values beside each, typed, with the verdict of every
    rule of the contract; internal columns for the verdicts and the partition.

    A record without rows keeps one row (position 1, rows 0) so that it is checked and counted. Rows keep the
    file's order (preserve_insertion_order). Each JSON value is taken apart once (its type, its text, its number,
    ...), in the projection below the rules, which the rules and the typed columns share."""
    rows = quoted(contract.rows.key)
    record_values, row_values = contract.record_values(), contract.row_values()
    record_columns = ", ".join(quoted(value.column) for value in record_values)
    return f"""
        SELECT {_RECORD_VALID}, {record_columns}, {_PARTITION}, {_ROW_COUNT}, {_POSITION},
            {_ROW_COUNT} = 0 OR ({" AND ".join([f"{_ELEMENT} IS NOT NULL", *_ROW.checks(contract.rows.fields)])})
                AS {_ROW_VALID},
            {_typed_columns(row_values)}
        FROM (
            SELECT *, {", ".join(_ROW.parts(contract.rows.fields))}
            FROM (
                SELECT * EXCLUDE ({_ELEMENTS}),
                    {_partition_of(quoted(contract.partition_source.column))} AS {_PARTITION},
                    generate_subscripts({_ELEMENTS}, 1) AS {_POSITION}, unnest({_ELEMENTS}) AS {_ELEMENT}
                FROM (
                    SELECT *, ({" AND ".join(_RECORD.checks(contract.fields))}) AS {_RECORD_VALID},
                        {_typed_columns(record_values)}
                    FROM (
                        SELECT {", ".join(_RECORD.parts(contract.fields))},
                            coalesce(len({rows}), 0) AS {_ROW_COUNT}, {rows} IS NULL AS {_ROWS_MISSING},
                            CASE WHEN len({rows}) > 0 THEN {rows} ELSE [NULL] END AS {_ELEMENTS}
                        FROM {source}
                    )
                )
            )
        )
        """


# --- the verdicts and the rows written -----------------------------------------------------------------------------

# What verdicts_query counts in the rows of rows_query: (name, the rows counted).
_RECORDS, _INVALID_RECORDS, _WITHOUT_ROWS = '"#records"', '"#invalid records"', '"#records without rows"'
_INVALID_ROWS, _ROWS_WRITTEN, _REPEATED = '"#invalid rows"', '"#rows written"', '"#repeated"'
_COUNTS = (
    (_RECORDS, _FIRST_ROW),
    (_INVALID_RECORDS, f"{_FIRST_ROW} AND NOT {_RECORD_VALID}"),
    (_WITHOUT_ROWS, f"{_FIRST_ROW} AND {_ROW_COUNT} = 0"),
    (_INVALID_ROWS, f"NOT {_ROW_VALID}"),
    (_ROWS_WRITTEN, f"{_ROW_COUNT} > 0"),
)


def verdicts_query(rows: str, contract: Contract) -> str:
    """The counts that decide the file: records, invalid ones, without rows, repeated unique values, invalid rows,
    and rows per partition.

    Grouped by the unique value, then by partition: a grouped aggregate spills to disk, where
    count(DISTINCT order_id) kept every id in memory and ran out of it on 2 GB of JSON Lines (3.8 M orders at the
    256MB limit). A record's rows share its partition; values that repeat make the file invalid, whatever
    partitions they count under. Without a unique field nothing repeats: rows are counted by partition directly."""
    counts = ", ".join(f"count(*) FILTER (WHERE {rows_counted}) AS {name}" for name, rows_counted in _COUNTS)
    unique = [value for value in contract.record_values() if value.unique]
    if unique:
        key = quoted(unique[0].column)
        by_partition = f"""
            SELECT {_PARTITION}, {", ".join(f"sum({name}) AS {name}" for name, _ in _COUNTS)},
                   sum({_RECORDS}) - count(*) AS {_REPEATED}
            FROM (
                SELECT {key}, any_value({_PARTITION}) AS {_PARTITION}, {counts}
                FROM ({rows})
                GROUP BY {key}
            )
            GROUP BY {_PARTITION}
            """
    else:
        by_partition = f"SELECT {_PARTITION}, {counts}, 0 AS {_REPEATED} FROM ({rows}) GROUP BY {_PARTITION}"
    # A record without a partition is invalid; its rows stay out of the map, whose keys cannot be NULL (DuckDB
    # would fail the query, and the invalid file would look like a DuckDB failure).
    return f"""
        SELECT coalesce(sum({_RECORDS}), 0), coalesce(sum({_INVALID_RECORDS}), 0), coalesce(sum({_WITHOUT_ROWS}), 0),
               coalesce(sum({_REPEATED}), 0), coalesce(sum({_INVALID_ROWS}), 0),
               map_from_entries(list(({_PARTITION}, {_ROWS_WRITTEN}))
                                FILTER (WHERE {_ROWS_WRITTEN} > 0 AND {_PARTITION} IS NOT NULL))
        FROM ({by_partition})
        """


def output_query(rows: str, source_key: str, contract: Contract) -> str:
    """The rows of a valid file with the table's columns and the partition (records without rows give none)."""
    columns = ", ".join(
        quoted(column.name) if column.field is not None else f"{literal(source_key)} AS {quoted(column.name)}"
        for column in contract.columns()
    )
    partition = f"{_PARTITION} AS {quoted(contract.partition_column)}"
    return f"SELECT {columns}, {partition} FROM ({rows}) WHERE {_ROW_COUNT} > 0"


def reference_rows_query(rows_path: Path, source_key: str, contract: Contract) -> str:
    """The reference's rows (JSON Lines of exact text values, keyed by column) cast to the table's columns, with
    the partition."""
    values = [column.field for column in contract.columns() if column.field is not None]
    as_text = "{" + ", ".join(f"{literal(value.column)}: 'VARCHAR'" for value in values) + "}"
    columns = ", ".join(
        f"CAST({quoted(column.name)} AS {_column_type(column.field)}) AS {quoted(column.name)}"
        if column.field is not None
        else f"{literal(source_key)} AS {quoted(column.name)}"
        for column in contract.columns()
    )
    partition_source = quoted(contract.partition_source.column)
    return f"""
        SELECT *, {_partition_of(partition_source)} AS {quoted(contract.partition_column)}
        FROM (
            SELECT {columns}
            FROM read_json({literal(str(rows_path))}, format = 'newline_delimited', records = true,
                           columns = {as_text})
        )
        """
