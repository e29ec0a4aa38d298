"""`orders-etl contract show|schema`: a data contract's fields as a table (or Markdown, or JSON), and the JSON
Schema a producer checks a file with before uploading it (docs/contracts.md)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from orders_etl.contract.field_table import HEADERS, field_rows, markdown, notes
from orders_etl.contract.json_schema import json_schema
from orders_etl.contract.spec import DEFAULT_CONTRACT, Contract, ContractError, load_contract
from orders_etl_cli.failures import CommandError
from orders_etl_cli.text_table import print_table

# The lines of a Markdown file between which `contract show --into FILE` writes the table (the README's section
# "The data contract"; tests/unit/test_contract_docs.py checks it is up to date).
START_MARKER = "<!-- contract-table:start -->"
END_MARKER = "<!-- contract-table:end -->"


def add_contract_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    contract = commands.add_parser("contract", help="a data contract: its fields as a table, or its JSON Schema")
    actions = contract.add_subparsers(dest="contract_command", required=True)

    show = actions.add_parser("show", help="the fields: column, JSON path, type and bounds, required, description")
    _add_contract_argument(show)
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
    _add_contract_argument(schema)


def _add_contract_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--contract",
        default=DEFAULT_CONTRACT,
        metavar="NAME_OR_PATH",
        help="a shipped contract's name (src/orders_etl/contracts/NAME.yaml) or a contract file's path "
        "(.yaml or .yml); default: %(default)s",
    )


def run_contract(args: argparse.Namespace) -> int:
    commands: dict[str, Callable[[Contract, argparse.Namespace], int]] = {"show": _show, "schema": _schema}
    return commands[args.contract_command](_load(args.contract), args)


def _load(name_or_path: str) -> Contract:
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
