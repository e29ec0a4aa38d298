"""The contract's documentation stays true: the README's table of fields is what the shipped contract generates
(`make contract-docs` rewrites it), and docs/contracts.md's example, keys, problem words and python-jsonschema
recipe are checked against the loader, the reader and the sample files. Also `orders-etl contract show`."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from marketplace import MARKETPLACE
from orders_etl.contract import read_order_file
from orders_etl.contract.field_table import field_rows, markdown, notes
from orders_etl.contract.json_schema import json_schema
from orders_etl.contract.rules import EXPECT_OBJECT, EXPECT_ROWS
from orders_etl.contract.spec import (
    _COMMON_KEYS,
    _CONTRACT_KEYS,
    _FIELD_KEYS,
    VALUE_TYPES,
    load_contract,
    parse_contract,
)
from orders_etl.errors import InvalidOrderFile
from orders_etl_cli.contract_command import END_MARKER, START_MARKER, replace_between_markers
from orders_etl_cli.main import main

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = ROOT / "docs" / "contracts.md"
SECOND = MARKETPLACE.source
ORDERS = load_contract()


def docs_section(heading: str) -> str:
    """docs/contracts.md from a heading to the next one of its level or above, without its code blocks."""
    text = re.sub(r"```.*?```", "", DOCS.read_text(encoding="utf-8"), flags=re.DOTALL)  # `# ` starts YAML comments
    start = text.index(f"\n{heading}\n")
    following = re.search(rf"\n#{{1,{heading.index(' ')}}} ", text[start + 1 :])
    return text[start : start + 1 + following.start()] if following else text[start:]


def tables(section: str) -> list[list[list[str]]]:
    """Each Markdown table of a section as the cells of its body rows (its header and rule left out)."""
    found: list[list[list[str]]] = []
    for block in re.findall(r"(?:^\| .*\n?)+", section, flags=re.MULTILINE):
        lines = block.splitlines()[2:]
        found.append([[cell.strip() for cell in line.strip()[2:-2].split(" | ")] for line in lines])
    return found


def code_blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOCS.read_text(encoding="utf-8"), flags=re.DOTALL)


# --- the README -------------------------------------------------------------------------------------------------


def test_the_readme_table_is_what_the_shipped_contract_generates() -> None:
    readme = README.read_text(encoding="utf-8")
    regenerated = replace_between_markers(readme, markdown(ORDERS))
    assert regenerated is not None, f"README.md has lost its {START_MARKER} / {END_MARKER} lines"
    assert regenerated == readme, (
        "README.md's table of fields differs from src/orders_etl/contracts/orders.yaml: run `make contract-docs` "
        "(orders-etl contract show --into README.md)"
    )


def test_the_table_lists_every_field_once_with_its_column_and_the_notes_name_rows_and_partition() -> None:
    rows = field_rows(ORDERS)
    assert [row.column for row in rows if row.column] == list(ORDERS.column_names()[:-1])
    assert [row.path for row in rows if not row.column] == ["customer", "products"]
    assert {row.path: row.type for row in rows}["products[].quantity"] == "integer, >= 1"
    assert notes(ORDERS)[2] == "Partitioned by `dt`: the UTC date (YYYY-MM-DD) of `order_date`."


def test_a_type_shows_only_the_bounds_the_contract_narrows() -> None:
    types = {row.path: row.type for row in field_rows(load_contract(str(SECOND)))}
    assert types["items[].units"] == "integer, 1 to 1000"
    assert types["items[].unit_price"] == "money(12,3), >= 0"
    assert types["discount"] == "money(12,3)"  # -999999999.999 to 999999999.999: the column's own
    assert (types["order_ref"], types["shipping"], types["items"]) == (
        "identifier, unique",
        "object",
        "array of objects",
    )


def test_markdown_keeps_a_description_on_its_row() -> None:
    document = yaml.safe_load(SECOND.read_text())
    document["fields"]["currency"]["description"] = "ISO 4217 | or a\nmarketplace code"
    text = markdown(parse_contract(document))
    assert "| `currency` | `currency` | text | yes | ISO 4217 \\| or a marketplace code |" in text.splitlines()


def test_replacing_between_markers_keeps_the_rest_and_needs_both_markers() -> None:
    text = f"# Title\n\n{START_MARKER}\nold\n{END_MARKER}\nafter\n"
    assert replace_between_markers(text, "new\n") == f"# Title\n\n{START_MARKER}\n\nnew\n\n{END_MARKER}\nafter\n"
    assert replace_between_markers(f"{END_MARKER}\n{START_MARKER}\n", "new\n") is None
    assert replace_between_markers("no markers\n", "new\n") is None


# --- docs/contracts.md ----------------------------------------------------------------------------------------------


def test_the_docs_show_the_shipped_contract_whole() -> None:
    assert code_blocks("yaml")[0] == ORDERS.source.read_text(encoding="utf-8")


def test_the_docs_describe_every_key_of_the_format() -> None:
    documented = {
        key.strip("`").split(".")[0]
        for table in tables(docs_section("## The file format"))
        for row in table
        for key in row[0].split(", ")
    }
    field_keys = _COMMON_KEYS.union(*_FIELD_KEYS.values())
    assert documented == _CONTRACT_KEYS | field_keys


def test_the_docs_describe_every_type() -> None:
    described = [row[0].strip("`") for row in tables(docs_section("## The types"))[0]]
    assert described == [*VALUE_TYPES, "object", "array"]


def problem_words(declaration: dict[str, Any], value: str) -> str:
    """What the pipeline's reader expected of `value` (JSON text) in a field declared so, in a one-field record."""
    document = {
        "name": "sample",
        "version": 1,
        "record": "record",
        "records": "records",
        "rows": "rows",
        "partition": {"column": "dt", "from": "at"},
        "fields": {
            "at": {"type": "timestamp"},
            "value": declaration,
            "rows": {"type": "array", "fields": {"n": {"type": "text"}}},
        },
    }
    text = f'[{{"at": "2025-11-03", "value": {value}, "rows": []}}]'
    with pytest.raises(InvalidOrderFile) as refused:
        read_order_file(text.encode(), source_key="sample.json", contract=parse_contract(document))
    [problem] = refused.value.problems
    return problem.expected


WORD_ROWS = tables(docs_section("## The types"))[1]


@pytest.mark.parametrize(("declaration", "value", "expected"), WORD_ROWS, ids=[f"{d} {v}" for d, v, _ in WORD_ROWS])
def test_the_docs_problem_words_are_the_readers(declaration: str, value: str, expected: str) -> None:
    assert problem_words(yaml.safe_load(declaration.strip("`")), value.strip("`")) == expected


def test_the_problem_words_table_covers_every_type_and_the_containers_words_are_the_rules() -> None:
    declared = {yaml.safe_load(row[0].strip("`"))["type"] for row in WORD_ROWS}
    assert declared == {*VALUE_TYPES, "object"}
    types_section = docs_section("## The types")
    assert f'"expected {EXPECT_ROWS}"' in types_section and f'"expected {EXPECT_OBJECT}"' in types_section


def test_the_docs_python_jsonschema_recipe_checks_the_sample_files_as_the_docs_say() -> None:
    [recipe] = code_blocks("python")
    namespace: dict[str, Any] = {}
    exec(recipe, namespace)
    schema_text = json.dumps(json_schema(ORDERS))
    samples = ROOT / "events" / "orders"
    good = (samples / "good_orders.json").read_text()
    lines = gzip.decompress((samples / "more_orders.jsonl.gz").read_bytes()).decode()
    assert namespace["problems"](schema_text, good) == []
    assert namespace["problems"](schema_text, lines) == []
    bad = namespace["problems"](schema_text, (samples / "bad_orders.json").read_text())
    assert "$[1].total_amount: -5 is less than the minimum of 0" in bad
    assert any(problem.startswith("$[0].products[0].price: ") for problem in bad)  # 10.005, exactly
    assert namespace["problems"](schema_text, lines.replace('"quantity": 2', '"quantity": 2.5'))[0].startswith(
        "line 2 $.products[0].quantity: "
    )
    with pytest.raises(ValueError, match="NaN is not JSON"):
        namespace["problems"](schema_text, good.replace("1349.97", "NaN"))


# --- orders-etl contract show -------------------------------------------------------------------------------------


def test_contract_show_prints_the_table_and_its_notes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["contract", "show"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"orders v1 ({ORDERS.source}): ")
    assert lines[1].split() == ["column", "JSON", "path", "type", "required", "description"]
    assert lines[3].split()[:4] == ["order_id", "order_id", "identifier,", "unique"]
    assert lines[-3:] == notes(ORDERS)


def test_contract_show_markdown_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["contract", "show", "--markdown", "--contract", str(SECOND)]) == 0
    assert capsys.readouterr().out == markdown(load_contract(str(SECOND)))
    assert main(["contract", "show", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[2] == {
        "column": "total_amount",
        "path": "total_amount",
        "type": "money(18,2), >= 0",
        "required": True,
        "description": "The order's total.",
    }


def test_contract_show_into_a_file_rewrites_between_its_markers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "doc.md"
    target.write_text(f"intro\n{START_MARKER}\nstale\n{END_MARKER}\nend\n")
    assert main(["contract", "show", "--into", str(target)]) == 0
    assert target.read_text() == f"intro\n{START_MARKER}\n\n{markdown(ORDERS)}\n{END_MARKER}\nend\n"
    assert capsys.readouterr().out == f"{target}: the table of contract orders v1\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--into", "{tmp}/plain.md"], "{tmp}/plain.md: no line <!-- contract-table:start --> followed by a line"),
        (["--into", "{tmp}/absent.md"], "No such file or directory: {tmp}/absent.md"),
        (["--contract", "{tmp}/broken.yaml"], "{tmp}/broken.yaml: fields.x.type: unknown type 'float'"),
        (["--contract", "nope"], "nope.yaml: no such contract file (shipped contracts: marketplace_orders, orders"),
    ],
    ids=["no-markers", "no-file", "broken-contract", "unknown-name"],
)
def test_contract_show_mistakes_are_one_line_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    (tmp_path / "plain.md").write_text("no markers\n")
    document = yaml.safe_load(SECOND.read_text())
    document["fields"]["x"] = {"type": "float"}
    (tmp_path / "broken.yaml").write_text(yaml.safe_dump(document))
    assert main(["contract", "show", *(arg.format(tmp=tmp_path) for arg in args)]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("error: ") and err.count("\n") == 1
    assert message.format(tmp=tmp_path) in err
    assert (tmp_path / "plain.md").read_text() == "no markers\n"


def test_contract_needs_a_subcommand_and_one_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["contract"]) == 2
    assert main(["contract", "show", "--json", "--markdown"]) == 2
    assert "not allowed with argument" in capsys.readouterr().err
