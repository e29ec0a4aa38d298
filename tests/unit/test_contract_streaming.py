"""The streaming reader (iter_order_file) gives exactly what reading the whole file at once gives, in bounded memory.

Three readers are compared: iter_order_file on a file on disk (with tiny read sizes, so that every value, escape
and UTF-8 sequence straddles a refill somewhere), read_order_file on bytes, and `whole_text`, the reader as it was
before streaming (gunzip everything, decode everything, json.loads the whole array), kept here as the oracle.
"""

from __future__ import annotations

import gzip
import json
import random
import tracemalloc
import zlib
from pathlib import Path
from typing import Any

import pytest

from orders_etl.contract import iter_order_file, json_stream, load_contract, read_order_file, rendering, rules
from orders_etl.contract.problems import Problems
from orders_etl.errors import FileTooLarge, InvalidOrderFile, Problem

KEY = "raw/2025/orders.json"
ORDERS_RULES = rules.rules_for(load_contract())
MAX = 64 * 1024 * 1024
READ_SIZES = (1, 2, 3, 7, 64, 4096)

Outcome = tuple[Any, ...]


def outcome(read: Any) -> Outcome:
    try:
        return ("valid", list(read()))
    except InvalidOrderFile as exc:
        return ("invalid", exc.problems, exc.total_problems)
    except FileTooLarge as exc:
        return ("too large", exc.size_bytes, exc.max_bytes, exc.decompressed)


def streamed(tmp_path: Path, data: bytes, read_size: int, max_bytes: int = MAX) -> Outcome:
    path = tmp_path / f"orders-{read_size}.json"
    path.write_bytes(data)
    return outcome(lambda: iter_order_file(path, source_key=KEY, max_bytes=max_bytes, read_size=read_size))


def in_memory(data: bytes, max_bytes: int = MAX) -> Outcome:
    return outcome(lambda: read_order_file(data, source_key=KEY, max_bytes=max_bytes))


def whole_text(data: bytes, max_bytes: int = MAX) -> Outcome:
    """The reader before streaming: the whole content in memory as bytes, then text, then Python objects."""

    def read() -> list[rules.Record]:
        if len(data) > max_bytes:
            raise FileTooLarge(KEY, len(data), max_bytes)
        text = _decode(_gunzip(data, max_bytes) if data[:2] == b"\x1f\x8b" else data)
        problems = Problems()
        orders = list(_whole_orders(text, problems))
        if problems.total:
            raise InvalidOrderFile(KEY, problems.kept, problems.total)
        return orders

    return outcome(read)


def _gunzip(data: bytes, max_bytes: int) -> bytes:
    out = bytearray()
    pending = data
    while pending:
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        try:
            out += inflater.decompress(pending, max_bytes + 1 - len(out))
        except zlib.error as exc:
            raise InvalidOrderFile(KEY, [Problem("$", "", "<missing>", f"a complete gzip stream ({exc})")]) from None
        if len(out) > max_bytes:
            raise FileTooLarge(KEY, len(out), max_bytes, decompressed=True)
        if not inflater.eof:
            problem = Problem("$", "", "<missing>", "a complete gzip stream (the data ends too early)")
            raise InvalidOrderFile(KEY, [problem])
        pending = inflater.unused_data
        if not pending.strip(b"\x00"):
            break
    return bytes(out)


def _decode(data: bytes) -> str:
    raw = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = json.dumps(raw[exc.start : exc.end].hex(" "))
        problem = Problem(f"byte {exc.start + len(data) - len(raw)}", "", bad, "valid UTF-8 text")
        raise InvalidOrderFile(KEY, [problem]) from None


def _whole_orders(text: str, problems: Any) -> Any:
    body = text.lstrip(" \t\r\n")
    if not body:
        problems.add("$", "", '""', "a non-empty file with at least one order")
    elif body[0] == "{":
        yield from json_stream.read_lines(text.split("\n"), problems, ORDERS_RULES)
    elif body[0] != "[":
        expected = "a JSON array of orders or JSON Lines (one order per line)"
        problems.add("$", "", rendering.render(body[:60]), expected)
    else:
        parser = json_stream.Parser()
        try:
            value = parser.loads(text)
        except json.JSONDecodeError as exc:
            position = f"line {exc.lineno} column {exc.colno}"
            problems.add(position, "", json_stream.snippet(text, exc.pos), f"valid JSON ({exc.msg})")
            return
        except (ValueError, RecursionError) as exc:
            problems.add("$", "", "<missing>", f"valid JSON that Python can read ({json_stream.reason(exc)})")
            return
        if not value:
            problems.add("$", "", "[]", "at least one order")
        seen: dict[str, str] = {}
        for index, item in enumerate(value):
            order = ORDERS_RULES.check(item, f"$[{index}]", seen, problems)
            if order is not None:
                yield order
        parser.report_unreported("$", problems)


def assert_all_agree(tmp_path: Path, data: bytes, max_bytes: int = MAX) -> Outcome:
    expected = whole_text(data, max_bytes)
    assert in_memory(data, max_bytes) == expected
    for read_size in READ_SIZES:
        assert streamed(tmp_path, data, read_size, max_bytes) == expected, f"read_size={read_size}"
    return expected


def an_order(number: int, **changes: Any) -> dict[str, Any]:
    order: dict[str, Any] = {
        "order_id": f"A-{number}",
        "order_date": "2025-03-04T10:20:30.5+02:00",
        "total_amount": 25.5,
        "customer": {"customer_id": number, "name": "Ann \u00e9\u20ac\U0001f600", "email": None, "address": "a\nb"},
        "products": [{"product_id": "P-1", "name": "Pen", "category": "office", "price": 12.75, "quantity": 2}],
    }
    order.update(changes)
    return order


def array_text(orders: list[dict[str, Any]], ascii_only: bool = False) -> str:
    return "[\n" + ",\n".join(json.dumps(order, ensure_ascii=ascii_only) for order in orders) + "\n]\n"


def lines_text(orders: list[dict[str, Any]]) -> str:
    return "\r\n".join(json.dumps(order, ensure_ascii=False) for order in orders) + "\n\n"


# --- valid files ---------------------------------------------------------------------------------------------------

ORDERS = [an_order(number) for number in range(6)]
VALID = {
    "array": array_text(ORDERS).encode(),
    "array with \\u escapes and surrogate pairs": array_text(ORDERS, ascii_only=True).encode(),
    "array with BOM and leading whitespace": b"\xef\xbb\xbf \n\t" + array_text(ORDERS).encode(),
    "JSON Lines with BOM and blank lines": b"\xef\xbb\xbf\n \n" + lines_text(ORDERS).encode(),
    "gzip array": gzip.compress(b"\xef\xbb\xbf" + array_text(ORDERS).encode()),
    "gzip JSON Lines": gzip.compress(lines_text(ORDERS).encode()),
    "multi-member gzip": gzip.compress(array_text(ORDERS).encode()[:333])
    + gzip.compress(array_text(ORDERS).encode()[333:]),
    "gzip with zero padding": gzip.compress(array_text(ORDERS).encode()) + b"\x00" * 9,
    "numbers and literals at element ends": (
        "[" + ",".join(json.dumps(order)[:-1] + ', "x": [1e2, -0.5, true, null, -Infinity]}' for order in ORDERS) + "]"
    )
    .replace("-Infinity", "-1E+2")
    .encode(),
}


@pytest.mark.parametrize("data", VALID.values(), ids=VALID.keys())
def test_valid_files_give_the_same_orders(tmp_path: Path, data: bytes) -> None:
    # GIVEN a valid file WHEN it is read whole, from bytes and streamed with tiny read sizes THEN the orders agree
    result = assert_all_agree(tmp_path, data)
    assert result[0] == "valid"
    assert [order.values["order_id"] for order in result[1]] == [f"A-{number}" for number in range(6)]


def test_elements_straddling_every_refill_boundary(tmp_path: Path) -> None:
    # GIVEN an array whose elements hold escapes, surrogate pairs, multi-byte characters and numbers
    data = array_text([an_order(number, total_amount=10**number / 4) for number in range(4)], ascii_only=True).encode()
    expected = whole_text(data)
    assert expected[0] == "valid"
    # WHEN it is streamed with every read size from 1 to 80 bytes THEN the orders are always the same
    for read_size in range(1, 81):
        assert streamed(tmp_path, data, read_size) == expected, read_size


# --- invalid files -------------------------------------------------------------------------------------------------


def test_syntax_error_deep_in_the_file_keeps_its_line_and_column(tmp_path: Path) -> None:
    # GIVEN 300 orders, one per line, where the comma after order 250 is missing
    text = array_text([an_order(number) for number in range(300)]).replace('"A-251"', '"A-251" "x"', 1)
    data = text.encode()
    # WHEN it is streamed THEN the position is that of json.loads on the whole text
    with pytest.raises(json.JSONDecodeError) as caught:
        json.loads(text)
    position = f"line {caught.value.lineno} column {caught.value.colno}"
    assert caught.value.lineno == 253
    result = assert_all_agree(tmp_path, data)
    assert result[0] == "invalid"
    assert [problem.position for problem in result[1]] == [position]
    assert result[1][0].value == rendering.render(text[caught.value.pos - 10 : caught.value.pos + 20])


def test_syntax_error_replaces_the_problems_of_earlier_orders(tmp_path: Path) -> None:
    text = array_text([an_order(1, order_id=None), an_order(2)]) + "x"
    result = assert_all_agree(tmp_path, text.encode())
    assert [(p.position, p.expected) for p in result[1]] == [("line 5 column 1", "valid JSON (Extra data)")]


@pytest.mark.parametrize("gzipped", [False, True])
def test_invalid_utf8_straddling_a_chunk_boundary_gives_the_byte_offset(tmp_path: Path, gzipped: bool) -> None:
    # GIVEN a three-byte sequence cut short (e2 82 then "x") after a BOM and some valid multi-byte characters
    content = b'\xef\xbb\xbf[{"name": "\xc3\xa9\xe2\x82\xac\xe2\x82x"}]'
    data = gzip.compress(content) if gzipped else content
    # WHEN it is streamed with read sizes that cut the sequence anywhere THEN it is "byte 19" (3 + 11 + 2 + 3), as whole
    result = assert_all_agree(tmp_path, data)
    assert result[1] == [Problem("byte 19", "", '"e2 82"', "valid UTF-8 text")]
    for read_size in range(1, 30):
        assert streamed(tmp_path, data, read_size) == result


def test_invalid_utf8_wins_over_problems_found_before_it(tmp_path: Path) -> None:
    data = array_text([an_order(1, order_id=None)] * 3).encode() + b"\xff"
    assert assert_all_agree(tmp_path, data)[1][0].position.startswith("byte ")


def test_twenty_five_problems_keep_twenty_and_count_all(tmp_path: Path) -> None:
    data = array_text([an_order(number, order_id=None) for number in range(25)]).encode()
    result = assert_all_agree(tmp_path, data)
    assert (len(result[1]), result[2]) == (20, 25)
    assert result[1][-1].position == "$[19].order_id"


def test_duplicates_point_to_the_first_occurrence(tmp_path: Path) -> None:
    orders = [an_order(1), an_order(2), an_order(3, order_id="A-1")]
    for data in (array_text(orders).encode(), lines_text(orders).encode()):
        result = assert_all_agree(tmp_path, data)
        assert len(result[1]) == 1
        assert "first seen at" in result[1][0].expected


def test_nan_in_an_unknown_field_is_reported_after_the_order_problems(tmp_path: Path) -> None:
    orders = [an_order(1, extra="@"), an_order(2, total_amount=-1), an_order(3, extra=["@"])]
    array_data = array_text(orders).replace('"@"', "NaN").encode()
    lines_data = lines_text(orders).replace('"@"', "-Infinity").encode()
    assert [(p.position, p.value) for p in assert_all_agree(tmp_path, array_data)[1]] == [
        ("$[1].total_amount", "-1"),
        ("$", "NaN"),
        ("$", "NaN"),
    ]
    assert [(p.position, p.value) for p in assert_all_agree(tmp_path, lines_data)[1]] == [
        ("line 1", "-Infinity"),
        ("line 2 $.total_amount", "-1"),
        ("line 3", "-Infinity"),
    ]


FILE_PROBLEMS = {
    "trailing garbage after ]": b'[{"order_id": 1}] ]',
    "[ with no ]": b'[{"order_id": 1}, {"order_id": 2}\n',
    "[ alone": b"  [  ",
    "trailing comma": b'[{"order_id": 1},\n]',
    "empty array": b" [ \n ] \n",
    "whitespace only": b" \r\n\t \n",
    "neither array nor lines": b"\n   orders: " + b"x" * 100,
    "unterminated string": b'[{"order_id": "abc',
    "number cut by the end": b'[{"order_id": 12',
    "huge integer": b'[{"order_id": 1, "x": ' + b"9" * 5000 + b"}]",
    "huge integer then a syntax error": b'[{"x": ' + b"9" * 5000 + b', "y": tru}]',
    "deep nesting": b"[" * 100_000 + b"]" * 100_000,
    "first JSON line after long leading whitespace": b" " * 50 + b'{"order_id": 1,,}\n',
    "truncated gzip": gzip.compress(array_text(ORDERS).encode())[:-20],
    "gzip then garbage": gzip.compress(array_text(ORDERS).encode()) + b"\x00\x00garbage",
    "gzip then one stray byte": gzip.compress(array_text(ORDERS).encode()) + b"\x1f",
}


@pytest.mark.parametrize("data", FILE_PROBLEMS.values(), ids=FILE_PROBLEMS.keys())
def test_file_level_problems_are_the_same(tmp_path: Path, data: bytes) -> None:
    result = assert_all_agree(tmp_path, data)
    assert result[0] == "invalid"


def test_gzip_bomb_is_too_large_when_streamed(tmp_path: Path) -> None:
    bomb = gzip.compress(b"[" + b" " * 20_000_000, compresslevel=1)
    path = tmp_path / "bomb.json.gz"
    path.write_bytes(bomb)
    with pytest.raises(FileTooLarge) as caught:
        for _ in iter_order_file(path, source_key=KEY, max_bytes=1_000_000):
            pass
    assert (caught.value.size_bytes, caught.value.decompressed) == (1_000_001, True)
    assert whole_text(bomb, 1_000_000) == ("too large", 1_000_001, 1_000_000, True)


def test_file_over_the_limit_is_too_large_before_reading(tmp_path: Path) -> None:
    data = array_text(ORDERS).encode()
    assert streamed(tmp_path, data, 64, len(data) - 1) == ("too large", len(data), len(data) - 1, False)


# --- mutations: whatever the damage, the streaming reader says what the whole-text reader says ---------------------

PIECES = [b",", b"]", b"[", b"{", b"}", b'"', b"\\", b"\n", b" ", b"\xff", b"\xe2\x82", b"-", b"1", b"e", b".", b"NaN"]
PIECES += [b"-Infinity", b"\\ud800", b"\\ud83d\\ude00", b'"x":', b"tru", b"\x00", b"\t"]


def mutated(rnd: random.Random) -> bytes:
    orders = [an_order(number) for number in range(rnd.randint(0, 4))]
    if orders and rnd.random() < 0.3:
        orders[-1]["order_id"] = "A-0"
    text = array_text(orders, ascii_only=rnd.random() < 0.5) if rnd.random() < 0.6 else lines_text(orders)
    data = text.encode()
    for _ in range(rnd.choice([0, 1, 1, 2, 3])):
        at = rnd.randrange(len(data) + 1)
        piece = rnd.choice(PIECES)
        cut = rnd.choice([0, 0, 1, 3, len(piece)])
        data = data[:at] + piece + data[at + cut :]
    if rnd.random() < 0.2:
        data = gzip.compress(data[: len(data) // 2]) + gzip.compress(data[len(data) // 2 :])
        data = data[: rnd.randrange(len(data) + 1)] if rnd.random() < 0.2 else data
    return data


@pytest.mark.parametrize("seed", range(40))
def test_mutated_files_get_the_same_verdict(tmp_path: Path, seed: int) -> None:
    rnd = random.Random(seed)
    for _ in range(10):
        data = mutated(rnd)
        expected = whole_text(data)
        assert in_memory(data) == expected, data
        for read_size in (1, 5, 64):
            assert streamed(tmp_path, data, read_size) == expected, (read_size, data)


# --- memory ---------------------------------------------------------------------------------------------------------


def write_big_array(path: Path, orders: int, bad_at: int) -> None:
    """About 3 KB per order; order `bad_at` has a price with three decimals."""
    address = "x" * 2700
    with path.open("w", encoding="utf-8") as handle:
        handle.write("[\n")
        for number in range(orders):
            price = "1.005" if number == bad_at else "12.75"
            handle.write(
                f'{{"order_id": "A-{number}", "order_date": "2025-03-04T10:20:30Z", "total_amount": 25.5, '
                f'"customer": {{"customer_id": "C-{number % 977}", "name": "Ann", "address": "{address}"}}, '
                f'"products": [{{"product_id": "P-1", "price": 3, "quantity": 1}}, '
                f'{{"product_id": "P-2", "name": "Ink", "price": {price}, "quantity": 2}}]}}'
            )
            handle.write(",\n" if number < orders - 1 else "\n]\n")


def test_a_60_mb_invalid_file_is_checked_in_a_few_megabytes(tmp_path: Path) -> None:
    # GIVEN a 60 MB array of valid orders but one bad price near the end
    path = tmp_path / "big.json"
    write_big_array(path, orders=21_000, bad_at=20_990)
    assert path.stat().st_size > 60_000_000
    # WHEN it is streamed under tracemalloc
    tracemalloc.start()
    try:
        with pytest.raises(InvalidOrderFile) as caught:
            for _ in iter_order_file(path, source_key=KEY, max_bytes=MAX * 2):
                pass
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # THEN the bad price is reported at its exact position, and the peak stays far below the file size
    assert caught.value.problems == [
        Problem("$[20990].products[1].price", "price", "1.005", "a number >= 0 with at most 2 decimals"),
    ]
    assert peak < 20_000_000, peak


def test_read_size_bounds_the_window(tmp_path: Path) -> None:
    # GIVEN an array of 2000 small orders WHEN it is streamed THEN the window never holds much more than a read
    data = array_text([an_order(number) for number in range(2000)]).encode()
    path = tmp_path / "orders.json"
    path.write_bytes(data)
    largest = 0
    original = json_stream.Window._more

    def spy(window: json_stream.Window, wanted: int) -> int:
        nonlocal largest
        got = original(window, wanted)
        largest = max(largest, len(window.buf))
        return got

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(json_stream.Window, "_more", spy)
        assert len(list(iter_order_file(path, source_key=KEY, read_size=1024))) == 2000
    assert 1024 <= largest < 4 * 1024


def test_a_huge_single_value_grows_the_window_geometrically(tmp_path: Path) -> None:
    # GIVEN one order with a 2 MB address, streamed 1 KB at a time
    data = array_text([an_order(1, customer={"customer_id": 1, "address": "y" * 2_000_000})]).encode()
    path = tmp_path / "orders.json"
    path.write_bytes(data)
    refills = 0
    original = json_stream.Window._more

    def spy(window: json_stream.Window, wanted: int) -> int:
        nonlocal refills
        refills += 1
        return original(window, wanted)

    # WHEN it is read THEN the window doubled instead of growing 1 KB per attempt (each attempt re-parses)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(json_stream.Window, "_more", spy)
        [order] = iter_order_file(path, source_key=KEY, read_size=1024)
    assert order.values["customer_address"] == "y" * 2_000_000
    assert refills < 30, refills


# --- the engine's reference path ------------------------------------------------------------------------------------


def test_engine_reference_path_streams_the_file(tmp_path: Path) -> None:
    from orders_etl.engine import flatten_order_file, scan_order_file

    # GIVEN an invalid file, and a valid one only the reference can vouch for (money beyond a double)
    invalid = tmp_path / "invalid.json"
    invalid.write_bytes(array_text([an_order(1), an_order(2, total_amount=-1)]).encode())
    exotic = tmp_path / "exotic.json"
    exotic_text = array_text([an_order(1), an_order(2, products=[])]).replace("25.5", "9999999999999999.99")
    exotic.write_bytes(exotic_text.encode())
    work = tmp_path / "work"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Path, "read_bytes", lambda self: pytest.fail(f"read whole: {self}"))
        # WHEN the engine validates and flattens them without ever reading a whole file
        with pytest.raises(InvalidOrderFile) as caught:
            flatten_order_file(invalid, tmp_path / "out", source_key=KEY, max_bytes=MAX, workdir=work)
        assert not (work / "reference-rows.jsonl").exists()  # the partial rows file is gone
        result = flatten_order_file(exotic, tmp_path / "out", source_key=KEY, max_bytes=MAX, workdir=work)
        summary = scan_order_file(exotic, source_key=KEY, max_bytes=MAX, workdir=work)
    # THEN the problems are the reference's, and the summary counts every order and row
    assert [p.position for p in caught.value.problems] == ["$[1].total_amount"]
    assert result.summary == summary
    assert (summary.engine, summary.orders, summary.rows, summary.orders_without_products) == ("reference", 2, 1, 1)
    assert summary.rows_by_date == {"2025-03-04": 1}
    assert sum(len(files) for files in result.parquet_files.values()) == 1
    assert not (work / "reference-rows.jsonl").exists()
