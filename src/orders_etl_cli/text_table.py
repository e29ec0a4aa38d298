"""Tables (rich) for people, and the same rows as JSON (`--json`) for scripts.

On a terminal, rich fits the table to its width, folding long values. Anywhere else (a pipe, a file, a log) no
width is known, so the table is as wide as its values: never cut or wrapped, no colours, no trailing spaces.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

UNLIMITED_WIDTH = 1_000_000
# box.SIMPLE (a rule under the header, spaces between columns) in ASCII, for an output that cannot take `─`.
ASCII_SIMPLE = box.Box("    \n    \n -- \n    \n    \n -- \n    \n    \n", ascii=True)


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


@dataclass(frozen=True)
class Column:
    """A column of a table: its header, the key of its value in each row (the row's JSON), how it is shown."""

    header: str
    key: str
    show: Callable[[Any], str] = _cell


def print_rows(
    columns: Sequence[Column], rows: Sequence[Mapping[str, Any]], *, as_json: bool, footer: str | None = None
) -> None:
    """The rows as a table (and the footer under it), or as a JSON list of the rows (nothing else) for scripts."""
    if as_json:
        print(json.dumps(list(rows), indent=2, default=str))
        return
    headers = [column.header for column in columns]
    cells = [[column.show(row.get(column.key)) for column in columns] for row in rows]
    print_table(headers, cells)
    if footer:
        print(footer)


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], file: TextIO | None = None) -> None:
    out = file or sys.stdout
    if out.isatty():
        Console(file=out, highlight=False, emoji=False).print(_table(headers, rows))
    else:
        print(format_table(headers, rows, encoding=getattr(out, "encoding", None)), file=out)


def format_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], encoding: str | None = None) -> str:
    """The table as plain text, as wide as its values; `encoding` of where it goes (ASCII lines when not UTF)."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=UNLIMITED_WIDTH, color_system=None, highlight=False, emoji=False)
    ascii_only = not (encoding or "utf-8").lower().replace("-", "").startswith("utf")
    console.print(_table(headers, rows, ASCII_SIMPLE if ascii_only else box.SIMPLE))
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines())


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]], lines: box.Box = box.SIMPLE) -> Table:
    table = Table(box=lines, show_edge=False, pad_edge=False, padding=(0, 1, 0, 0), header_style="bold")
    for header in headers:
        table.add_column(Text(header), overflow="fold")
    for row in rows:
        # Text, not str: a value such as `[bold]` or `$[1].price` is shown as it is, never read as markup.
        table.add_row(*(Text(_cell(value)) for value in row))
    return table
