"""Progress of `backfill --wait` and `executions redrive` goes to stderr: a rich bar on a terminal, and in a log
only the lines the command asks for, each once."""

from __future__ import annotations

import io

from orders_etl_cli.progress import ProgressDisplay


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_in_a_log_each_line_is_written_once() -> None:
    log = io.StringIO()
    with ProgressDisplay("files processed", file=log) as display:
        for done, line in [(0, "starting..."), (0, "starting..."), (5, "5 / 10"), (10, "10 / 10"), (10, None)]:
            display.update(done, 10, log_line=line)
    assert log.getvalue().splitlines() == ["starting...", "5 / 10", "10 / 10"]


def test_on_a_terminal_a_bar_shows_done_of_total_and_the_note() -> None:
    terminal = Terminal()
    with ProgressDisplay("files processed", file=terminal) as display:
        display.update(7, 10, note="1 failed", log_line="7 / 10 files processed")
    shown = terminal.getvalue()
    assert "files processed" in shown and "7/10" in shown and "1 failed" in shown
    assert "7 / 10 files processed" not in shown  # the log's line is for logs
