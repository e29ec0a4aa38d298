"""`orders-etl contract show|schema|check`: a data contract's fields as a table (or Markdown, or JSON), the JSON
Schema a producer checks a file with before uploading it, and whether a contract can replace the deployed
table's (docs/contracts.md)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from orders_etl.contract.compatibility import compare
from orders_etl.contract.field_table import HEADERS, field_rows, markdown, notes
from orders_etl.contract.json_schema import json_schema
from orders_etl.contract.spec import DEFAULT_CONTRACT, Contract, ContractError, load_contract
from orders_etl_cli.failures import CommandError
from orders_etl_cli.stack import open_stack
from orders_etl_cli.text_table import print_table

# The lines of a Markdown file between which `contract show --into FILE` writes the table (the README's section
# "The data contract"; tests/unit/test_contract_docs.py checks it is up to date).
START_MARKER = "<!-- contract-table:start -->"
END_MARKER = "<!-- contract-table:end -->"


def add_contract_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    add_stack_arguments: Callable[[argparse.ArgumentParser], None],
) -> None:
    contract = commands.add_parser("contract", help="a data contract: its fields as a table, or its JSON Schema")
    actions = contract.add_subparsers(dest="contract_command", required=True)

    show = actions.add_parser("show", help="the fields: column, JSON path, type and bounds, required, description")
    add_contract_argument(show)
    output = show.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="the rows as a JSON list of objects")
    output.add_argument("--markdown", action="store_true", help="the table and its notes as Markdown")
    output.add_argument(
        "--into",
        type=Path,
        metavar="FILE",
        help=f"write the Markdown into FILE, between its lines {START_MARKER} and {END_MARKER} "
        "(`make contract-docs` does it for README.md)",
    )

    schema = actions.add_parser(
        "schema", help="the JSON Schema (draft 2020-12) of a file, to check one before uploading it"
    )
    add_contract_argument(schema)

    check = actions.add_parser(
        "check",
        help="whether the contract can replace the one the deployed table was written under: exit 0 when it can "
        "(new optional fields), 3 when the change needs a backfill (a type change, a removal, a rename)",
    )
    add_contract_argument(check)
    add_stack_arguments(check)


def add_contract_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--contract",
        default=DEFAULT_CONTRACT,
        metavar="NAME_OR_PATH",
        help="a shipped contract's name (src/orders_etl/contracts/NAME.yaml) or a contract file's path "
        "(.yaml or .yml); default: %(default)s",
    )


def run_contract(args: argparse.Namespace) -> int:
    commands: dict[str, Callable[[Contract, argparse.Namespace], int]] = {
        "show": _show,
        "schema": _schema,
        "check": _check,
    }
    return commands[args.contract_command](load_contract_or_explain(args.contract), args)


def load_contract_or_explain(name_or_path: str) -> Contract:
    """The contract; a mistake in naming or writing it is the loader's one line (CommandError), no traceback."""
    try:
        return load_contract(name_or_path)
    except ContractError as error:  # its message names the file, the place in it and what to change
        raise CommandError(str(error)) from None


def _show(contract: Contract, args: argparse.Namespace) -> int:
    rows = field_rows(contract)
    if args.json:
        print(json.dumps([asdict(row) for row in rows], indent=2))
    elif args.markdown:
        print(markdown(contract), end="")
    elif args.into:
        _write_between_markers(args.into, markdown(contract))
        print(f"{args.into}: the table of contract {contract.name} v{contract.version}")
    else:
        print(f"{contract.name} v{contract.version} ({contract.source}): {contract.description}")
        print_table(HEADERS, [row.cells() for row in rows])
        print("\n".join(notes(contract)))
    return 0


def _schema(contract: Contract, _: argparse.Namespace) -> int:
    print(json.dumps(json_schema(contract), indent=2))
    return 0


INCOMPATIBLE = 3  # the exit code of a change that needs a backfill: `make deploy` stops on it


def _check(contract: Contract, args: argparse.Namespace) -> int:
    stack = open_stack(args.outputs, args.stack_name, args.profile, args.region)
    database = stack.outputs["GlueDatabaseName"]
    tables = stack.client("glue").get_tables(DatabaseName=database)["TableList"]
    if not tables:
        print(f"{database} has no table yet: contract {contract.name} v{contract.version} can be deployed")
        return 0
    if len(tables) > 1:
        raise CommandError(f"{database} holds {len(tables)} tables; the pipeline's crawler makes one: check by hand")
    (table,) = tables
    columns = [(column["Name"], column["Type"]) for column in table["StorageDescriptor"]["Columns"]]
    verdict = compare(contract, columns, [key["Name"] for key in table.get("PartitionKeys", [])])
    name = f"{database}.{table['Name']}"
    for line in verdict.added + [f"warning: {warning}" for warning in verdict.warnings]:
        print(line)
    if verdict.compatible:
        print(f"{name}: contract {contract.name} v{contract.version} is compatible")
        return 0
    for line in verdict.incompatible:
        print(f"incompatible: {line}")
    print(
        f"{name}: contract {contract.name} v{contract.version} needs every file written again under it: deploy it "
        "with a new ParquetPrefix and backfill (orders-etl backfill), or deploy anyway with ALLOW_INCOMPATIBLE=1",
        file=sys.stderr,
    )
    return INCOMPATIBLE


def _write_between_markers(path: Path, block: str) -> None:
    text = path.read_text(encoding="utf-8")
    updated = replace_between_markers(text, block)
    if updated is None:
        raise CommandError(f"{path}: no line {START_MARKER} followed by a line {END_MARKER} to write the table between")
    if updated != text:
        path.write_text(updated, encoding="utf-8")


def replace_between_markers(text: str, block: str) -> str | None:
    """`text` with `block` as the whole of what stands between its marker lines; None without them."""
    lines = text.splitlines(keepends=True)
    stripped = [line.strip() for line in lines]
    if START_MARKER not in stripped or END_MARKER not in stripped[stripped.index(START_MARKER) :]:
        return None
    start = stripped.index(START_MARKER)
    end = stripped.index(END_MARKER, start)
    return "".join([*lines[: start + 1], "\n", block, "\n", *lines[end:]])  # blank lines: Markdown blocks apart
