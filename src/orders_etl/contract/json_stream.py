"""Text to JSON values, one record at a time, with the positions json.loads of the whole text would report.

The first non-whitespace character decides the layout: ``[`` a JSON array (parsed an element at a time in a
sliding window), ``{`` JSON Lines. Numbers are exact (Decimal); NaN, Infinity and numbers Decimal cannot hold
are BadNumber values, which the rules report.

Why json's own scanner and not a streaming library: ijson 3.6 (yajl2_c, Decimal numbers) parses a 2.1 MB array
in 22.8 ms against json's 21.3 ms (the whole reader, rules included, takes 90 ms), and its syntax errors carry no
line and column ("parse error: invalid object key ... (right here) ------^"), where users get json.loads's
"line 2 column 10" and its message.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from decimal import Decimal, InvalidOperation
from itertools import chain
from typing import Any

from orders_etl.contract.problems import FileProblem, Problems, file_problem
from orders_etl.contract.rendering import VALUE_WIDTH, BadNumber, render
from orders_etl.contract.rules import EXPECT_FINITE, Record, RecordRules
from orders_etl.errors import MISSING

_JSON_WS = " \t\r\n"
_WS_RUN = re.compile(r"[ \t\r\n]*")
_NON_WS = re.compile(r"[^ \t\r\n]")
_SNIPPET_BEFORE, _SNIPPET_AFTER = 10, 20  # characters shown around a syntax error
# json decides a value by looking at most a dozen characters past where it stops (e.g. "-Infinity", a surrogate
# pair's second escape); an outcome this close to the end of the window waits for more text.
_MARGIN = 64


def read_records(chunks: Iterator[str], problems: Problems, read_size: int, rules: RecordRules) -> Iterator[Record]:
    """The first non-whitespace character decides the layout; of the text before it, only what positions need is
    kept (its length, its line breaks, its last characters), so leading whitespace costs no memory."""
    start = newlines = dropped = 0
    last_newline = -1
    before = lead = ""  # the last characters before the first one; those since the last "\n"
    for chunk in chunks:
        found = _NON_WS.search(chunk)
        head = chunk if found is None else chunk[: found.start()]
        newline = head.rfind("\n")
        if newline >= 0:
            newlines += head.count("\n")
            last_newline = start + newline
            lead, dropped = "", 0
        lead += head[newline + 1 :]
        if len(lead) > _SNIPPET_BEFORE:
            dropped += len(lead) - _SNIPPET_BEFORE
            lead = lead[-_SNIPPET_BEFORE:]
        before = (before + head[-_SNIPPET_BEFORE:])[-_SNIPPET_BEFORE:]
        start += len(head)
        if found is not None:
            rest = chunk[found.start() :]
            break
    else:
        problems.add("$", "", '""', f"a non-empty file with at least one {rules.contract.record}")
        return
    if rest[0] == "[":
        window = Window(chunks, rest, start, newlines, last_newline, before, read_size)
        yield from read_array(window, problems, rules)
    elif rest[0] == "{":
        yield from read_lines(split_lines(chain([lead + rest], chunks)), problems, rules, newlines + 1, dropped)
    else:
        body = [rest]
        size = len(rest)
        while size < VALUE_WIDTH and (more := next(chunks, "")):
            body.append(more)
            size += len(more)
        shown = render("".join(body)[:VALUE_WIDTH])
        contract = rules.contract
        problems.add(
            "$", "", shown, f"a JSON array of {contract.records} or JSON Lines (one {contract.record} per line)"
        )


class Parser:
    """json.loads with exact decimals, and NaN/Infinity/out-of-range numbers turned into BadNumber."""

    def __init__(self) -> None:
        self.bad_numbers: list[BadNumber] = []
        self.unreadable: list[ValueError] = []  # integers Python refuses to convert (too many digits)
        self.decoder = json.JSONDecoder(parse_float=self.number, parse_int=self.integer, parse_constant=self.constant)

    def number(self, text: str) -> Decimal | BadNumber:
        try:
            return Decimal(text)
        except InvalidOperation:
            return self.constant(text)

    def constant(self, text: str) -> BadNumber:
        bad = BadNumber(text)
        self.bad_numbers.append(bad)
        return bad

    def integer(self, text: str) -> int | None:
        """int(text), or None after noting the ValueError, so that the parse goes on to where it would stop."""
        try:
            return int(text)
        except ValueError as exc:
            self.unreadable.append(exc)
            return None

    def loads(self, text: str) -> Any:
        return json.loads(text, parse_float=self.number, parse_constant=self.constant)

    def report_unreported(self, position: str, problems: Problems) -> None:
        """Bad numbers outside the validated fields (e.g. in an unknown field) still make the file invalid."""
        for bad in self.bad_numbers:
            if not bad.reported:
                problems.add(position, "", bad.text, EXPECT_FINITE)
        self.bad_numbers.clear()


def _unreadable(exc: BaseException) -> FileProblem:
    return file_problem("$", MISSING, f"valid JSON that Python can read ({reason(exc)})")


class Window:
    """A sliding window over the text of a JSON array, parsed one element at a time with json's own scanner.

    ``buf`` holds the text from absolute offset ``start``; the parse is at ``pos``. Text before ``pos`` is
    dropped when the window is refilled, keeping what positions need: the line breaks before ``start``, the
    offset of the last one, and the last few characters (for snippets). Problems read exactly as json.loads
    of the whole text would report them.
    """

    def __init__(
        self,
        chunks: Iterator[str],
        buf: str,
        start: int,
        newlines: int,
        last_newline: int,
        before: str,
        read_size: int,
    ) -> None:
        self.chunks = chunks
        self.buf = buf
        self.pos = 0
        self.start = start
        self.newlines = newlines
        self.last_newline = last_newline
        self.before = before
        self.read_size = read_size
        self.eof = False

    def items(self, parser: Parser) -> Iterator[Any]:
        """The elements of the array starting at pos; FileProblem when the text is not one JSON array."""
        self.pos += 1  # "["
        if self.peek() != "]":
            while True:
                yield self.value(parser)
                after = self.peek()
                if after == "]":
                    break
                if after != ",":
                    raise self.syntax_problem("Expecting ',' delimiter")
                if _TRAILING_COMMA is not None:
                    offset = self._first_after(1)  # pos stays at the comma, which json reports
                    if self.buf[self.pos + offset : self.pos + offset + 1] == "]":
                        raise self.syntax_problem(_TRAILING_COMMA)
                self.pos += 1
                self.peek()
        self.pos += 1  # "]"
        if self.peek():
            raise self.syntax_problem("Extra data")

    def value(self, parser: Parser) -> Any:
        """The JSON value at pos. The window grows while the outcome could depend on text past its end: json
        looks at most a few characters ahead, except that a string is unterminated only at the end of the text."""
        while True:
            bad_numbers = len(parser.bad_numbers)
            try:
                item, end = parser.decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                cut = exc.pos + _MARGIN > len(self.buf)
                if not cut and exc.msg.startswith("Unterminated string") and not parser.unreadable:
                    cut = True
                if cut and not self.eof:
                    self._retry(parser, bad_numbers)
                    continue
                if parser.unreadable:
                    raise _unreadable(parser.unreadable[0]) from None
                raise self.syntax_problem(exc.msg, exc.pos - self.pos) from None
            except (ValueError, RecursionError) as exc:
                raise _unreadable(parser.unreadable[0] if parser.unreadable else exc) from None
            if not self.eof and end + _MARGIN > len(self.buf) and self.buf[end - 1] not in '"]}':
                self._retry(parser, bad_numbers)  # a number or literal may go on past the window
                continue
            if parser.unreadable:
                raise _unreadable(parser.unreadable[0])
            self.pos = end
            return item

    def _retry(self, parser: Parser, bad_numbers: int) -> None:
        del parser.bad_numbers[bad_numbers:]
        parser.unreadable.clear()
        self._more(max(self.read_size, len(self.buf) - self.pos))  # doubles a value that does not fit

    def peek(self) -> str:
        """Skip whitespace from pos; the character there, or "" at the end of the text."""
        while True:
            self.pos = _WS_RUN.match(self.buf, self.pos).end()  # type: ignore[union-attr]
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self._more(self.read_size):
                return ""

    def _first_after(self, offset: int) -> int:
        """The offset from pos of the first non-whitespace character from pos + offset on; pos does not move."""
        while True:
            index = _WS_RUN.match(self.buf, self.pos + offset).end()  # type: ignore[union-attr]
            if index < len(self.buf) or not self._more(self.read_size):
                return index - self.pos
            offset = index - self.pos

    def _more(self, wanted: int) -> int:
        """Drop the text before pos, then append at least ``wanted`` characters; how many came (0 at the end)."""
        if self.eof:
            return 0
        buf, pos = self.buf, self.pos
        if pos:
            count = buf.count("\n", 0, pos)
            if count:
                self.newlines += count
                self.last_newline = self.start + buf.rfind("\n", 0, pos)
            self.before = (self.before + buf[max(pos - _SNIPPET_BEFORE, 0) : pos])[-_SNIPPET_BEFORE:]
            self.start += pos
        parts = [buf[pos:]]
        got = 0
        while got < wanted:
            chunk = next(self.chunks, "")
            if not chunk:
                self.eof = True
                break
            parts.append(chunk)
            got += len(chunk)
        self.buf = "".join(parts)
        self.pos = 0
        return got

    def syntax_problem(self, message: str, offset: int = 0) -> FileProblem:
        """A JSON syntax problem at pos + offset, with the line, column and snippet of json.loads(whole text)."""
        while len(self.buf) < self.pos + offset + _SNIPPET_AFTER and self._more(self.read_size):
            pass
        index = self.pos + offset
        newline = self.buf.rfind("\n", 0, index)
        line = self.newlines + self.buf.count("\n", 0, index) + 1
        column = index - newline if newline >= 0 else self.start + index - self.last_newline
        lead = (self.before + self.buf[max(index - _SNIPPET_BEFORE, 0) : index])[-_SNIPPET_BEFORE:]
        snippet = render(lead + self.buf[index : index + _SNIPPET_AFTER])
        return file_problem(f"line {line} column {column}", snippet, f"valid JSON ({message})")


def _trailing_comma_message() -> str | None:
    """json's message for "[0,]" when it points at the comma (newer Pythons); None when it is "Expecting value"
    at "]", which parsing the next element gives by itself."""
    try:
        json.loads("[0,]")
    except json.JSONDecodeError as exc:
        return exc.msg if exc.pos == 2 else None
    return None  # pragma: no cover - json rejects a trailing comma


_TRAILING_COMMA = _trailing_comma_message()


def read_array(window: Window, problems: Problems, rules: RecordRules) -> Iterator[Record]:
    parser = Parser()
    seen: dict[str, str] = {}
    late = Problems()  # bad numbers outside the validated fields: reported at "$" after every order's problems
    count = 0
    for index, item in enumerate(window.items(parser)):
        record = rules.check(item, f"$[{index}]", seen, problems)
        if record is not None:
            yield record
        parser.report_unreported("$", late)
        count = index + 1
    if not count:
        problems.add("$", "", "[]", f"at least one {rules.contract.record}")
    problems.extend(late)


def split_lines(chunks: Iterable[str]) -> Iterator[str]:
    """The text split on "\\n" (as str.split does), holding one line at a time."""
    parts: list[str] = []
    for chunk in chunks:
        start = 0
        while (end := chunk.find("\n", start)) >= 0:
            parts.append(chunk[start:end])
            yield "".join(parts)
            parts.clear()
            start = end + 1
        parts.append(chunk[start:])
    yield "".join(parts)


def read_lines(
    lines: Iterable[str], problems: Problems, rules: RecordRules, first: int = 1, dropped: int = 0
) -> Iterator[Record]:
    """JSON Lines, numbered from ``first``; the first line had ``dropped`` leading spaces cut off (columns)."""
    parser = Parser()
    seen: dict[str, str] = {}
    for number, line in enumerate(lines, start=first):
        shift, dropped = dropped, 0
        if not line.strip(_JSON_WS):
            continue
        try:
            item = parser.loads(line)
        except json.JSONDecodeError as exc:
            expected = f"one complete JSON object per line ({exc.msg} at column {exc.colno + shift})"
            problems.add(f"line {number}", "", snippet(line, exc.pos), expected)
            continue
        except (ValueError, RecursionError) as exc:
            problems.add(f"line {number}", "", MISSING, f"a JSON object that Python can read ({reason(exc)})")
            continue
        record = rules.check(item, f"line {number} $", seen, problems)
        if record is not None:
            yield record
        parser.report_unreported(f"line {number}", problems)


def reason(exc: BaseException) -> str:
    return "nested too deeply" if isinstance(exc, RecursionError) else str(exc).split(";")[0]


def snippet(text: str, pos: int) -> str:
    return render(text[max(pos - _SNIPPET_BEFORE, 0) : pos + _SNIPPET_AFTER])
