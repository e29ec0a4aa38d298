"""Schema evolution on the embedded AWS: a contract that adds an optional field adds a column to the one table,
and the partitions written before read it as NULL; the verdict of `compare` says so beforehand."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from orders_etl.contract import load_contract
from orders_etl.contract.compatibility import compare
from support import Cli, Stack, order, product

FUNCTIONS_THAT_READ_FILES = ("ValidateOrderFile", "FlattenOrders")


def orders_v2(folder: Path) -> Path:
    """The shipped orders contract with one more optional field, `currency`, as a team would write it."""
    document: dict[str, Any] = yaml.safe_load(load_contract().source.read_text())
    document["version"] = 2
    document["fields"]["currency"] = {"type": "text", "required": False, "description": "ISO 4217 code"}
    path = folder / "orders_v2.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def use_contract(stack: Stack, contract: Path) -> None:
    """What a redeploy with another Contract does to the functions that read files: their CONTRACT changes (a path
    here: the test's contract is not shipped in src/orders_etl/contracts/)."""
    functions = stack.client("lambda")
    for function in functions.list_functions()["Functions"]:
        if any(part in function["FunctionName"] for part in FUNCTIONS_THAT_READ_FILES):
            variables = function["Environment"]["Variables"] | {"CONTRACT": str(contract)}
            functions.update_function_configuration(
                FunctionName=function["FunctionName"], Environment={"Variables": variables}
            )


def table_columns(stack: Stack) -> tuple[list[tuple[str, str]], list[str]]:
    tables = stack.client("glue").get_tables(DatabaseName=stack.outputs["GlueDatabaseName"])["TableList"]
    (table,) = tables
    columns = [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]]
    return columns, [key["Name"] for key in table["PartitionKeys"]]


def test_a_new_optional_field_adds_a_column_that_older_partitions_read_as_null(stack: Stack, tmp_path: Path) -> None:
    # GIVEN a table written under the shipped contract
    first = [order("A-1", "2025-09-01T10:00:00Z", product("P-1", 10))]
    (done,) = stack.run({"raw/v1/a.json": json.dumps(first).encode()})
    assert stack.describe(done)["status"] == "SUCCEEDED"

    # WHEN a contract that adds an optional `currency` is checked against it, then used for a newer file
    v2 = orders_v2(tmp_path)
    verdict = compare(load_contract(str(v2)), *table_columns(stack))
    use_contract(stack, v2)
    second = [order("B-1", "2025-09-02T10:00:00Z", product("P-2", 5), currency="EUR")]
    executions = stack.run({"raw/v2/b.json": json.dumps(second).encode()})

    # THEN the change was compatible, the file landed, the crawler merged the column into the one table
    assert verdict.compatible and verdict.added == [
        "column currency (string) is added: older partitions read it as NULL"
    ]
    assert [stack.describe(e)["status"] for e in executions] == ["SUCCEEDED", "SUCCEEDED"]
    columns, keys = table_columns(stack)
    assert ("currency", "string") in columns and keys == ["dt"]
    # AND Athena reads it as NULL in the partition written before
    rows = stack.query("SELECT order_id, dt, currency FROM orders ORDER BY order_id")
    assert rows == [("A-1", "2025-09-01", None), ("B-1", "2025-09-02", "EUR")]


def test_contract_check_says_whether_a_contract_can_replace_the_deployed_one(
    stack: Stack, cli: Cli, tmp_path: Path
) -> None:
    # GIVEN no table yet: any contract can be deployed
    code, out, _ = cli("contract", "check")
    assert code == 0 and "has no table yet" in out
    # WHEN the table exists (a file of the shipped contract landed)
    (done,) = stack.run({"raw/a.json": json.dumps([order("A-1", "2025-09-01", product("P-1", 1))]).encode()})
    assert stack.describe(done)["status"] == "SUCCEEDED"
    # THEN the shipped contract and one adding an optional field are compatible (exit 0)
    assert cli("contract", "check")[0] == 0
    code, out, _ = cli("contract", "check", "--contract", str(orders_v2(tmp_path)))
    assert code == 0 and "column currency (string) is added" in out and "is compatible" in out
    # AND a contract that changes a column's type needs a backfill: exit 3, the change named, the way out said
    document: dict[str, Any] = yaml.safe_load(load_contract().source.read_text())
    document["fields"]["total_amount"]["scale"] = 3
    changed = tmp_path / "orders_scale3.yaml"
    changed.write_text(yaml.safe_dump(document))
    code, out, err = cli("contract", "check", "--contract", str(changed))
    assert code == 3
    assert "incompatible: column total_amount changes type: decimal(18,2) -> decimal(18,3)" in out
    assert "backfill" in err.splitlines()[-1] and "ALLOW_INCOMPATIBLE=1" in err.splitlines()[-1]
