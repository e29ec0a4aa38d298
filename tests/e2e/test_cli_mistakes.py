"""A user's mistakes with the `orders-etl` commands, against a deployed stack: one line saying what is wrong,
exit 1, never a traceback (issue 15, first item)."""

from __future__ import annotations

import pytest

from support import Cli


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["executions", "show", "nope-123"], "error: "),
        (["executions", "redrive", "nope-123"], "error: "),
        (["executions", "list", "--since", "2x"], "error: --since '2x': expected e.g. 2h"),
        (["query", "SELEC 1"], "error: the query failed: Parser Error"),
        (["query", "SELECT no_such_column FROM orders"], "error: the query failed:"),
    ],
    ids=["show-unknown", "redrive-unknown", "since-typo", "sql-syntax", "sql-unknown-column"],
)
def test_a_mistake_gets_one_line_and_exit_1(cli: Cli, args: list[str], line: str) -> None:
    code, _, err = cli(*args)
    assert code == 1, err
    lines = err.strip().splitlines()
    assert lines[-1].startswith(line), err
    assert "Traceback" not in err
