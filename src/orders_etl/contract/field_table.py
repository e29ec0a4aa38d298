"""A contract's fields as a table (column, JSON path, type with its bounds, required, description) and the notes
that go with it (rows, source_key, partition): for `orders-etl contract show` and, as Markdown, the README."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from orders_etl.contract.spec import ARRAY, SOURCE_KEY_COLUMN, Contract, Field

HEADERS = ("column", "JSON path", "type", "required", "description")


@dataclass(frozen=True)
class FieldRow:
    column: str  # "" for an object or the rows array: their fields have the columns
    path: str  # from the record: customer.name, products[].price
    type: str
    required: bool  # within its object: a required field of an absent optional object is not checked
    description: str

    def cells(self) -> tuple[str, str, str, str, str]:
        return self.column, self.path, self.type, "yes" if self.required else "no", self.description


def field_rows(contract: Contract) -> list[FieldRow]:
    """Every field of the record, depth first in the contract's order."""
    return [row for field in contract.fields for row in _rows(field, "")]


def _rows(field: Field, parent: str) -> list[FieldRow]:
    path = f"{parent}{field.key}"
    row = FieldRow(field.column, path, type_text(field), field.required, field.description)
    inner = f"{path}[]." if field.type == ARRAY else f"{path}."
    return [row, *(nested for child in field.fields for nested in _rows(child, inner))]


def type_text(field: Field) -> str:
    """The type and what narrows it: `money(18,2), >= 0`, `integer, 1 to 1000`, `identifier, unique`."""
    if field.type == "money":
        return _with_range(f"money({field.precision},{field.scale})", field)
    if field.type == "integer":
        return _with_range("integer", field)
    if field.type == ARRAY:
        return "array of objects"
    return f"{field.type}, unique" if field.unique else field.type


def _with_range(name: str, field: Field) -> str:
    """Only the bounds the contract narrows: the column's own are the type's."""
    (lowest, highest), (column_lowest, column_highest) = field.accepted_range(), field.column_range()
    low, high = (lowest if lowest != column_lowest else None), (highest if highest != column_highest else None)
    if low is not None and high is not None:
        return f"{name}, {_plain(low)} to {_plain(high)}"
    if low is not None:
        return f"{name}, >= {_plain(low)}"
    if high is not None:
        return f"{name}, <= {_plain(high)}"
    return name


def _plain(number: Decimal) -> str:
    return f"{number:f}"


def notes(contract: Contract) -> list[str]:
    """What the table of fields does not say: which array gives the rows, the pipeline's column, the partition."""
    rows = contract.rows.key
    return [
        f"One row per element of `{rows}`, with the {contract.record}'s own columns repeated in each; "
        f"{contract.records} with an empty `{rows}` give no rows (they are counted).",
        f"Every row also has `{SOURCE_KEY_COLUMN}`, the key of the file it came from.",
        f"Partitioned by `{contract.partition_column}`: the UTC date (YYYY-MM-DD) of "
        f"`{contract.partition_source.key}`.",
    ]


def markdown(contract: Contract) -> str:
    """The table and its notes as Markdown; a column or a path is code."""
    lines = [_markdown_line(HEADERS), _markdown_line(("---",) * len(HEADERS))]
    for row in field_rows(contract):
        column, path, kind, required, description = row.cells()
        code = f"`{column}`" if column else ""
        lines.append(_markdown_line((code, f"`{path}`", kind, required, description)))
    return "\n".join([*lines, "", *(f"- {note}" for note in notes(contract))]) + "\n"


def _markdown_line(cells: tuple[str, ...]) -> str:
    """One table row: a cell on one line (a YAML description may span several), its `|` escaped."""
    return "| " + " | ".join(" ".join(cell.split()).replace("|", "\\|") for cell in cells) + " |"
