"""The JSON Schema export against the pipeline's own reader, for the shipped contract and a second shape: what the
reader accepts, the schema accepts; what JSON Schema can say, the schema rejects as the reader does; what it
cannot say (docs/contracts.md, "What the schema cannot check") is pinned case by case. python-jsonschema checks
with exact numbers (Decimal), as docs/contracts.md advises; the float default's limits are pinned too."""

from __future__ import annotations

import gzip
import json
import re
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator
from jsonschema.protocols import Validator
from jsonschema.validators import extend

from marketplace import MARKETPLACE, marketplace_order
from orders_etl.contract import read_order_file
from orders_etl.contract.json_schema import DRAFT, json_schema, record_ref
from orders_etl.contract.rules import DATE_TIME_PATTERN
from orders_etl.contract.spec import Contract, load_contract, parse_contract
from orders_etl.errors import InvalidOrderFile
from orders_etl_cli.main import main

ORDERS = load_contract()
SECOND = MARKETPLACE
SECOND_PATH = MARKETPLACE.source
SAMPLES = sorted((Path(__file__).resolve().parents[2] / "events" / "orders").iterdir())
MISSING = object()  # a case's value: the key is absent


def _integer(checker: Any, value: Any) -> bool:
    """JSON Schema's integer is a value without a fraction (2.0 is one): with Decimal numbers too."""
    whole_decimal = isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value()
    return bool(Draft202012Validator.TYPE_CHECKER.is_type(value, "integer")) or whole_decimal


ExactValidator = extend(
    Draft202012Validator, type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _integer)
)


def exact(text: str) -> Any:
    return json.loads(text, parse_float=Decimal)


def file_validator(contract: Contract) -> Validator:
    """The schema of a file, read back from its JSON text with exact numbers."""
    return ExactValidator(exact(json.dumps(json_schema(contract))))


def line_validator(contract: Contract) -> Validator:
    """One JSON Lines line against #/$defs/<record>, by reference as a producer's tool would."""
    schema = exact(json.dumps(json_schema(contract)))
    return ExactValidator({"$schema": DRAFT, "$ref": record_ref(contract), "$defs": schema["$defs"]})


def pipeline_accepts(contract: Contract, text: str) -> bool:
    try:
        read_order_file(text.encode(), source_key="case.json", contract=contract)
    except InvalidOrderFile:
        return False
    return True


def with_value(record: dict[str, Any], path: str, raw: object) -> str:
    """The record as JSON text with the value at `path` (customer.name, products[0].price) replaced by the JSON
    text `raw`, or removed (MISSING): raw text keeps numbers exactly as written (1e2, 2.0, 9999999999999999.99)."""
    copy = json.loads(json.dumps(record))
    *parents, last = re.findall(r"[^.\[\]]+", path)
    holder = copy
    for key in parents:
        holder = holder[int(key)] if isinstance(holder, list) else holder[key]
    if raw is MISSING:
        del holder[last]
        return json.dumps(copy)
    holder[last] = "@value@"
    return json.dumps(copy).replace('"@value@"', str(raw))


ORDER = {
    "order_id": "ORD-1",
    "order_date": "2025-11-03T09:15:00Z",
    "total_amount": 10.5,
    "customer": {"customer_id": "C-1", "name": "Ada"},
    "products": [{"product_id": "P-1", "price": 5.25, "quantity": 2}],
}
MARKETPLACE_ORDER = marketplace_order()

# (path, JSON text or MISSING, valid): both the reader and the schema judge each so.
ORDER_CASES = [
    ("order_id", '"A-1"', True),
    ("order_id", "7", True),
    ("order_id", '" x "', True),
    ("order_id", '""', False),
    ("order_id", '" \\u3000\\t\\u00a0"', False),
    ("order_id", '"\\u001c\\u0085"', False),  # whitespace to Python's str.isspace, not to ECMA-262's \s
    ("order_id", "1.5", False),
    ("order_id", "true", False),
    ("order_id", "[]", False),
    ("order_id", "null", False),
    ("order_id", MISSING, False),
    ("order_date", '"2025-11-03"', True),
    ("order_date", '"2025-11-03 09:15"', True),
    ("order_date", '"2025-11-03T09:15:00.123456789-02:00"', True),
    ("order_date", '"2025-11-03T09"', False),
    ("order_date", '"2025-11-03T09:15:00+0100"', False),
    ("order_date", '"2025-11-03t09:15z"', False),
    ("order_date", '"03/11/2025"', False),
    ("order_date", '" 2025-11-03"', False),
    ("order_date", '"2025-11-03 "', False),
    ("order_date", "20251103", False),
    ("order_date", "null", False),
    ("order_date", MISSING, False),
    ("total_amount", "0", True),
    ("total_amount", "0.07", True),
    ("total_amount", "1349.97", True),
    ("total_amount", "1.230", True),  # trailing zeros are no decimals
    ("total_amount", "1e2", True),
    ("total_amount", "9999999999999999.99", True),
    ("total_amount", "10000000000000000", False),
    ("total_amount", "-0.01", False),
    ("total_amount", "10.005", False),
    ("total_amount", '"10.50"', False),
    ("total_amount", "true", False),
    ("total_amount", "null", False),
    ("total_amount", MISSING, False),
    ("customer", "{}", False),
    ("customer", "[]", False),
    ("customer", '"C-1"', False),
    ("customer", "null", False),
    ("customer", MISSING, False),
    ("customer.customer_id", "42", True),
    ("customer.customer_id", '"  "', False),
    ("customer.name", '""', True),
    ("customer.name", "null", True),
    ("customer.name", MISSING, True),
    ("customer.name", "1", False),
    ("customer.email", "false", False),
    ("products", "[]", True),
    ("products", "{}", False),
    ("products", "[1]", False),
    ("products", "null", False),
    ("products", MISSING, False),
    ("products[0].product_id", MISSING, False),
    ("products[0].price", "0", True),
    ("products[0].price", "-1", False),
    ("products[0].price", "0.001", False),
    ("products[0].quantity", "2.0", True),  # a whole number, however written
    ("products[0].quantity", "1e2", True),
    ("products[0].quantity", "9223372036854775807", True),
    ("products[0].quantity", "9223372036854775808", False),
    ("products[0].quantity", "0", False),
    ("products[0].quantity", "1.5", False),
    ("products[0].quantity", '"1"', False),
    ("products[0].category", "null", True),
    ("note", '"unknown keys are ignored"', True),
    ("products[0].colour", '"red"', True),
]
MARKETPLACE_CASES = [
    ("order_ref", '"M-2"', True),
    ("order_ref", '""', False),
    ("placed_at", '"2025-09-01"', True),
    ("placed_at", '"yesterday"', False),
    ("currency", '""', True),
    ("currency", "null", False),  # a required text
    ("currency", MISSING, False),
    ("gift", "false", True),
    ("gift", "null", True),
    ("gift", MISSING, True),
    ("gift", '"yes"', False),
    ("gift", "1", False),
    ("discount", "-999999999.999", True),  # no minimum: the negated maximum, the column's floor
    ("discount", "999999999.999", True),
    ("discount", "-1000000000", False),
    ("discount", "1000000000", False),
    ("discount", "1.2345", False),
    ("discount", "null", True),
    ("discount", MISSING, True),
    ("buyer", MISSING, False),
    ("buyer", "null", False),
    ("buyer.buyer_id", MISSING, False),
    ("shipping", MISSING, True),  # an optional object: absent or null, and nothing under it is checked
    ("shipping", "null", True),
    ("shipping", "{}", False),  # present: its required address is checked
    ("shipping", "[]", False),
    ("shipping.method", MISSING, True),
    ("shipping.address", "null", False),
    ("shipping.address.city", MISSING, False),
    ("shipping.address.city", "null", False),
    ("shipping.address.postcode", "null", True),
    ("shipping.address.country", "1", True),
    ("shipping.address.country", '"  "', False),
    ("delivery_date", '"2024-02-29"', True),
    ("delivery_date", "null", True),
    ("delivery_date", '"2025-9-5"', False),
    ("delivery_date", '"2025-09-05T10:00"', False),
    ("delivery_date", "20250905", False),
    ("items", "[]", True),
    ("items", MISSING, False),
    ("items[0].sku", MISSING, False),
    ("items[0].unit_price", "0", True),
    ("items[0].unit_price", "-0.001", False),
    ("items[0].unit_price", "0.0005", False),
    ("items[0].units", "1000", True),
    ("items[0].units", "2.0", True),
    ("items[0].units", "1001", False),
    ("items[0].units", "0", False),
]
CASES = [(ORDERS, ORDER, *case) for case in ORDER_CASES] + [
    (SECOND, MARKETPLACE_ORDER, *case) for case in MARKETPLACE_CASES
]


@pytest.mark.parametrize(
    ("contract", "record", "path", "raw", "valid"),
    CASES,
    ids=[f"{c.name}:{path}={'missing' if raw is MISSING else raw}" for c, _, path, raw, _ in CASES],
)
def test_the_schema_judges_a_value_as_the_reader_does(
    contract: Contract, record: dict[str, Any], path: str, raw: object, valid: bool
) -> None:
    line = with_value(record, path, raw)
    assert pipeline_accepts(contract, f"[{line}]") is valid
    assert file_validator(contract).is_valid(exact(f"[{line}]")) is valid
    assert line_validator(contract).is_valid(exact(line)) is valid


@pytest.mark.parametrize("contract", [ORDERS, SECOND], ids=lambda c: c.name)
@pytest.mark.parametrize("text", ["[]", "[1]", '["order"]', "[null]", "[[]]", "{}"])
def test_a_file_that_is_not_a_non_empty_array_of_objects_is_refused_by_both(contract: Contract, text: str) -> None:
    assert not pipeline_accepts(contract, text)
    assert not file_validator(contract).is_valid(exact(text))


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda path: path.name)
def test_the_schema_accepts_every_sample_file_the_pipeline_accepts_and_refuses_the_other(sample: Path) -> None:
    """bad_orders.json breaks rules JSON Schema can say (a negative total, 3 decimals) besides those it cannot."""
    data = sample.read_bytes()
    text = (gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data).decode("utf-8-sig")
    if text.lstrip().startswith("["):
        schema_accepts = file_validator(ORDERS).is_valid(exact(text))
    else:
        lines = [line for line in text.splitlines() if line.strip()]
        schema_accepts = bool(lines) and all(line_validator(ORDERS).is_valid(exact(line)) for line in lines)
    assert schema_accepts is pipeline_accepts(ORDERS, text)


def test_the_samples_hold_a_valid_array_file_and_a_valid_json_lines_file() -> None:
    accepted = [path.name for path in SAMPLES if path.name.endswith((".json", ".jsonl.gz")) and _accepted(path)]
    assert accepted == ["good_orders.json", "more_orders.jsonl.gz"]


def _accepted(path: Path) -> bool:
    data = path.read_bytes()
    return pipeline_accepts(ORDERS, (gzip.decompress(data) if path.suffix == ".gz" else data).decode())


# --- what the schema cannot check (docs/contracts.md): it accepts, the reader refuses -------------------------

GAPS = [
    (ORDERS, ORDER, "order_date", '"2025-02-30"'),  # calendar validity
    (ORDERS, ORDER, "order_date", '"2025-11-03T24:00"'),
    (ORDERS, ORDER, "order_date", '"2025-11-03T10:00+01:60"'),
    (ORDERS, ORDER, "order_date", '"0001-01-01T00:00+01:00"'),  # before year 1 in UTC
    (SECOND, MARKETPLACE_ORDER, "delivery_date", '"2025-02-29"'),
    (ORDERS, ORDER, "order_id", '"\\ud800"'),  # a lone surrogate: JSON, but no UTF-8
    (ORDERS, ORDER, "customer.name", '"a\\udc00"'),
    (ORDERS, ORDER, "order_id", "2.0"),  # an integer to JSON Schema, a number with a fraction to the contract
    (ORDERS, ORDER, "order_id", "1e3"),
    (ORDERS, ORDER, "order_date", '"2025-11-03\\n"'),  # Python's `$` matches before a final newline
]


@pytest.mark.parametrize(("contract", "record", "path", "raw"), GAPS, ids=[f"{path}={raw}" for *_, path, raw in GAPS])
def test_what_json_schema_cannot_say_is_accepted_by_the_schema_and_refused_by_the_reader(
    contract: Contract, record: dict[str, Any], path: str, raw: str
) -> None:
    line = with_value(record, path, raw)
    assert not pipeline_accepts(contract, f"[{line}]")
    assert file_validator(contract).is_valid(exact(f"[{line}]"))


def test_a_repeated_unique_identifier_is_not_checked_and_the_schema_says_so() -> None:
    text = f"[{json.dumps(ORDER)}, {json.dumps(ORDER)}]"
    assert not pipeline_accepts(ORDERS, text)
    assert file_validator(ORDERS).is_valid(exact(text))
    assert "order_id is unique within a file; not checked by this schema." in json_schema(ORDERS)["description"]


def test_with_floats_multiple_of_and_the_column_limit_are_approximate() -> None:
    """json.loads' default (floats), as most validators read numbers: 0.07 / 0.01 is 7.000000000000001, and
    9999999999999999.99 is the double 1e16. docs/contracts.md says so, and to read numbers as Decimal."""
    floats = Draft202012Validator(json_schema(ORDERS))
    for amount, reader in (("0.07", True), ("9999999999999999.99", True)):
        line = with_value(ORDER, "total_amount", amount)
        assert pipeline_accepts(ORDERS, f"[{line}]") is reader
        assert not floats.is_valid(json.loads(f"[{line}]"))
        assert file_validator(ORDERS).is_valid(exact(f"[{line}]"))


# --- the schema itself ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("contract", [ORDERS, SECOND], ids=lambda c: c.name)
def test_the_schema_is_a_valid_draft_2020_12_schema_naming_the_contract(contract: Contract) -> None:
    schema = json_schema(contract)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == DRAFT
    assert (schema["title"], schema["x-contract-version"]) == (contract.name, contract.version)
    assert schema["description"].startswith(contract.description)
    assert (schema["type"], schema["minItems"], schema["items"]) == ("array", 1, {"$ref": f"#/$defs/{contract.record}"})


def test_every_property_carries_its_fields_description() -> None:
    order = json_schema(ORDERS)["$defs"]["order"]
    assert order["properties"]["total_amount"]["description"] == "The order's total."
    assert order["properties"]["customer"]["properties"]["email"]["description"] == "The customer's e-mail address."
    price = order["properties"]["products"]["items"]["properties"]["price"]
    assert price == {
        "description": "The price of one unit.",
        "type": "number",
        "multipleOf": 0.01,
        "minimum": 0,
        "exclusiveMaximum": 10**16,  # DECIMAL(18, 2) holds what is below 10^16: exact, where 9999...99.99 is not
    }
    assert order["additionalProperties"] is True


def test_a_record_name_is_escaped_in_the_reference_and_no_unique_field_means_no_uniqueness_sentence() -> None:
    document = yaml.safe_load(SECOND_PATH.read_text())
    document["record"] = "line item/a~b"
    del document["fields"]["order_ref"]["unique"]
    contract = parse_contract(document)
    schema = json_schema(contract)
    assert schema["items"] == {"$ref": "#/$defs/line%20item~1a~0b"}
    assert "unique" not in schema["description"]
    line = json.dumps(MARKETPLACE_ORDER)
    assert line_validator(contract).is_valid(exact(line))
    assert not line_validator(contract).is_valid(exact(with_value(MARKETPLACE_ORDER, "items", MISSING)))
    assert file_validator(contract).is_valid(exact(f"[{line}]"))


def test_an_identifier_needs_one_character_that_python_does_not_call_space() -> None:
    pattern = json_schema(ORDERS)["$defs"]["order"]["properties"]["order_id"]["pattern"]
    assert all(ord(c) < 0x10000 for c in map(chr, range(sys.maxunicode + 1)) if c.isspace())  # \uXXXX says each
    assert all((re.search(pattern, chr(code)) is None) == chr(code).isspace() for code in range(0x10000))


@pytest.mark.parametrize(
    "text",
    ["2025-11-03", "2025-11-03T09:15", "2025-11-03 09:15:00", "2025-11-03T09:15:00.1Z", "2025-11-03T09:15+05:30",
     "2025-11-03T", "2025-11-03T09:15:00.Z", "x2025-11-03", "2025-11-03Z", "2025-11-03T09:15:00-5:00", "99999-01-01"],
)  # fmt: skip
def test_the_timestamp_pattern_searches_what_the_rule_full_matches(text: str) -> None:
    pattern = json_schema(ORDERS)["$defs"]["order"]["properties"]["order_date"]["pattern"]
    assert (re.search(pattern, text) is not None) == (DATE_TIME_PATTERN.fullmatch(text) is not None)


# --- orders-etl contract schema -----------------------------------------------------------------------------------


def test_contract_schema_prints_the_schema_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["contract", "schema", "--contract", str(SECOND_PATH)]) == 0
    out = capsys.readouterr().out
    assert json.loads(out) == json_schema(SECOND)
    assert out.startswith('{\n  "$schema"')  # indented by 2
    assert main(["contract", "schema"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "orders"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such contract file (shipped contracts: marketplace_orders, orders"),
        ("name: [", "not valid YAML"),
        ("name: broken\nversion: 1\n", "the document: missing fields, partition, record, records, rows"),
    ],
    ids=["missing", "not-yaml", "incomplete"],
)
def test_a_broken_contract_is_one_line_on_stderr_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, message: str
) -> None:
    path = tmp_path / "broken.yaml"
    if content is not None:
        path.write_text(content)
    assert main(["contract", "schema", "--contract", str(path)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"error: {path}: ") and message in err
    assert err.count("\n") == 1 and "Traceback" not in err
