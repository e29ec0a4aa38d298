"""The tables of `orders-etl` (rich) and their `--json` form: whole values in a pipe, the same rows in both."""

from __future__ import annotations

import io
import json

import pytest

from orders_etl_cli.text_table import Column, format_table, print_rows, print_table

LONG_KEY = "raw/" + "/".join(f"folder-{i:03d}" for i in range(40)) + "/orders.json"  # ~450 characters


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_in_a_pipe_values_are_whole_on_one_line_without_colours_or_trailing_spaces() -> None:
    text = format_table(["source key", "status", "note"], [[LONG_KEY, "FAILED", None], ["raw/b.json", "OK", "x"]])
    header, rule, first, second = text.splitlines()
    assert header.split() == ["source", "key", "status", "note"]
    assert set(rule) == {"─"}
    assert first.split() == [LONG_KEY, "FAILED"] and second.split() == ["raw/b.json", "OK", "x"]
    assert "\x1b" not in text and all(line == line.rstrip() for line in text.splitlines())


def test_values_are_shown_as_they_are_never_as_markup() -> None:
    text = format_table(["position", "value"], [["$[1].products[0].price", "[bold]x[/bold] :smile:"]])
    assert text.splitlines()[2].split() == ["$[1].products[0].price", "[bold]x[/bold]", ":smile:"]


def test_an_output_that_is_not_utf_gets_ascii_lines() -> None:
    assert format_table(["a"], [["b"]], encoding="ascii").splitlines()[1] == "-"


def test_on_a_terminal_a_long_value_is_folded_not_cut() -> None:
    terminal = Terminal()
    print_table(["source key"], [[LONG_KEY]], file=terminal)
    folded = "".join(line.strip() for line in terminal.getvalue().splitlines()[2:])
    assert LONG_KEY in folded


def test_json_has_the_rows_of_the_table_keyed_by_column(capsys: pytest.CaptureFixture[str]) -> None:
    columns = [Column("source key", "source_key"), Column("seconds", "seconds", lambda value: f"{value:.1f}")]
    rows = [{"source_key": "raw/a.json", "seconds": 1.25, "arn": "arn:a"}, {"source_key": "raw/b.json", "seconds": 2}]
    print_rows(columns, rows, as_json=False, footer="(2 executions)")
    table = capsys.readouterr().out.splitlines()
    print_rows(columns, rows, as_json=True, footer="(2 executions)")
    document = json.loads(capsys.readouterr().out)
    assert document == rows  # the JSON alone: no footer
    assert [line.split() for line in table[2:-1]] == [["raw/a.json", "1.2"], ["raw/b.json", "2.0"]]
    assert table[-1] == "(2 executions)"
