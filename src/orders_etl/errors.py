"""Exceptions of the orders ETL, and the text format of data problems.

The Step Functions state machine catches errors by exception class NAME (the Lambda ``errorType``), so the
class names below are part of the contract: ``InvalidOrderFile`` and ``FileTooLarge`` are data errors (the file
is quarantined); anything else is a system error (the execution fails and can be redriven).

Message format of :class:`InvalidOrderFile` (``str(exc)``, which Lambda reports as ``errorMessage`` and Step
Functions passes on in the error ``Cause``)::

    raw/a/orders.json: 3 problems (showing 3)
    $[0].order_id "order_id": expected a non-empty string or integer; got <missing>
    $[1].products[0].price "price": expected a number >= 0 with at most 2 decimals; got 1.005
    line 2 $.order_date "order_date": expected an ISO-8601 date or date-time; got "yesterday"

- Line 1 is the header ``{source_key}: {total} problem(s) (showing {kept})``; the source key is JSON-encoded
  when it contains a line break or starts with a double quote, so the header is always exactly one line.
- Every other line is one problem: ``{position} {field as a JSON string}: expected {expected}; got {value}``.
  ``position`` never contains a double quote, ``expected`` is plain words from this package that never contain
  ``; got `` or a line break, and ``value`` (last, so it may contain anything else, including ``: `` and
  ``, got ``) is JSON text in which line breaks are escaped. :func:`parse_problems` therefore recovers the
  problems exactly.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

MAX_PROBLEMS = 20
"""At most this many problems are kept in an :class:`InvalidOrderFile`; ``total_problems`` counts all."""

MISSING = "<missing>"
"""The ``value`` of a problem about an absent field."""

_LINE_BREAKS = ("\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")
_PROBLEM_LINE = re.compile(
    r'(?P<position>[^"\n]*) (?P<field>"(?:[^"\\\n]|\\.)*"): expected (?P<expected>.*?); got (?P<value>.*)',
    re.DOTALL,
)


class OrdersEtlError(Exception):
    """Base class of every exception raised by this package."""


class DataError(OrdersEtlError):
    """The input file is bad; the state machine quarantines it instead of retrying."""


class NothingToProcess(OrdersEtlError):
    """The execution has nothing to do: the version its event announced was deleted before it ran, or the key is a
    folder marker. The state machines end it SUCCEEDED with this message; nothing is written or moved."""


class CrawlFailed(OrdersEtlError):
    """The crawl that must include our Parquet failed (Glue's message). Raised by the Check crawl task, so the
    execution fails in a Task state and a redrive, once the cause is fixed, crawls again."""


class CrawlPollLimitReached(OrdersEtlError):
    """The crawl was still running after the poll limit's checks; a redrive goes on checking."""


class AwsServiceBusy(OrdersEtlError):
    """An AWS call kept failing with a throttling or passing server error after the SDK's own retries: the state
    machines retry the task later, with backoff and jitter (see orders_etl.aws_errors)."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an order file.

    position: where, e.g. ``$[37].products[2].price``, ``line 57 $.products[2].price``, ``$``,
        ``line 3``, ``line 1 column 17`` or ``byte 42``.
    field: the field name (``price``), or ``""`` for a file-level problem.
    value: the offending value as JSON text (at most 60 characters, ``…`` when cut), or ``<missing>``.
    expected: what was expected, in plain words.
    """

    position: str
    field: str
    value: str
    expected: str

    def to_line(self) -> str:
        """This problem as one line of an :class:`InvalidOrderFile` message."""
        return f"{self.position} {json.dumps(self.field)}: expected {self.expected}; got {self.value}"

    @classmethod
    def from_line(cls, line: str) -> Problem:
        """The problem written by :meth:`to_line`; ValueError if ``line`` is not one."""
        match = _PROBLEM_LINE.fullmatch(line)
        if match is None:
            raise ValueError(f"not a problem line: {line!r}")
        field = json.loads(match["field"])
        if not isinstance(field, str):  # pragma: no cover - the regex only matches JSON strings
            raise ValueError(f"not a problem line: {line!r}")
        return cls(match["position"], field, match["value"], match["expected"])

    def as_dict(self) -> dict[str, str]:
        """A JSON-ready dict (for error reports)."""
        return {"position": self.position, "field": self.field, "value": self.value, "expected": self.expected}


def _header_key(source_key: str) -> str:
    if source_key.startswith('"') or any(brk in source_key for brk in _LINE_BREAKS):
        return json.dumps(source_key)
    return source_key


class InvalidOrderFile(DataError):
    """The file breaks the data contract; carries every problem found (at most :data:`MAX_PROBLEMS`)."""

    def __init__(self, source_key: str, problems: list[Problem], total_problems: int | None = None) -> None:
        self.source_key = source_key
        self.problems = list(problems[:MAX_PROBLEMS])
        self.total_problems = len(problems) if total_problems is None else max(total_problems, len(problems))
        noun = "problem" if self.total_problems == 1 else "problems"
        header = f"{_header_key(source_key)}: {self.total_problems} {noun} (showing {len(self.problems)})"
        super().__init__("\n".join([header, *(problem.to_line() for problem in self.problems)]))

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.source_key, self.problems, self.total_problems))


class NotAnOrderFile(DataError):
    """A key under the raw area whose name is not an order file's (see orders_etl.output_keys.is_order_file)."""

    def __init__(self, source_key: str, accepted: str) -> None:
        self.source_key = source_key
        self.accepted = accepted
        super().__init__(
            f"{_header_key(source_key)}: not an order file: order file names end in {accepted}, in any case;"
            " rename it and upload it again"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (NotAnOrderFile, (self.source_key, self.accepted))


class FileTooLarge(DataError):
    """The file, or its gunzipped content, is bigger than ``max_bytes``.

    For gzip, decompression stops as soon as the limit is passed, so ``size_bytes`` is then a lower bound.
    """

    def __init__(self, source_key: str, size_bytes: int, max_bytes: int, *, decompressed: bool = False) -> None:
        self.source_key = source_key
        self.size_bytes = size_bytes
        self.max_bytes = max_bytes
        self.decompressed = decompressed
        what = f"gunzips to more than {max_bytes} bytes" if decompressed else f"is {size_bytes} bytes"
        super().__init__(f"{_header_key(source_key)}: file {what}, over the limit of {max_bytes} bytes")

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_file_too_large, (self.source_key, self.size_bytes, self.max_bytes, self.decompressed))


def _rebuild_file_too_large(source_key: str, size_bytes: int, max_bytes: int, decompressed: bool) -> FileTooLarge:
    return FileTooLarge(source_key, size_bytes, max_bytes, decompressed=decompressed)


def parse_problems(message: str) -> list[Problem]:
    """The problems in an :class:`InvalidOrderFile` message (e.g. a Step Functions error ``Cause``).

    The first line is the header and is skipped; lines that are not problem lines (e.g. a line cut short by a
    size limit of the transport) are skipped too.
    """
    problems: list[Problem] = []
    for line in message.split("\n")[1:]:
        try:
            problems.append(Problem.from_line(line))
        except ValueError:
            continue
    return problems


DATA_ERRORS: tuple[str, ...] = tuple(error.__name__ for error in DataError.__subclasses__())
"""The error names the state machines catch into quarantine (with Lambda's Sandbox.Timedout, after a retry)."""
