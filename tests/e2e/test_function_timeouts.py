"""A function past its Timeout, on the embedded AWS: Lambda's Sandbox.Timedout, and what the state machine makes of it.

The slowness is an injected delay (`sleep=SECONDS`), spent inside the timed handler call at the clock's scale.
Each test first lowers the function's Timeout (UpdateFunctionConfiguration, as on AWS), so that a timeout takes
a fraction of a second here (30 s x the tests' time scale of 0.01).
"""

from __future__ import annotations

import json
from typing import Any

from embedded_aws.faults import FaultInjector
from orders_etl_cli.executions import history, timeline
from support import FIRST_STATE, Cli, Stack, order, product

BODY = json.dumps(
    [order("S-1", "2025-10-01T10:00:00Z", product("P", 1, 2)), order("S-2", "2025-10-02", product("Q", 2, 1))]
).encode()


def set_timeout(stack: Stack, function_part: str, seconds: int) -> None:
    functions = stack.client("lambda").list_functions()["Functions"]
    (name,) = [f["FunctionName"] for f in functions if function_part in f["FunctionName"]]
    stack.client("lambda").update_function_configuration(FunctionName=name, Timeout=seconds)


def attempts(stack: Stack, execution: dict[str, Any], state: str) -> tuple[int, int]:
    """(attempts, failures) of the one visit of `state`, from the execution's history."""
    runs = timeline(history(stack.client("stepfunctions"), execution["executionArn"]))
    (run,) = [r for r in runs if r.name == state]
    return run.attempts, run.failures


def test_a_validate_that_times_out_twice_quarantines_the_file_with_a_report_naming_the_timeout(
    stack: Stack, fault_injector: FaultInjector, cli: Cli
) -> None:
    # GIVEN validate has a 30 s Timeout and every call of it first spends 1,000 s
    set_timeout(stack, "ValidateOrderFile", 30)
    fault_injector.delay("ValidateOrderFile", 1000)

    # WHEN a file is uploaded
    (execution,) = stack.run({"raw/slow/a.json": BODY})

    # THEN validate timed out, was retried once, timed out again, and the file went to quarantine
    described = stack.describe(execution)
    assert (described["status"], described["error"]) == ("FAILED", "Sandbox.Timedout")
    assert "Task timed out after 30.00 seconds" in described["cause"]
    assert stack.states(execution) == [FIRST_STATE, "Validate order file", "Quarantine the file", "Reject the file"]
    assert attempts(stack, execution, "Validate order file") == (2, 2)
    assert stack.keys("raw/") == [] and stack.keys("parquet_files/") == []
    assert stack.get("quarantine/slow/a.json") == BODY
    # AND its report says it timed out, how long the limit was, and what to do
    report = json.loads(stack.get("quarantine/slow/a.json.error.json"))
    assert report["error_type"] == "Sandbox.Timedout"
    assert report["message"].startswith("timed out twice: Task timed out after 30.00 seconds. ")
    assert "ValidateMemorySize" in report["message"]
    # AND `quarantine show` does not ask for a fixed file: the same file replays once the function has more memory
    code, shown, _ = cli("quarantine", "show", "slow/a.json")
    assert code == 0
    assert "once the function has more memory" in shown and "upload the fixed file" not in shown


def test_a_flatten_that_times_out_once_is_retried_and_its_rows_land_once(
    stack: Stack, fault_injector: FaultInjector
) -> None:
    # GIVEN flatten has a 60 s Timeout and only its first call spends 1,000 s
    set_timeout(stack, "FlattenOrders", 60)
    fault_injector.delay("FlattenOrders", 1000, count=1)

    # WHEN a file is uploaded
    (execution,) = stack.run({"raw/slow/b.json": BODY})

    # THEN flatten timed out once, its retry wrote the file, and the rows are in the table once
    assert execution["status"] == "SUCCEEDED", stack.describe(execution).get("cause")
    assert attempts(stack, execution, "Flatten to Parquet") == (2, 1)
    assert stack.query("SELECT order_id, product_id FROM orders ORDER BY 1") == [("S-1", "P"), ("S-2", "Q")]
    assert stack.keys("quarantine/") == []
