"""Every number a user types into `orders-etl` is checked the same way, before anything runs: exit 2, one
`error:` line in the user's words, never a Python name (orders_etl_cli.arguments)."""

from __future__ import annotations

import pytest

from orders_etl_cli.arguments import COUNT, PORT, POSITIVE, Number
from orders_etl_cli.execution_search import parse_since
from orders_etl_cli.failures import CommandError
from orders_etl_cli.main import main

MISTAKES = [
    (["executions", "list", "--limit", "0"], "argument --limit: must be a whole number of at least 1, got '0'"),
    (["executions", "list", "--limit", "-3"], "argument --limit: must be a whole number of at least 1, got '-3'"),
    (["executions", "list", "--limit", "ten"], "argument --limit: must be a whole number of at least 1, got 'ten'"),
    (["quarantine", "list", "--limit", "0"], "argument --limit: must be a whole number of at least 1, got '0'"),
    (["executions", "redrive", "--all-failed", "--per-second", "0"], "argument --per-second: must be a number above 0"),
    (["quarantine", "replay", "k", "--timeout", "-1"], "argument --timeout: must be a number above 0, got '-1'"),
    (["backfill", "--batch-size", "0"], "argument --batch-size: must be a whole number of at least 1, got '0'"),
    (["backfill", "--max-concurrency", "1.5"], "argument --max-concurrency: must be a whole number of at least 1"),
    (["backfill", "--tolerated-failure-percentage", "101"], "must be a number from 0 to 100, got '101'"),
    (["backfill", "--timeout", "nan"], "argument --timeout: must be a number above 0, got 'nan'"),
    (["local", "start", "--port", "65536"], "argument --port: must be a whole number from 0 to 65535, got '65536'"),
    (["local", "start", "--time-scale", "0"], "argument --time-scale: must be a number above 0, got '0'"),
    (["local", "start", "--crawl-base-seconds", "-1"], "argument --crawl-base-seconds: must be a number of at least 0"),
    (["local", "start", "--crawl-seconds-per-object", "x"], "argument --crawl-seconds-per-object: must be a number"),
    (["local", "start", "--parameter", "MaxFileBytes"], "argument --parameter: expected NAME=VALUE"),
    (["flatten", "in.json", "out", "--max-bytes", "0"], "argument --max-bytes: must be a whole number of at least 1"),
]


@pytest.mark.parametrize(("args", "message"), MISTAKES, ids=lambda value: " ".join(value)[:40])
def test_a_number_out_of_range_is_refused_in_the_user_s_words_with_exit_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(args)
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    error_lines = [line for line in captured.err.splitlines() if "error:" in line]
    assert len(error_lines) == 1 and message in error_lines[0], captured.err
    assert "invalid" not in captured.err and "_int" not in captured.err and "float" not in captured.err
    assert "Traceback" not in captured.err


def test_redrive_needs_names_or_all_failed_before_any_target_is_read(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["executions", "redrive", "--outputs", "/nowhere/outputs.json"])
    assert code == 2
    assert capsys.readouterr().err == "error: name the executions to redrive, or use --all-failed\n"


def test_a_since_too_far_back_is_one_line_not_an_overflow() -> None:
    with pytest.raises(CommandError, match=r"^--since '99999999999d' is too far back: give a date, e.g. 2025-11-01$"):
        parse_since("99999999999d")


@pytest.mark.parametrize(
    ("kind", "text", "value"),
    [(COUNT, "1", 1), (COUNT, " 7 ", 7), (PORT, "0", 0), (PORT, "65535", 65535), (POSITIVE, "0.02", 0.02)],
)
def test_numbers_in_range_are_accepted(kind: Number, text: str, value: float) -> None:
    assert kind(text) == value and type(kind(text)) is type(value)


def test_a_type_names_itself_as_the_user_reads_it() -> None:
    # argparse names a type it cannot call by its __name__ or repr: never a Python name
    assert repr(COUNT) == "a whole number of at least 1"
    assert repr(Number(whole=False)) == "a number"
