"""Operating the pipeline from the terminal on the embedded AWS: find, inspect and redrive executions; faults."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from support import Cli, Stack, order, product


def orders_file(name: str, rows: int = 2) -> bytes:
    products = [product(f"{name}-P{i}", 1.5, 1) for i in range(rows)]
    return json.dumps([order(name, "2025-04-01", *products)]).encode()


def count_rows(stack: Stack, key_prefix: str) -> int:
    (row,) = stack.query(f"SELECT count(*) FROM orders WHERE source_key LIKE '{key_prefix}%'")
    return int(row[0])


def test_a_flatten_outage_is_redriven_after_the_fix_and_the_rows_land_once(
    stack: Stack, cli: Cli, fault_injector: Any
) -> None:
    # GIVEN flatten fails with a system error (no retry applies) until the fault is cleared
    fault_injector.fail("FlattenOrders", "ConnectionResetError")
    (execution,) = stack.run({"raw/outage/a.json": orders_file("A", rows=3)})

    # THEN the execution is FAILED at flatten and the raw file is where it was
    assert execution["status"] == "FAILED"
    assert stack.keys("raw/outage/") == ["raw/outage/a.json"]
    code, listing, _ = cli("executions", "list", "--status", "FAILED", "--json")
    (row,) = json.loads(listing)
    assert (row["source_key"], row["failed_state"], row["error"]) == (
        "raw/outage/a.json",
        "Flatten to Parquet",
        "ConnectionResetError",
    )

    # WHEN the cause is fixed and the execution is redriven
    fault_injector.clear()
    code, output, _ = cli("executions", "redrive", execution["name"], "--wait")

    # THEN it succeeds without validating again, and the table holds the file's rows exactly once
    assert code == 0, output
    assert "redriven: 1  not redrivable: 0  errors: 0" in output
    assert f"SUCCEEDED {execution['name']}" in output
    states = stack.states(execution)
    assert states.count("Validate order file") == 1 and states.count("Flatten to Parquet") == 2
    assert count_rows(stack, "raw/outage/") == 3
    # AND `executions show` tells the story state by state
    code, shown, _ = cli("executions", "show", execution["name"])
    assert code == 0
    assert "redrives 1" in shown and "ConnectionResetError" in shown and "Table updated" in shown


def test_bulk_redrive_of_ten_failed_executions(stack: Stack, cli: Cli, fault_injector: Any) -> None:
    # GIVEN ten files whose validation failed during an outage
    fault_injector.fail("ValidateOrderFile", "ConnectionRefusedError")
    files = {f"raw/bulk/{i}.json": orders_file(f"B{i}") for i in range(10)}
    executions = stack.run(files)
    assert {e["status"] for e in executions} == {"FAILED"}
    fault_injector.clear()

    # WHEN a dry run, then the redrive of every failed execution
    code, dry, _ = cli("executions", "redrive", "--all-failed", "--dry-run")
    assert code == 0 and "would redrive: 10  not redrivable: 0  errors: 0" in dry
    assert {stack.describe(e)["status"] for e in executions} == {"FAILED"}  # a dry run changes nothing
    code, output, _ = cli("executions", "redrive", "--all-failed", "--since", "1h", "--per-second", "50", "--wait")

    # THEN all ten succeed and every file's rows are in the table once
    assert code == 0, output
    assert "redriven: 10  not redrivable: 0  errors: 0" in output
    # (the functions' logs share the captured output: count the command's own result lines)
    assert len(re.findall(r"^  SUCCEEDED \S+$", output, re.MULTILINE)) == 10
    assert count_rows(stack, "raw/bulk/") == 20


def test_redrive_leaves_out_quarantined_files_and_succeeded_executions_with_the_reason(stack: Stack, cli: Cli) -> None:
    bad = json.dumps([order("Q", "not a date")]).encode()
    executions = stack.run({"raw/mixed/bad.json": bad, "raw/mixed/good.json": orders_file("G")})
    names = {stack.describe(e)["status"]: e["name"] for e in executions}

    code, output, _ = cli("executions", "redrive", names["FAILED"], names["SUCCEEDED"])

    assert code == 0
    assert "redriven: 0  not redrivable: 2  errors: 0" in output
    assert "InvalidOrderFile: the file is in quarantine; fix it, then `orders-etl quarantine replay`" in output
    assert "Execution is SUCCEEDED and cannot be redriven" in output


@pytest.mark.slow  # 5-8 s: in `make test-slow` and .ci/run, to keep `make test` near 4 minutes
def test_list_by_key_finds_one_execution_among_fifty(stack: Stack, cli: Cli, fault_injector: Any) -> None:
    # GIVEN 50 executions (failing fast: validation is down)
    fault_injector.fail("ValidateOrderFile", "ConnectionRefusedError")
    stack.run({f"raw/many/file-{i:02d}.json": b"[]" for i in range(50)}, timeout=120)

    # WHEN listing by key
    code, listing, _ = cli("executions", "list", "--key", "raw/many/file-37", "--json")

    # THEN exactly that file's execution is found
    assert code == 0
    (row,) = json.loads(listing)
    assert row["source_key"] == "raw/many/file-37.json" and row["status"] == "FAILED"
    # AND the table form shows the columns users look for, with a limit honoured
    code, table, _ = cli("executions", "list", "--limit", "5")
    assert table.splitlines()[0].split() == [
        "name",
        "source",
        "key",
        "status",
        "failed",
        "state",
        "error",
        "started",
        "seconds",
        "redrives",
    ]
    assert "(5 executions)" in table


def test_local_fail_sets_lists_and_clears_faults_by_state_name(tmp_path: Path, cli: Cli, stack: Stack) -> None:
    # GIVEN faults set by state name and by function name, through the control file of a running endpoint
    code, output, _ = cli(
        "local", "fail", "Flatten to Parquet=ConnectionResetError:2", "ValidateOrder=Lambda.ServiceException"
    )
    assert code == 0
    assert "orders-etl-FlattenOrdersFunction raises ConnectionResetError for 2 more call(s)" in output
    assert "ValidateOrder raises Lambda.ServiceException until cleared" in output
    faults = json.loads((tmp_path / "faults.json").read_text())
    assert [f["function"] for f in faults] == ["orders-etl-FlattenOrdersFunction", "ValidateOrder"]

    code, output, _ = cli("local", "fail", "--clear")
    assert output.strip() == "no faults"
    # AND a fault written wrong is one line saying what is expected, not a traceback
    code, _, err = cli("local", "fail", "Flatten to Parquet")
    assert code == 1
    assert err.startswith("error: 'Flatten to Parquet': expected FUNCTION_OR_STATE=ERROR") and "Traceback" not in err


def test_a_permission_the_role_lacks_fails_in_place_is_named_and_a_redrive_after_the_fix_lands_the_rows(
    stack: Stack, cli: Cli
) -> None:
    # GIVEN Validate's role without s3:GetObjectVersion, as the template had it before IAM was enforced here
    iam = stack.client("iam")
    function = stack.client("lambda").get_function(FunctionName="orders-etl-ValidateOrderFileFunction")
    role = function["Configuration"]["Role"].rsplit("/", 1)[-1]
    (policy_name,) = iam.list_role_policies(RoleName=role)["PolicyNames"]
    granted = iam.get_role_policy(RoleName=role, PolicyName=policy_name)["PolicyDocument"]
    narrowed = json.loads(json.dumps(granted).replace('"s3:GetObjectVersion"', '"s3:GetObjectAcl"'))
    assert narrowed != granted
    iam.put_role_policy(RoleName=role, PolicyName=policy_name, PolicyDocument=json.dumps(narrowed))

    # WHEN a file arrives
    (execution,) = stack.run({"raw/denied/a.json": orders_file("D", rows=2)})

    # THEN the execution fails at Validate (AccessDenied is not retried), the file stays in raw/
    assert execution["status"] == "FAILED"
    assert stack.keys("raw/denied/") == ["raw/denied/a.json"] and stack.keys("quarantine/") == []
    # AND `executions show` names the principal, the denied action and the resource
    code, shown, _ = cli("executions", "show", execution["name"])
    assert code == 0
    assert "AccessDenied" in shown
    assert f'perform: s3:GetObjectVersion on resource: "arn:aws:s3:::{stack.bucket}/raw/denied/a.json"' in shown

    # WHEN the role is fixed and the execution redriven
    iam.put_role_policy(RoleName=role, PolicyName=policy_name, PolicyDocument=json.dumps(granted))
    code, output, _ = cli("executions", "redrive", execution["name"], "--wait")

    # THEN it succeeds and the rows are in the table once
    assert code == 0, output
    assert f"SUCCEEDED {execution['name']}" in output
    assert count_rows(stack, "raw/denied/") == 2
