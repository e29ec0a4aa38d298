"""Progress of a long command, on stderr (stdout is the command's result): a rich progress bar on a terminal;
elsewhere (a log, CI) plain lines, only the ones the command asks for, since a redrawn bar means nothing there."""

from __future__ import annotations

import sys
from types import TracebackType
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn


class ProgressDisplay:
    def __init__(self, description: str, file: TextIO | None = None) -> None:
        self._file = file or sys.stderr
        self._description = description
        self._bar: Progress | None = None
        self._task: TaskID | None = None
        self._last_line: str | None = None

    def __enter__(self) -> ProgressDisplay:
        if self._file.isatty():
            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[note]}"),
                TimeElapsedColumn(),
                console=Console(file=self._file),
                redirect_stdout=False,  # stdout is the command's result, never the display's
            )
            self._bar.start()
            self._task = self._bar.add_task(self._description, total=None, note="")
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if self._bar is not None:
            self._bar.stop()

    def update(self, done: int, total: int | None, *, note: str = "", log_line: str | None = None) -> None:
        """`done` of `total` (None: not known yet); off a terminal, `log_line` is printed unless it repeats."""
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, completed=done, total=total or None, note=note)
        elif log_line is not None and log_line != self._last_line:
            print(log_line, file=self._file, flush=True)
            self._last_line = log_line
