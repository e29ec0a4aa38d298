"""The data contract: what read_order_file accepts, how it converts, and how it reports bad files."""

from __future__ import annotations

import gzip
import json
import pickle
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from orders_etl.contract import read_order_file
from orders_etl.errors import (
    MAX_PROBLEMS,
    DataError,
    FileTooLarge,
    InvalidOrderFile,
    OrdersEtlError,
    Problem,
    parse_problems,
)
from orders_view import Customer, Order, Product, read_orders

KEY = "raw/2025/orders.json"


def an_order(**changes: Any) -> dict[str, Any]:
    """A valid order as a JSON-ready dict; ``changes`` replace (or, with value ..., remove) top-level fields."""
    order: dict[str, Any] = {
        "order_id": "A-1",
        "order_date": "2025-03-04T10:20:30Z",
        "total_amount": 25.5,
        "customer": {"customer_id": "C-1", "name": "Ann", "email": "ann@example.com", "address": "1 Main St"},
        "products": [{"product_id": "P-1", "name": "Pen", "category": "office", "price": 12.75, "quantity": 2}],
    }
    order.update(changes)
    return {name: value for name, value in order.items() if value is not ...}


def a_product(**changes: Any) -> dict[str, Any]:
    product: dict[str, Any] = {"product_id": "P-1", "name": "Pen", "category": "office", "price": 1, "quantity": 1}
    product.update(changes)
    return {name: value for name, value in product.items() if value is not ...}


def array_file(*orders: Any) -> bytes:
    return json.dumps(list(orders)).encode()


def lines_file(*orders: Any) -> bytes:
    return "\n".join(json.dumps(order) for order in orders).encode()


def rejected(data: bytes, **kwargs: Any) -> InvalidOrderFile:
    with pytest.raises(InvalidOrderFile) as caught:
        read_order_file(data, source_key=KEY, **kwargs)
    return caught.value


def only_problem(data: bytes) -> Problem:
    error = rejected(data)
    assert error.total_problems == 1, str(error)
    return error.problems[0]


# --- valid files ---------------------------------------------------------------------------------------------

ARRAY_FILE = b"""[
  {"order_id": 7, "order_date": "2025-01-15T08:30:00", "total_amount": 0.1,
   "customer": {"customer_id": 42, "name": "Ann", "email": null},
   "products": [
     {"product_id": 100, "name": "Pen", "category": "office", "price": 0.1, "quantity": 2.0},
     {"product_id": "P-2", "price": 1e2, "quantity": 1, "colour": "red"}
   ],
   "channel": "web"},
  {"order_id": "B-2", "order_date": "2025-01-15T23:30:00.123456+02:00", "total_amount": 100,
   "customer": {"customer_id": "C-9"}, "products": []},
  {"order_id": "B-3", "order_date": "2025-01-16", "total_amount": 1.50,
   "customer": {"customer_id": "C-9", "address": "2 Side St"},
   "products": [{"product_id": "P-3", "price": 1.5, "quantity": 9223372036854775807}]}
]"""

EXPECTED_ORDERS = [
    Order(
        order_id="7",
        order_date=datetime(2025, 1, 15, 8, 30, tzinfo=UTC),
        total_amount=Decimal("0.10"),
        customer=Customer(customer_id="42", name="Ann", email=None, address=None),
        products=(
            Product(product_id="100", name="Pen", category="office", price=Decimal("0.10"), quantity=2),
            Product(product_id="P-2", name=None, category=None, price=Decimal("100.00"), quantity=1),
        ),
    ),
    Order(
        order_id="B-2",
        order_date=datetime(2025, 1, 15, 21, 30, 0, 123000, tzinfo=UTC),
        total_amount=Decimal("100.00"),
        customer=Customer(customer_id="C-9", name=None, email=None, address=None),
        products=(),
    ),
    Order(
        order_id="B-3",
        order_date=datetime(2025, 1, 16, tzinfo=UTC),
        total_amount=Decimal("1.50"),
        customer=Customer(customer_id="C-9", name=None, email=None, address="2 Side St"),
        products=(Product("P-3", None, None, Decimal("1.50"), 2**63 - 1),),
    ),
]


def test_array_file_parses_and_converts() -> None:
    # GIVEN a JSON array file with integer ids, a date without offset, a +02:00 offset, a date-only value,
    # decimals that floats cannot hold exactly, a whole float quantity and unknown fields
    # WHEN it is read
    orders = read_orders(ARRAY_FILE, source_key=KEY)
    # THEN every value is converted as the contract says
    assert orders == EXPECTED_ORDERS
    first = orders[0]
    assert first.total_amount == Decimal("0.1")  # exact, not 0.1000000000000000055...
    assert isinstance(first.products[0].quantity, int)
    assert all(order.order_date.tzinfo is UTC for order in orders)


def test_json_lines_with_bom_blank_lines_and_crlf_parse_like_the_array() -> None:
    # GIVEN the same orders as JSON Lines, with a BOM, CRLF line ends and blank lines
    orders = json.loads(ARRAY_FILE)
    text = "\r\n".join(json.dumps(order) for order in orders[:2]) + "\r\n\r\n   \n" + json.dumps(orders[2]) + "\n"
    data = b"\xef\xbb\xbf" + text.encode()
    # WHEN it is read  THEN the orders are the same (the floats went through json.dumps, which keeps 0.1 as 0.1)
    assert read_orders(data, source_key=KEY) == EXPECTED_ORDERS


def test_gzip_is_detected_by_magic_bytes_not_extension() -> None:
    # GIVEN a gzipped JSON Lines file with a BOM and a key without .gz
    data = gzip.compress(b"\xef\xbb\xbf" + lines_file(an_order(), an_order(order_id="A-2")))
    # WHEN it is read THEN both orders come out
    assert [order.order_id for order in read_orders(data, source_key="raw/x.json")] == ["A-1", "A-2"]


def test_multi_member_gzip_is_read_whole() -> None:
    # GIVEN two gzip members concatenated (what `cat a.gz b.gz` gives)
    data = gzip.compress(b"[" + json.dumps(an_order()).encode()) + gzip.compress(b"]")
    # WHEN it is read THEN the content of both members is used
    assert len(read_order_file(data, source_key=KEY)) == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-01-01", datetime(2025, 1, 1, tzinfo=UTC)),
        ("2025-01-01T23:30:00-02:00", datetime(2025, 1, 2, 1, 30, tzinfo=UTC)),
        ("2025-01-01 10:00", datetime(2025, 1, 1, 10, 0, tzinfo=UTC)),
        ("2025-01-01T10:00:05.9999Z", datetime(2025, 1, 1, 10, 0, 5, 999000, tzinfo=UTC)),
        ("2025-01-01T10:00:05.5+05:30", datetime(2025, 1, 1, 4, 30, 5, 500000, tzinfo=UTC)),
        ("2024-02-29T00:00:00Z", datetime(2024, 2, 29, tzinfo=UTC)),
    ],
)
def test_order_dates_are_converted_to_utc_milliseconds(text: str, expected: datetime) -> None:
    # GIVEN an order with this order_date WHEN it is read THEN the date is that UTC instant, truncated to ms
    [order] = read_orders(array_file(an_order(order_date=text)), source_key=KEY)
    assert order.order_date == expected
    assert order.order_date.utcoffset() is not None


@pytest.mark.parametrize(
    ("amount", "expected"), [("1.5", "1.50"), ("1.50", "1.50"), ("100", "100.00"), ("1e2", "100.00"), ("0", "0")]
)
def test_money_with_at_most_two_decimals_is_accepted(amount: str, expected: str) -> None:
    # GIVEN a total_amount written as this JSON number
    data = json.dumps([an_order(total_amount="@")]).replace('"@"', amount).encode()
    # WHEN it is read THEN it is that exact decimal
    [order] = read_orders(data, source_key=KEY)
    assert order.total_amount == Decimal(expected)


def test_largest_money_and_whitespace_before_the_array_are_accepted() -> None:
    data = b" \n\t" + json.dumps([an_order(total_amount="@")]).replace('"@"', "9999999999999999.99").encode()
    [order] = read_orders(data, source_key=KEY)
    assert order.total_amount == Decimal("9999999999999999.99")


# --- invalid files: one problem each -------------------------------------------------------------------------

FULLWIDTH_DATE = "\uff12\uff10\uff12\uff15-01-01"  # Unicode digits are not ISO-8601 digits


@pytest.mark.parametrize(
    ("order", "position", "field", "value"),
    [
        (an_order(order_id=...), "$[0].order_id", "order_id", "<missing>"),
        (an_order(order_id=""), "$[0].order_id", "order_id", '""'),
        (an_order(order_id="  "), "$[0].order_id", "order_id", '"  "'),
        (an_order(order_id=True), "$[0].order_id", "order_id", "true"),
        (an_order(order_id=1.5), "$[0].order_id", "order_id", "1.5"),
        (an_order(order_id=None), "$[0].order_id", "order_id", "null"),
        (an_order(order_date=...), "$[0].order_date", "order_date", "<missing>"),
        (an_order(order_date=20250101), "$[0].order_date", "order_date", "20250101"),
        (an_order(order_date="2025-02-30"), "$[0].order_date", "order_date", '"2025-02-30"'),
        (an_order(order_date="2025-01-01T25:00"), "$[0].order_date", "order_date", '"2025-01-01T25:00"'),
        (an_order(order_date="2025-01-01T10:00+24:00"), "$[0].order_date", "order_date", '"2025-01-01T10:00+24:00"'),
        (an_order(order_date="2025-1-1"), "$[0].order_date", "order_date", '"2025-1-1"'),
        (an_order(order_date="2025-01-01Z"), "$[0].order_date", "order_date", '"2025-01-01Z"'),
        (an_order(order_date="2025-01-01T10"), "$[0].order_date", "order_date", '"2025-01-01T10"'),
        (
            an_order(order_date="2025-01-01T10:00:00+0200"),
            "$[0].order_date",
            "order_date",
            '"2025-01-01T10:00:00+0200"',
        ),
        (an_order(order_date="20250101"), "$[0].order_date", "order_date", '"20250101"'),
        (
            an_order(order_date="\uff12\uff10\uff12\uff15-01-01"),
            "$[0].order_date",
            "order_date",
            '"\uff12\uff10\uff12\uff15-01-01"',
        ),
        (an_order(order_date="0001-01-01T00:00+01:00"), "$[0].order_date", "order_date", '"0001-01-01T00:00+01:00"'),
        (an_order(total_amount=...), "$[0].total_amount", "total_amount", "<missing>"),
        (an_order(total_amount="12.50"), "$[0].total_amount", "total_amount", '"12.50"'),
        (an_order(total_amount=True), "$[0].total_amount", "total_amount", "true"),
        (an_order(total_amount=1.005), "$[0].total_amount", "total_amount", "1.005"),
        (an_order(total_amount=-1), "$[0].total_amount", "total_amount", "-1"),
        (an_order(total_amount=10**16), "$[0].total_amount", "total_amount", "10000000000000000"),
        (an_order(customer=...), "$[0].customer", "customer", "<missing>"),
        (an_order(customer="C-1"), "$[0].customer", "customer", '"C-1"'),
        (an_order(customer={"name": "Ann"}), "$[0].customer.customer_id", "customer_id", "<missing>"),
        (an_order(customer={"customer_id": ""}), "$[0].customer.customer_id", "customer_id", '""'),
        (an_order(customer={"customer_id": 1, "email": 5}), "$[0].customer.email", "email", "5"),
        (an_order(customer={"customer_id": 1, "name": ["A"]}), "$[0].customer.name", "name", '["A"]'),
        (an_order(customer={"customer_id": 1, "address": {}}), "$[0].customer.address", "address", "{}"),
        (an_order(products=...), "$[0].products", "products", "<missing>"),
        (an_order(products={"product_id": 1}), "$[0].products", "products", '{"product_id": 1}'),
        (an_order(products=[a_product(), None]), "$[0].products[1]", "products", "null"),
        (an_order(products=[7]), "$[0].products[0]", "products", "7"),
        (an_order(products=[a_product(product_id=...)]), "$[0].products[0].product_id", "product_id", "<missing>"),
        (an_order(products=[a_product(product_id=False)]), "$[0].products[0].product_id", "product_id", "false"),
        (an_order(products=[a_product(name=1)]), "$[0].products[0].name", "name", "1"),
        (an_order(products=[a_product(category=True)]), "$[0].products[0].category", "category", "true"),
        (an_order(products=[a_product(price=...)]), "$[0].products[0].price", "price", "<missing>"),
        (an_order(products=[a_product(price=None)]), "$[0].products[0].price", "price", "null"),
        (an_order(products=[a_product(price=0.001)]), "$[0].products[0].price", "price", "0.001"),
        (an_order(products=[a_product(price=-0.5)]), "$[0].products[0].price", "price", "-0.5"),
        (an_order(products=[a_product(quantity=...)]), "$[0].products[0].quantity", "quantity", "<missing>"),
        (an_order(products=[a_product(quantity=0)]), "$[0].products[0].quantity", "quantity", "0"),
        (an_order(products=[a_product(quantity=-3)]), "$[0].products[0].quantity", "quantity", "-3"),
        (an_order(products=[a_product(quantity=2.5)]), "$[0].products[0].quantity", "quantity", "2.5"),
        (an_order(products=[a_product(quantity=True)]), "$[0].products[0].quantity", "quantity", "true"),
        (an_order(products=[a_product(quantity="2")]), "$[0].products[0].quantity", "quantity", '"2"'),
        (an_order(products=[a_product(quantity=2**63)]), "$[0].products[0].quantity", "quantity", str(2**63)),
    ],
)
def test_each_broken_field_is_reported_at_its_position(
    order: dict[str, Any], position: str, field: str, value: str
) -> None:
    # GIVEN an array file whose only order breaks one rule
    # WHEN it is read
    problem = only_problem(array_file(order))
    # THEN exactly that field is reported, with the offending value as JSON
    assert (problem.position, problem.field, problem.value) == (position, field, value)
    assert problem.expected


def test_expected_texts_say_what_was_wanted() -> None:
    # GIVEN orders with a bad price, a bad date, a bad quantity and a missing id
    error = rejected(
        array_file(
            an_order(order_id=...),
            an_order(order_id="2", products=[a_product(price=1.005, quantity=0)]),
            an_order(order_id="3", order_date="tomorrow"),
            an_order(order_id="4", total_amount=10**17),
        )
    )
    # WHEN the problems are listed THEN each says in plain words what was expected
    assert [(p.position, p.expected) for p in error.problems] == [
        ("$[0].order_id", "a non-empty string or integer"),
        ("$[1].products[0].price", "a number >= 0 with at most 2 decimals"),
        ("$[1].products[0].quantity", "a whole number >= 1"),
        ("$[2].order_date", "an ISO-8601 date or date-time"),
        ("$[3].total_amount", "a number <= 9999999999999999.99"),
    ]


def test_json_lines_positions_name_the_line_and_the_path_inside_it() -> None:
    # GIVEN JSON Lines where line 2 has a bad date and line 4 (after a blank line 3) a bad quantity
    data = lines_file(
        an_order(order_id="1"),
        an_order(order_id="2", order_date="2025-13-01"),
        "",
        an_order(order_id="4", products=[a_product(), a_product(quantity=0)]),
    ).replace(b'\n""\n', b"\n\n")
    # WHEN it is read THEN the positions are "line N $.path"
    error = rejected(data)
    assert [(p.position, p.field) for p in error.problems] == [
        ("line 2 $.order_date", "order_date"),
        ("line 4 $.products[1].quantity", "quantity"),
    ]


@pytest.mark.parametrize(
    ("data", "position", "value"),
    [
        (b"", "$", '""'),
        (b" \n\t\r\n", "$", '""'),
        (b"\xef\xbb\xbf", "$", '""'),
        (b"[]", "$", "[]"),
        (b" [ \n ] ", "$", "[]"),
        (b'"orders"', "$", '"\\"orders\\""'),
        (b"orders: none", "$", '"orders: none"'),
        (b"[1]", "$[0]", "1"),
        (b'[{"order_id": 1}, "x"]', "$[1]", '"x"'),
    ],
)
def test_file_level_problems(data: bytes, position: str, value: str) -> None:
    # GIVEN a file with no usable orders at all
    # WHEN it is read THEN the file-level problem is reported (first problem, for the half-valid array)
    problem = rejected(data).problems[-1]
    assert (problem.position, problem.value) == (position, value)


def test_top_level_that_is_neither_array_nor_lines_says_so() -> None:
    problem = only_problem(b"42")
    assert (problem.position, problem.field) == ("$", "")
    assert problem.expected.startswith("a JSON array of orders or JSON Lines")


def test_array_syntax_error_gives_line_and_column() -> None:
    # GIVEN an array with a missing comma on line 3
    data = b'[\n{"order_id": 1},\n{"order_id": 2} {"order_id": 3}\n]'
    # WHEN it is read THEN the position is "line L column C" of the error
    problem = only_problem(data)
    assert (problem.position, problem.field) == ("line 3 column 17", "")
    assert problem.expected.startswith("valid JSON")


def test_json_lines_syntax_errors_are_reported_per_line_and_scanning_goes_on() -> None:
    # GIVEN JSON Lines with a broken line 2, an array on line 3 and a bad total on line 4
    data = b"\n".join(
        [
            json.dumps(an_order(order_id="1")).encode(),
            b'{"order_id": "2", ',
            b"[1, 2]",
            json.dumps(an_order(order_id="4", total_amount=-1)).encode(),
        ]
    )
    # WHEN it is read THEN each problem is reported with its line
    error = rejected(data)
    assert [p.position for p in error.problems] == ["line 2", "line 3 $", "line 4 $.total_amount"]


def test_duplicate_order_ids_compare_the_stored_string() -> None:
    # GIVEN an array where 1 and "1" collide, and a JSON Lines file with a repeated id
    array_error = rejected(array_file(an_order(order_id=1), an_order(order_id="2"), an_order(order_id="1")))
    lines_error = rejected(lines_file(an_order(order_id="x"), an_order(order_id="x")))
    # WHEN they are read THEN the second occurrence is reported, pointing to the first
    [problem] = array_error.problems
    assert (problem.position, problem.field, problem.value) == ("$[2].order_id", "order_id", '"1"')
    assert problem.expected == "a unique order_id (first seen at $[0])"
    assert lines_error.problems[0].expected == "a unique order_id (first seen at line 1 $)"
    assert lines_error.problems[0].position == "line 2 $.order_id"


def test_every_problem_in_every_order_is_reported() -> None:
    # GIVEN three orders with problems in the first and the last, and one order with two problems
    error = rejected(
        array_file(
            an_order(order_id=None, total_amount="1"),
            an_order(order_id="ok"),
            an_order(order_id="z", products=[a_product(price=-1), a_product(quantity=1.5)]),
        )
    )
    # WHEN it is read THEN all four are listed, in file order
    assert [p.position for p in error.problems] == [
        "$[0].order_id",
        "$[0].total_amount",
        "$[2].products[0].price",
        "$[2].products[1].quantity",
    ]
    assert error.total_problems == 4


def test_problems_are_capped_at_twenty_but_all_are_counted() -> None:
    # GIVEN 25 orders without an order_id
    error = rejected(array_file(*[an_order(order_id=...) for _ in range(25)]))
    # WHEN it is read THEN 20 problems are kept and the total says 25
    assert MAX_PROBLEMS == 20
    assert len(error.problems) == 20
    assert error.total_problems == 25
    assert error.problems[-1].position == "$[19].order_id"
    assert str(error).splitlines()[0] == f"{KEY}: 25 problems (showing 20)"


def test_long_values_are_cut_to_sixty_characters() -> None:
    # GIVEN an order_date that is a 1000-character string, and a products value that is a huge object
    error = rejected(array_file(an_order(order_date="x" * 1000, products={str(i): i for i in range(10000)})))
    # WHEN it is read THEN the values are cut to 60 characters ending with …
    for problem in error.problems:
        assert len(problem.value) == 60
        assert problem.value.endswith("…")
    assert error.problems[0].value.startswith('"xxxx')


# --- hostile input -------------------------------------------------------------------------------------------


def test_deep_nesting_is_a_problem_not_a_crash() -> None:
    # GIVEN 100000 nested arrays (json recursion would blow the stack)
    # WHEN it is read THEN the file is invalid at $
    problem = only_problem(b"[" * 100_000 + b"]" * 100_000)
    assert problem.position == "$"
    assert "nested too deeply" in problem.expected


def test_deep_nesting_in_a_json_line_is_a_problem_of_that_line() -> None:
    data = lines_file(an_order()) + b"\n" + b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    assert only_problem(data).position == "line 2"


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_problems_at_their_field(token: str) -> None:
    # GIVEN a price written as a non-finite token
    data = array_file(an_order(products=[a_product(price="@")])).replace(b'"@"', token.encode())
    # WHEN it is read THEN the price is reported with the token as value
    problem = only_problem(data)
    assert (problem.position, problem.field, problem.value) == ("$[0].products[0].price", "price", token)
    assert "finite" in problem.expected


def test_nan_in_an_unknown_field_still_rejects_the_file() -> None:
    # GIVEN NaN in a field the contract ignores, in an array file and in a JSON Lines file
    array_data = array_file(an_order(extra="@")).replace(b'"@"', b"NaN")
    lines_data = lines_file(an_order(), an_order(order_id="2", extra="@")).replace(b'"@"', b"Infinity")
    # WHEN they are read THEN the file is still invalid (NaN is not JSON)
    assert (only_problem(array_data).position, only_problem(array_data).value) == ("$", "NaN")
    assert (only_problem(lines_data).position, only_problem(lines_data).value) == ("line 2", "Infinity")


def test_number_beyond_decimal_range_is_a_problem_not_a_crash() -> None:
    data = array_file(an_order(total_amount="@")).replace(b'"@"', b"1e99999999999999999999")
    problem = only_problem(data)
    assert (problem.position, problem.value) == ("$[0].total_amount", "1e99999999999999999999")


def test_huge_integer_literal_is_a_problem_not_a_crash() -> None:
    # GIVEN an integer with more digits than Python converts by default
    data = array_file(an_order(total_amount="@")).replace(b'"@"', b"9" * 5000)
    assert only_problem(data).position == "$"


def test_invalid_utf8_gives_the_byte_offset() -> None:
    # GIVEN a BOM, then valid text, then a 0xff byte at offset 3 + 10
    data = b'\xef\xbb\xbf[{"name":"\xff"}]'
    # WHEN it is read THEN the problem is at "byte 13"
    problem = only_problem(data)
    assert (problem.position, problem.field, problem.value) == ("byte 13", "", '"ff"')


def test_lone_surrogate_in_a_string_is_a_problem() -> None:
    data = array_file(an_order(customer={"customer_id": "C", "name": "@"})).replace(b'"@"', b'"\\ud800"')
    assert only_problem(data).position == "$[0].customer.name"


def test_truncated_gzip_is_a_problem_at_dollar() -> None:
    # GIVEN a gzip stream cut in the middle, and one with garbage after the first member
    full = gzip.compress(array_file(*[an_order(order_id=str(i)) for i in range(50)]))
    for data in (full[: len(full) // 2], full + b"garbage"):
        # WHEN it is read THEN the problem asks for a complete gzip stream
        problem = only_problem(data)
        assert (problem.position, problem.field) == ("$", "")
        assert problem.expected.startswith("a complete gzip stream")


def test_gzip_bomb_is_too_large_without_inflating_it_all() -> None:
    # GIVEN 50 MB of zeros gzipped to about 50 KB, and a 1 MB limit
    bomb = gzip.compress(b"[" + b" " * 50_000_000, compresslevel=1)
    # WHEN it is read THEN FileTooLarge is raised
    with pytest.raises(FileTooLarge) as caught:
        read_order_file(bomb, source_key=KEY, max_bytes=1_000_000)
    assert caught.value.max_bytes == 1_000_000
    assert caught.value.size_bytes > 1_000_000
    assert caught.value.decompressed


def test_data_over_max_bytes_is_too_large() -> None:
    data = array_file(an_order())
    with pytest.raises(FileTooLarge) as caught:
        read_order_file(data, source_key=KEY, max_bytes=len(data) - 1)
    assert (caught.value.size_bytes, caught.value.max_bytes, caught.value.source_key) == (len(data), len(data) - 1, KEY)
    assert str(caught.value) == f"{KEY}: file is {len(data)} bytes, over the limit of {len(data) - 1} bytes"
    assert read_order_file(data, source_key=KEY, max_bytes=len(data))  # exactly at the limit is fine


# --- the errors and their message ----------------------------------------------------------------------------


def test_error_classes_and_names_match_the_state_machine() -> None:
    assert issubclass(InvalidOrderFile, DataError)
    assert issubclass(FileTooLarge, DataError)
    assert issubclass(DataError, OrdersEtlError)
    assert issubclass(OrdersEtlError, Exception)
    assert (InvalidOrderFile.__name__, FileTooLarge.__name__) == ("InvalidOrderFile", "FileTooLarge")


def test_message_lists_one_problem_per_line() -> None:
    # GIVEN a file with a missing id and a bad price
    error = rejected(array_file(an_order(order_id=...), an_order(order_id=2, products=[a_product(price=1.005)])))
    # WHEN it is shown THEN the header and one line per problem appear
    assert str(error) == (
        f"{KEY}: 2 problems (showing 2)\n"
        '$[0].order_id "order_id": expected a non-empty string or integer; got <missing>\n'
        '$[1].products[0].price "price": expected a number >= 0 with at most 2 decimals; got 1.005'
    )
    assert error.source_key == KEY


AWKWARD = [
    Problem("$[0].customer.name", "name", json.dumps('a: b, got c; got "d"\n\r\u2028 ok'), "a string or null"),
    Problem("line 57 $.products[2].price", "price", '"x", got 1', "a number >= 0 with at most 2 decimals"),
    Problem("line 3 column 9", "", '"{\\"a\\": }"', "valid JSON (Expecting value)"),
    Problem("byte 12", "", '"ff"', "valid UTF-8 text"),
    Problem("$", "", "<missing>", "a complete gzip stream"),
    Problem("$[1].order_id", "order_id", '"1"', "a unique order_id (first seen at $[0])"),
    Problem("$[2].products[0]", 'we"ird\nfield', "…", "an object"),
]


def test_parse_problems_round_trips_awkward_values() -> None:
    # GIVEN problems whose values contain ": ", ", got ", "; got ", quotes and escaped line breaks
    error = InvalidOrderFile('raw/we "ird"\nkey.json', AWKWARD, total_problems=40)
    # WHEN the message is parsed back
    message = str(error)
    # THEN the same problems come out, and the message has exactly one line per problem plus the header
    assert parse_problems(message) == AWKWARD
    assert len(message.split("\n")) == len(AWKWARD) + 1
    assert message.split("\n")[0].endswith(": 40 problems (showing 7)")


def test_parse_problems_round_trips_problems_found_by_the_reader() -> None:
    data = array_file(
        an_order(order_id=...),
        an_order(order_id="a\nb", customer={"customer_id": 1, "name": {"x": "y: z, got w\n"}}),
    )
    error = rejected(data)
    assert parse_problems(str(error)) == error.problems


def test_parse_problems_skips_lines_that_are_not_problems() -> None:
    message = str(InvalidOrderFile(KEY, AWKWARD[:2])) + "\nsomething else\n$[9].x"
    assert parse_problems(message) == AWKWARD[:2]


def test_errors_survive_pickling() -> None:
    invalid = InvalidOrderFile(KEY, AWKWARD, total_problems=30)
    too_large = FileTooLarge(KEY, 10, 5, decompressed=True)
    assert str(pickle.loads(pickle.dumps(invalid))) == str(invalid)
    assert str(pickle.loads(pickle.dumps(too_large))) == str(too_large)
