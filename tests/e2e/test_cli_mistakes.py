"""A user's mistakes with the `orders-etl` commands, against a deployed stack: one line saying what is wrong,
exit 1 (2 for arguments that cannot go together), never a traceback (issue 15, first item); the target line
each command prints on stderr before it acts, and `--json` holding the rows of the table (issue 15, operating).
The same without a stack (a stopped endpoint, the target rule, numbers) is in tests/unit/test_cli_*.py."""

from __future__ import annotations

import io
import json
import socket
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest

from embedded_aws.faults import FaultInjector
from orders_etl_cli.main import main
from support import Cli, Stack, order, product


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["executions", "show", "nope-123"], "error: "),
        (["executions", "redrive", "nope-123"], "error: "),
        (["executions", "list", "--since", "2x"], "error: --since '2x': expected e.g. 2h"),
        (["query", "SELEC 1"], "error: the query failed: line 1:"),  # refused by StartQueryExecution itself
        (["query", "SELECT no_such_column"], "error: the query failed: COLUMN_NOT_FOUND: line 1:8: "),
    ],
    ids=["show-unknown", "redrive-unknown", "since-typo", "sql-syntax", "sql-unknown-column"],
)
def test_a_mistake_gets_one_line_and_exit_1(cli: Cli, args: list[str], line: str) -> None:
    code, _, err = cli(*args)
    assert code == 1, err
    lines = err.strip().splitlines()
    assert lines[-1].startswith(line), err
    assert "Traceback" not in err


# --- which target, said on stderr before anything is done (issue 15, operating) ---


def one_stream(stack: Stack, tmp_path: Path, *args: str) -> tuple[int, list[str]]:
    """`orders-etl ARGS` with stdout and stderr in one stream, in the order they were written."""
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({**stack.outputs, "EndpointUrl": stack.endpoint_url}))
    stream = io.StringIO()
    with redirect_stdout(stream), redirect_stderr(stream):
        code = main([*args, "--outputs", str(outputs)])
    return code, stream.getvalue().splitlines()


def printed_json(out: str) -> Any:
    """The command's JSON in its stdout: from a line `[` or `{` to the line that closes it. The embedded Lambdas
    run in this process, and one that an execution's end triggers may log one-line JSON meanwhile."""
    lines = out.splitlines()
    start = next(index for index, line in enumerate(lines) if line in ("[", "{", "[]"))
    end = next(index for index in range(start, len(lines)) if lines[index] in ("]", "}", "[]"))
    return json.loads("\n".join(lines[start : end + 1]))


def target_line(stack: Stack, tmp_path: Path) -> str:
    return f"target: embedded AWS at {stack.endpoint_url} (stack outputs {tmp_path / 'outputs.json'})"


def orders_file(name: str, rows: int) -> bytes:
    return json.dumps([order(name, "2025-04-01", *(product(f"{name}-P{i}", 1.5, i + 1) for i in range(rows)))]).encode()


def test_a_read_command_names_its_target_on_stderr_and_keeps_stdout_for_the_data(
    stack: Stack, cli: Cli, tmp_path: Path
) -> None:
    stack.run({"raw/target/a.json": orders_file("T", 1)})
    code, out, err = cli("executions", "list", "--json")
    assert code == 0
    assert err.splitlines()[0] == target_line(stack, tmp_path)
    assert [row["source_key"] for row in json.loads(out)] == ["raw/target/a.json"]  # stdout: the JSON alone


def test_changes_are_made_after_the_target_is_named(
    stack: Stack, tmp_path: Path, fault_injector: FaultInjector
) -> None:
    # GIVEN a failed execution, a quarantined file and a file in raw/
    fault_injector.fail("FlattenOrders", "ConnectionResetError", count=1)
    (failed,) = stack.run({"raw/act/a.json": orders_file("A", 1)})
    stack.run({"raw/act/bad.json": b"[{]"})
    target = target_line(stack, tmp_path)
    # WHEN each command that changes something runs THEN the target line comes before what it did
    for args, acted in [
        (["executions", "redrive", failed["name"]], "redriven: 1  not redrivable: 0  errors: 0"),
        (["quarantine", "replay", "act/bad.json", "--no-wait"], "moved s3://"),
        (["backfill", "--prefix", "raw/act/"], "started backfill backfill-"),
        (["local", "fail", "FlattenOrders=ConnectionResetError:1"], "FlattenOrders raises ConnectionResetError"),
    ]:
        code, lines = one_stream(stack, tmp_path, *args)
        assert code == 0, lines
        done = next(index for index, line in enumerate(lines) if acted in line)
        assert target in lines[:done], lines
    # (what they started ends before the stack is reset for the next test)
    sfn = stack.client("stepfunctions")
    machines = [stack.state_machine_arn, stack.outputs["BackfillStateMachineArn"]]
    started = [
        e["executionArn"] for machine in machines for e in sfn.list_executions(stateMachineArn=machine)["executions"]
    ]
    stack.wait_for(started, timeout=120)


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["executions", "list", "--limit", "0"], "argument --limit: must be a whole number of at least 1, got '0'"),
        (["executions", "list", "--limit", "-3"], "argument --limit: must be a whole number of at least 1, got '-3'"),
        (["quarantine", "list", "--limit", "0"], "argument --limit: must be a whole number of at least 1, got '0'"),
        (["backfill", "--batch-size", "0"], "argument --batch-size: must be a whole number of at least 1, got '0'"),
        (["executions", "redrive"], "error: name the executions to redrive, or use --all-failed"),
        (["executions", "list", "--stack-name", "orders-etl"], "error: --outputs names the embedded AWS, --stack-name"),
    ],
    ids=["limit-0", "limit-negative", "quarantine-limit-0", "batch-size-0", "redrive-nothing", "two-targets"],
)
def test_a_usage_mistake_is_one_line_and_exit_2_before_anything_is_asked(cli: Cli, args: list[str], line: str) -> None:
    code, out, err = cli(*args)
    assert code == 2 and out == ""
    assert [text for text in err.splitlines() if "error:" in text] == [err.strip().splitlines()[-1]]
    assert line in err.strip().splitlines()[-1] and "target:" not in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("fault", "line"),
    [
        ("Flaten=ConnectionResetError", "error: 'Flaten' names no state and no function of the deployed stack: "),
        (
            "Order=ConnectionResetError",
            "error: 'Order' names 3 functions (orders-etl-FlattenOrdersFunction, orders-etl-Q",
        ),
        ("Wait for the crawl=ValueError", "error: state 'Wait for the crawl' calls no Lambda function: name a state"),
        ("Flatten to Parquet=ValueError:0", "error: 'Flatten to Parquet=ValueError:0': COUNT must be a whole number"),
        ("Flatten to Parquet=sleep=soon", "error: 'Flatten to Parquet=sleep=soon': SECONDS must be a number"),
    ],
    ids=["typo", "ambiguous", "no-function", "count-0", "bad-sleep"],
)
def test_a_fault_that_would_never_fire_is_refused_and_arms_nothing(
    cli: Cli, tmp_path: Path, fault: str, line: str
) -> None:
    code, out, err = cli("local", "fail", "FlattenOrders=ValueError", fault)
    assert code == 1 and out == ""
    assert err.strip().splitlines()[-1].startswith(line), err
    assert "Traceback" not in err
    if "no state" in line or "no Lambda" in line:  # checked against the stack: it says which names are valid
        assert ": name a state (" in err and "'Flatten to Parquet'" in err
        assert "orders-etl-ValidateOrderFileFunction" in err
    assert not (tmp_path / "faults.json").exists()


def test_a_backfill_prefix_outside_the_raw_area_is_refused_and_starts_nothing(stack: Stack, cli: Cli) -> None:
    stack.run({"raw/x/bad.json": b"[{]"})  # a quarantine/ folder exists now
    code, out, err = cli("backfill", "--prefix", "quarantine/")
    assert code == 1 and "started backfill" not in out
    assert err.strip().splitlines()[-1] == (
        "error: --prefix 'quarantine/' is outside the raw area raw/: backfill reads only raw/; pass a path below it, "
        "as raw/<path> or <path> (raw/quarantine/ for a folder of that name below it)"
    )
    sfn = stack.client("stepfunctions")
    assert sfn.list_executions(stateMachineArn=stack.outputs["BackfillStateMachineArn"])["executions"] == []


def test_json_has_the_rows_of_the_table(stack: Stack, cli: Cli) -> None:
    # GIVEN two files' rows in the table and their two executions
    stack.run({"raw/json/a.json": orders_file("J1", 2), "raw/json/b.json": orders_file("J2", 1)})
    sql = "SELECT order_id, product_id, quantity FROM orders ORDER BY 1, 2"
    # WHEN a query is printed as a table and as JSON THEN both hold the same rows, keyed by column in JSON
    code, table, _ = cli("query", sql)
    code_json, document, _ = cli("query", sql, "--json")
    assert code == code_json == 0
    rows = json.loads(document)
    assert rows == [
        {"order_id": "J1", "product_id": "J1-P0", "quantity": 1},
        {"order_id": "J1", "product_id": "J1-P1", "quantity": 2},
        {"order_id": "J2", "product_id": "J2-P0", "quantity": 1},
    ]
    lines = table.splitlines()
    assert lines[0].split() == ["order_id", "product_id", "quantity"] and lines[-1] == "(3 rows)"
    assert [line.split() for line in lines[2:-1]] == [[str(value) for value in row.values()] for row in rows]
    # AND so do the executions
    code, table, _ = cli("executions", "list")
    code_json, document, _ = cli("executions", "list", "--json")
    listed = json.loads(document)
    assert [(row["name"], row["source_key"], row["status"]) for row in listed] == [
        tuple(line.split()[:3]) for line in table.splitlines()[2:-1]
    ]
    assert {row["source_key"] for row in listed} == {"raw/json/a.json", "raw/json/b.json"}


def test_quarantine_show_json_has_the_report_and_every_problem_of_the_table(stack: Stack, cli: Cli) -> None:
    bad = [order("Q-1", "not a date", product("P", 1.005)), order("Q-2", "2025-04-01", product("P", -1))]
    stack.run({"raw/show/bad.json": json.dumps(bad).encode()})
    code, shown, _ = cli("quarantine", "show", "show/bad.json")
    code_json, document, _ = cli("quarantine", "show", "show/bad.json", "--json")
    assert code == code_json == 0
    quarantined = printed_json(document)
    assert quarantined["quarantined_key"] == "quarantine/show/bad.json"
    assert quarantined["source_key"] == "raw/show/bad.json"
    assert quarantined["report"]["error_type"] == "InvalidOrderFile"
    positions = [problem["position"] for problem in quarantined["report"]["problems"]]
    assert len(positions) > 1
    assert [line.split()[0] for line in shown.splitlines() if line.startswith("  $[")] == positions


def test_a_console_on_a_port_in_use_gets_one_line_naming_the_way_out(cli: Cli) -> None:
    # GIVEN something already listens on a port of 127.0.0.1
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        # WHEN the console is asked to serve there
        code, _, err = cli("console", "--port", str(port))
    # THEN it says so in one line, after naming its target, and exits 1
    assert code == 1, err
    assert err.strip().splitlines()[-1] == f"error: port {port} is in use: pass --port N (0 picks a free one)"
    assert err.startswith("target: embedded AWS at ")
