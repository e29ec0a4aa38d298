"""The data contract of an order file: bytes in, validated :class:`Order` objects out.

A file is UTF-8 (a leading BOM is allowed), optionally gzip-compressed (detected by its magic bytes), and holds
either a JSON array of orders or JSON Lines (one order object per non-blank line). The first non-whitespace
character decides: ``[`` is an array, ``{`` is JSON Lines. The whole file is rejected with
:class:`~orders_etl.errors.InvalidOrderFile` listing every problem found (up to
:data:`~orders_etl.errors.MAX_PROBLEMS`), or with :class:`~orders_etl.errors.FileTooLarge`.

Positions of problems: ``$[37].products[2].price`` in an array file (zero-based indexes),
``line 57 $.products[2].price`` in a JSON Lines file (1-based line number, then the path inside that line's
object), and for file-level problems ``$``, ``line N`` (JSON Lines syntax error), ``line L column C`` (array
syntax error, both 1-based) or ``byte N`` (invalid UTF-8; zero-based offset in the decompressed content).

:func:`iter_order_file` reads a file on disk as a stream (gunzip, UTF-8 decoding and JSON parsing a chunk and an
order at a time), so memory follows the largest order, not the file; :func:`read_order_file` runs the same code
over bytes. Both report exactly what parsing the whole text at once reports.
"""

from __future__ import annotations

import codecs
import io
import json
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from itertools import chain, islice
from pathlib import Path
from typing import Any, BinaryIO

from orders_etl.errors import MAX_PROBLEMS, MISSING, FileTooLarge, InvalidOrderFile, Problem

DEFAULT_MAX_BYTES = 512 * 1024 * 1024
MAX_MONEY = Decimal("9999999999999999.99")
MAX_QUANTITY = 2**63 - 1
VALUE_WIDTH = 60
READ_SIZE = 256 * 1024
"""Bytes read (and at most gunzipped) at a time; memory is a few times this plus the largest single order."""

EXPECT_ID = "a non-empty string or integer"
EXPECT_DATE = "an ISO-8601 date or date-time"
EXPECT_REAL_DATE = "an ISO-8601 date or date-time that exists on the calendar"
EXPECT_MONEY = "a number >= 0 with at most 2 decimals"
EXPECT_MONEY_MAX = f"a number <= {MAX_MONEY}"
EXPECT_FINITE = "a finite JSON number (NaN and Infinity are not JSON)"
EXPECT_QUANTITY = "a whole number >= 1"
EXPECT_QUANTITY_MAX = f"a whole number <= {MAX_QUANTITY}"
EXPECT_TEXT = "a string or null"
EXPECT_OBJECT = "an object"
EXPECT_ORDER = "an order object"
EXPECT_PRODUCTS = "an array of objects"

_GZIP_MAGIC = b"\x1f\x8b"
_BOM = b"\xef\xbb\xbf"
_JSON_WS = " \t\r\n"
_WS_RUN = re.compile(r"[ \t\r\n]*")
_NON_WS = re.compile(r"[^ \t\r\n]")
_SNIPPET_BEFORE, _SNIPPET_AFTER = 10, 20  # characters shown around a syntax error
# json decides a value by looking at most a dozen characters past where it stops (e.g. "-Infinity", a surrogate
# pair's second escape); an outcome this close to the end of the window waits for more text.
_MARGIN = 64
_CENT = Decimal("0.01")
_DATE = re.compile(
    r"(?P<y>[0-9]{4})-(?P<mo>[0-9]{2})-(?P<d>[0-9]{2})"
    r"(?:[T ](?P<h>[0-9]{2}):(?P<mi>[0-9]{2})(?::(?P<s>[0-9]{2})(?:\.(?P<frac>[0-9]+))?)?"
    r"(?P<tz>Z|[+-][0-9]{2}:[0-9]{2})?)?"
)


@dataclass(frozen=True, slots=True)
class Product:
    product_id: str
    name: str | None
    category: str | None
    price: Decimal
    quantity: int


@dataclass(frozen=True, slots=True)
class Customer:
    customer_id: str
    name: str | None
    email: str | None
    address: str | None


@dataclass(frozen=True, slots=True)
class Order:
    order_id: str
    order_date: datetime  # tz-aware UTC, millisecond precision
    total_amount: Decimal
    customer: Customer
    products: tuple[Product, ...]


class _Problems:
    """Collects problems: keeps the first MAX_PROBLEMS, counts them all."""

    def __init__(self) -> None:
        self.kept: list[Problem] = []
        self.total = 0

    def add(self, position: str, field: str, value: str, expected: str) -> None:
        self.total += 1
        if len(self.kept) < MAX_PROBLEMS:
            self.kept.append(Problem(position, field, value, expected))

    def extend(self, other: _Problems) -> None:
        """Add other's problems after these, as if added one by one."""
        for problem in other.kept:
            self.add(problem.position, problem.field, problem.value, problem.expected)
        self.total += other.total - len(other.kept)

    def only(self, problem: Problem) -> None:
        """This problem makes the file unreadable: it replaces every other."""
        self.kept = [problem]
        self.total = 1


class _FileProblem(Exception):
    """One problem that makes the rest of the file unreadable."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.to_line())
        self.problem = problem


class _BadNumber:
    """What the JSON parser yields for NaN, Infinity, -Infinity and numbers Decimal cannot hold."""

    __slots__ = ("reported", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.reported = False


def read_order_file(data: bytes, *, source_key: str, max_bytes: int = DEFAULT_MAX_BYTES) -> list[Order]:
    """The orders of one file, validated and converted; raises InvalidOrderFile or FileTooLarge."""
    if len(data) > max_bytes:
        raise FileTooLarge(source_key, len(data), max_bytes)
    return list(_stream_orders(io.BytesIO(data), source_key, max_bytes, READ_SIZE))


def iter_order_file(
    path: Path, *, source_key: str, max_bytes: int = DEFAULT_MAX_BYTES, read_size: int = READ_SIZE
) -> Iterator[Order]:
    """The orders of a local file, validated and converted one at a time, in bounded memory.

    The file is read ``read_size`` bytes at a time (gunzipped and decoded on the way), so memory stays about
    the largest single order plus the buffers plus the order_ids seen, whatever the file size. Orders are
    yielded as they are read: when the file breaks the contract, InvalidOrderFile is raised once the whole file
    has been read (after the last order), with exactly the problems :func:`read_order_file` reports, so a caller
    must treat what it got as provisional until the iteration ends. FileTooLarge may be raised at any point.
    """
    size = path.stat().st_size
    if size > max_bytes:
        raise FileTooLarge(source_key, size, max_bytes)
    with path.open("rb") as stream:
        yield from _stream_orders(stream, source_key, max_bytes, read_size)


def _stream_orders(stream: BinaryIO, source_key: str, max_bytes: int, read_size: int) -> Iterator[Order]:
    """The core of both readers. Problems with the bytes (gzip, UTF-8) and JSON problems that stop the parse are
    the only problem of the file, as when the whole file was decompressed, decoded and parsed before validating:
    the bytes are always read to the end, so a gzip problem wins over a UTF-8 one, which wins over JSON."""
    problems = _Problems()
    text = _text_chunks(_content_chunks(stream, source_key, max_bytes, read_size))
    try:
        try:
            yield from _read_orders(text, problems, read_size)
        except _FileProblem as exc:  # the JSON cannot be parsed on: the rest is only decoded, for bytes problems
            problems.only(exc.problem)
        for _ in text:
            pass
    except _FileProblem as exc:
        problems.only(exc.problem)
    if problems.total:
        raise InvalidOrderFile(source_key, problems.kept, problems.total)


# --- bytes to text -------------------------------------------------------------------------------------------


def _file_problem(position: str, value: str, expected: str) -> _FileProblem:
    return _FileProblem(Problem(position, "", value, expected))


def _content_chunks(stream: BinaryIO, source_key: str, max_bytes: int, read_size: int) -> Iterator[bytes]:
    """The content of the file (gunzipped when it starts with the gzip magic bytes), chunk by chunk."""
    head = stream.read(len(_GZIP_MAGIC))
    if head == _GZIP_MAGIC:
        yield from _gunzip_chunks(stream, head, source_key, max_bytes, read_size)
        return
    if head:
        yield head
    while chunk := stream.read(read_size):
        yield chunk


def _gunzip_chunks(stream: BinaryIO, data: bytes, source_key: str, max_bytes: int, read_size: int) -> Iterator[bytes]:
    """Decompress every gzip member, at most read_size bytes at a time and never more than max_bytes + 1 in all."""
    total = 0
    while True:  # one gzip member per round
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        while not inflater.eof:
            if not data:
                data = stream.read(read_size)
            try:
                out = inflater.decompress(data, min(read_size, max_bytes + 1 - total))
            except zlib.error as exc:
                raise _file_problem("$", MISSING, f"a complete gzip stream ({exc})") from None
            total += len(out)
            if total > max_bytes:
                raise FileTooLarge(source_key, total, max_bytes, decompressed=True)
            if out:
                yield out
            elif not data:  # no input left, and nothing more comes out
                raise _file_problem("$", MISSING, "a complete gzip stream (the data ends too early)")
            data = inflater.unconsumed_tail
        data = _after_member(inflater.unused_data, stream, read_size)
        if not data:
            return


def _after_member(data: bytes, stream: BinaryIO, read_size: int) -> bytes:
    """What follows a gzip member: b"" when only zero padding is left (ignored, like gzip(1)), else the next
    member's bytes. Leading zeros before other bytes make a bad header; two of them say so as well as many."""
    zeros = 0
    while True:
        rest = data.lstrip(b"\x00")
        zeros += len(data) - len(rest)
        if rest:
            return b"\x00" * min(zeros, 2) + rest
        data = stream.read(read_size)
        if not data:
            return b""


def _text_chunks(content: Iterator[bytes]) -> Iterator[str]:
    """The content as text (a leading BOM dropped), chunk by chunk; never yields "".

    Invalid UTF-8 is reported at ``byte N`` (offset in the content) once the content has been read to the end.
    """
    head = b""
    for chunk in content:
        head += chunk
        if len(head) >= len(_BOM):
            break
    skipped = len(_BOM) if head.startswith(_BOM) else 0
    decoder = codecs.getincrementaldecoder("utf-8")()
    fed = skipped  # content bytes given to the decoder so far, counting the BOM
    buffered = b""
    try:
        for chunk in chain([head[skipped:]], content):
            buffered = decoder.getstate()[0]
            text = decoder.decode(chunk)
            fed += len(chunk)
            if text:
                yield text
        buffered = decoder.getstate()[0]
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        # exc.object is the decoder's buffered bytes followed by the chunk
        offset = fed - len(buffered) + exc.start
        bad = json.dumps(exc.object[exc.start : exc.end].hex(" "))
        for _ in content:  # gzip and size problems come first
            pass
        raise _file_problem(f"byte {offset}", bad, "valid UTF-8 text") from None


# --- text to JSON values -------------------------------------------------------------------------------------


def _read_orders(chunks: Iterator[str], problems: _Problems, read_size: int) -> Iterator[Order]:
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
        problems.add("$", "", '""', "a non-empty file with at least one order")
        return
    if rest[0] == "[":
        window = _Window(chunks, rest, start, newlines, last_newline, before, read_size)
        yield from _read_array(window, problems)
    elif rest[0] == "{":
        yield from _read_lines(_split_lines(chain([lead + rest], chunks)), problems, newlines + 1, dropped)
    else:
        body = [rest]
        size = len(rest)
        while size < VALUE_WIDTH and (more := next(chunks, "")):
            body.append(more)
            size += len(more)
        shown = render("".join(body)[:VALUE_WIDTH])
        problems.add("$", "", shown, "a JSON array of orders or JSON Lines (one order per line)")


class _Parser:
    """json.loads with exact decimals, and NaN/Infinity/out-of-range numbers turned into _BadNumber."""

    def __init__(self) -> None:
        self.bad_numbers: list[_BadNumber] = []
        self.unreadable: list[ValueError] = []  # integers Python refuses to convert (too many digits)
        self.decoder = json.JSONDecoder(parse_float=self.number, parse_int=self.integer, parse_constant=self.constant)

    def number(self, text: str) -> Decimal | _BadNumber:
        try:
            return Decimal(text)
        except InvalidOperation:
            return self.constant(text)

    def constant(self, text: str) -> _BadNumber:
        bad = _BadNumber(text)
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

    def report_unreported(self, position: str, problems: _Problems) -> None:
        """Bad numbers outside the validated fields (e.g. in an unknown field) still make the file invalid."""
        for bad in self.bad_numbers:
            if not bad.reported:
                problems.add(position, "", bad.text, EXPECT_FINITE)
        self.bad_numbers.clear()


def _unreadable(exc: BaseException) -> _FileProblem:
    return _file_problem("$", MISSING, f"valid JSON that Python can read ({_reason(exc)})")


class _Window:
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

    def items(self, parser: _Parser) -> Iterator[Any]:
        """The elements of the array starting at pos; _FileProblem when the text is not one JSON array."""
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

    def value(self, parser: _Parser) -> Any:
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

    def _retry(self, parser: _Parser, bad_numbers: int) -> None:
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

    def syntax_problem(self, message: str, offset: int = 0) -> _FileProblem:
        """A JSON syntax problem at pos + offset, with the line, column and snippet of json.loads(whole text)."""
        while len(self.buf) < self.pos + offset + _SNIPPET_AFTER and self._more(self.read_size):
            pass
        index = self.pos + offset
        newline = self.buf.rfind("\n", 0, index)
        line = self.newlines + self.buf.count("\n", 0, index) + 1
        column = index - newline if newline >= 0 else self.start + index - self.last_newline
        lead = (self.before + self.buf[max(index - _SNIPPET_BEFORE, 0) : index])[-_SNIPPET_BEFORE:]
        snippet = render(lead + self.buf[index : index + _SNIPPET_AFTER])
        return _file_problem(f"line {line} column {column}", snippet, f"valid JSON ({message})")


def _trailing_comma_message() -> str | None:
    """json's message for "[0,]" when it points at the comma (newer Pythons); None when it is "Expecting value"
    at "]", which parsing the next element gives by itself."""
    try:
        json.loads("[0,]")
    except json.JSONDecodeError as exc:
        return exc.msg if exc.pos == 2 else None
    return None  # pragma: no cover - json rejects a trailing comma


_TRAILING_COMMA = _trailing_comma_message()


def _read_array(window: _Window, problems: _Problems) -> Iterator[Order]:
    parser = _Parser()
    seen: dict[str, str] = {}
    late = _Problems()  # bad numbers outside the validated fields: reported at "$" after every order's problems
    count = 0
    for index, item in enumerate(window.items(parser)):
        order = _order(item, f"$[{index}]", seen, problems)
        if order is not None:
            yield order
        parser.report_unreported("$", late)
        count = index + 1
    if not count:
        problems.add("$", "", "[]", "at least one order")
    problems.extend(late)


def _split_lines(chunks: Iterable[str]) -> Iterator[str]:
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


def _read_lines(lines: Iterable[str], problems: _Problems, first: int = 1, dropped: int = 0) -> Iterator[Order]:
    """JSON Lines, numbered from ``first``; the first line had ``dropped`` leading spaces cut off (columns)."""
    parser = _Parser()
    seen: dict[str, str] = {}
    for number, line in enumerate(lines, start=first):
        shift, dropped = dropped, 0
        if not line.strip(_JSON_WS):
            continue
        try:
            item = parser.loads(line)
        except json.JSONDecodeError as exc:
            expected = f"one complete JSON object per line ({exc.msg} at column {exc.colno + shift})"
            problems.add(f"line {number}", "", _snippet(line, exc.pos), expected)
            continue
        except (ValueError, RecursionError) as exc:
            problems.add(f"line {number}", "", MISSING, f"a JSON object that Python can read ({_reason(exc)})")
            continue
        order = _order(item, f"line {number} $", seen, problems)
        if order is not None:
            yield order
        parser.report_unreported(f"line {number}", problems)


def _reason(exc: BaseException) -> str:
    return "nested too deeply" if isinstance(exc, RecursionError) else str(exc).split(";")[0]


def _snippet(text: str, pos: int) -> str:
    return render(text[max(pos - _SNIPPET_BEFORE, 0) : pos + _SNIPPET_AFTER])


# --- rendering values ----------------------------------------------------------------------------------------


def render(value: object, width: int = VALUE_WIDTH) -> str:
    """A JSON value as JSON text of at most ``width`` characters (cut with ``…``), line breaks escaped."""
    parts: list[str] = []
    _render_into(value, parts, width + 1)
    text = "".join(parts)
    text = text.replace("\x85", "\\u0085").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return text if len(text) <= width else text[: width - 1] + "…"


def _render_into(value: object, parts: list[str], budget: int) -> int:
    """Append JSON text for value to parts, stopping once about ``budget`` characters are written."""
    if isinstance(value, dict):
        return _render_container(list(islice(value.items(), budget)), "{", "}", parts, budget)
    if isinstance(value, list):
        return _render_container(value[:budget], "[", "]", parts, budget)
    if isinstance(value, _BadNumber):
        text = value.text
    elif isinstance(value, Decimal):
        text = str(value)
    elif isinstance(value, str):
        text = json.dumps(value[:budget], ensure_ascii=False)
    else:
        text = json.dumps(value)
    parts.append(text[:budget])
    return budget - len(parts[-1])


def _render_container(items: list[Any], opening: str, closing: str, parts: list[str], budget: int) -> int:
    parts.append(opening)
    budget -= 1
    for index, item in enumerate(items):
        if budget <= 0:
            return budget
        if index:
            parts.append(", ")
            budget -= 2
        if isinstance(item, tuple):
            budget = _render_into(item[0], parts, budget)
            parts.append(": ")
            budget -= 2
            item = item[1]
        budget = _render_into(item, parts, budget)
    parts.append(closing)
    return budget - 1


# --- validation ----------------------------------------------------------------------------------------------


def _order(item: object, path: str, seen: dict[str, str], problems: _Problems) -> Order | None:
    if not isinstance(item, dict):
        problems.add(path, "", render(item), EXPECT_ORDER)
        return None
    before = problems.total
    order_id = _identifier(item, "order_id", path, problems)
    if order_id and problems.total == before:
        first = seen.setdefault(order_id, path)
        if first != path:
            problems.add(
                f"{path}.order_id", "order_id", render(item["order_id"]), f"a unique order_id (first seen at {first})"
            )
    order = Order(
        order_id=order_id,
        order_date=_date(item, "order_date", path, problems),
        total_amount=_money(item, "total_amount", path, problems),
        customer=_customer(item, path, problems),
        products=_products(item, path, problems),
    )
    return order if problems.total == before else None


def _customer(item: dict[str, Any], path: str, problems: _Problems) -> Customer:
    value = item.get("customer", _ABSENT)
    here = f"{path}.customer"
    if not isinstance(value, dict):
        problems.add(here, "customer", _shown(value), EXPECT_OBJECT)
        return _NO_CUSTOMER
    return Customer(
        customer_id=_identifier(value, "customer_id", here, problems),
        name=_text(value, "name", here, problems),
        email=_text(value, "email", here, problems),
        address=_text(value, "address", here, problems),
    )


def _products(item: dict[str, Any], path: str, problems: _Problems) -> tuple[Product, ...]:
    value = item.get("products", _ABSENT)
    here = f"{path}.products"
    if not isinstance(value, list):
        problems.add(here, "products", _shown(value), EXPECT_PRODUCTS)
        return ()
    products: list[Product] = []
    for index, element in enumerate(value):
        at = f"{here}[{index}]"
        if not isinstance(element, dict):
            problems.add(at, "products", render(element), EXPECT_OBJECT)
            continue
        products.append(
            Product(
                product_id=_identifier(element, "product_id", at, problems),
                name=_text(element, "name", at, problems),
                category=_text(element, "category", at, problems),
                price=_money(element, "price", at, problems),
                quantity=_quantity(element, "quantity", at, problems),
            )
        )
    return tuple(products)


_ABSENT: Any = object()
_NO_CUSTOMER = Customer("", None, None, None)


def _shown(value: object) -> str:
    return MISSING if value is _ABSENT else render(value)


def _valid_text(value: str) -> bool:
    """False for strings with lone surrogates (legal as JSON escapes, but not encodable as UTF-8)."""
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _identifier(obj: dict[str, Any], field: str, path: str, problems: _Problems) -> str:
    value = obj.get(field, _ABSENT)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and value.strip() and _valid_text(value):
        return value
    problems.add(f"{path}.{field}", field, _shown(value), EXPECT_ID)
    return ""


def _text(obj: dict[str, Any], field: str, path: str, problems: _Problems) -> str | None:
    value = obj.get(field)
    if value is None or (isinstance(value, str) and _valid_text(value)):
        return value
    problems.add(f"{path}.{field}", field, render(value), EXPECT_TEXT)
    return None


def _number(obj: dict[str, Any], field: str, path: str, problems: _Problems, expected: str) -> Decimal | None:
    """The field as a Decimal if it is a JSON number; otherwise report a problem."""
    value = obj.get(field, _ABSENT)
    if isinstance(value, _BadNumber):
        value.reported = True
        problems.add(f"{path}.{field}", field, value.text, EXPECT_FINITE)
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    problems.add(f"{path}.{field}", field, _shown(value), expected)
    return None


def _money(obj: dict[str, Any], field: str, path: str, problems: _Problems) -> Decimal:
    number = _number(obj, field, path, problems, EXPECT_MONEY)
    if number is None:
        return Decimal(0)
    expected = None
    if number < 0:
        expected = EXPECT_MONEY
    elif number > MAX_MONEY:
        expected = EXPECT_MONEY_MAX
    elif number.quantize(_CENT) != number:
        expected = EXPECT_MONEY
    if expected is not None:
        problems.add(f"{path}.{field}", field, render(obj[field]), expected)
        return Decimal(0)
    return number.quantize(_CENT) + 0  # "+ 0" turns -0.00 into 0.00


def _quantity(obj: dict[str, Any], field: str, path: str, problems: _Problems) -> int:
    number = _number(obj, field, path, problems, EXPECT_QUANTITY)
    if number is None:
        return 0
    if number > MAX_QUANTITY:
        problems.add(f"{path}.{field}", field, render(obj[field]), EXPECT_QUANTITY_MAX)
        return 0
    if number < 1 or number != number.to_integral_value():
        problems.add(f"{path}.{field}", field, render(obj[field]), EXPECT_QUANTITY)
        return 0
    return int(number)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _date(obj: dict[str, Any], field: str, path: str, problems: _Problems) -> datetime:
    value = obj.get(field, _ABSENT)
    match = _DATE.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        problems.add(f"{path}.{field}", field, _shown(value), EXPECT_DATE)
        return _EPOCH
    try:
        return _to_utc(match)
    except (ValueError, OverflowError):
        problems.add(f"{path}.{field}", field, render(value), EXPECT_REAL_DATE)
        return _EPOCH


def _to_utc(match: re.Match[str]) -> datetime:
    """The matched date or date-time in UTC, truncated to milliseconds; ValueError/OverflowError if impossible."""
    millis = int(((match["frac"] or "") + "000")[:3])
    moment = datetime(
        int(match["y"]),
        int(match["mo"]),
        int(match["d"]),
        int(match["h"] or 0),
        int(match["mi"] or 0),
        int(match["s"] or 0),
        millis * 1000,
        tzinfo=_zone(match["tz"]),
    )
    return moment.astimezone(UTC)


def _zone(text: str | None) -> timezone:
    if text is None or text == "Z":
        return UTC
    hours, minutes = int(text[1:3]), int(text[4:6])
    if minutes > 59:
        raise ValueError(f"offset minutes out of range: {text}")
    offset = timedelta(hours=hours, minutes=minutes)
    return timezone(-offset if text[0] == "-" else offset)  # ValueError from 24:00 up
