"""What `orders-etl local fail` and `local start --fail` accept: a fault written right, naming exactly one function
of the deployed stack (by a state that calls it, or by its name or part of it); anything else is refused in one
line, before a fault is armed that would never fire."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from embedded_aws.faults import FaultInjector
from orders_etl_cli.failures import CommandError
from orders_etl_cli.local_faults import FaultTargets, add_faults, parse_faults
from orders_etl_cli.main import main

FUNCTIONS = [
    "orders-etl-FlattenOrdersFunction",
    "orders-etl-ValidateOrderFileFunction",
    "orders-etl-CheckCrawlFunction",
]
PREFIX = "arn:aws:lambda:us-east-1:123456789012:function:"


def invoke(function: str) -> dict[str, Any]:
    return {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": function}}


PIPELINE = {
    "States": {
        "Validate order file": invoke(PREFIX + "orders-etl-ValidateOrderFileFunction"),
        "Flatten to Parquet": invoke(PREFIX + "orders-etl-FlattenOrdersFunction:$LATEST"),
        "Wait for the crawl": {"Type": "Wait", "Seconds": 60},
        "Check crawl": {"Type": "Task", "Resource": PREFIX + "orders-etl-CheckCrawlFunction"},
    }
}
BACKFILL = {
    "States": {
        "Process every file": {
            "Type": "Map",
            "ItemProcessor": {"States": {"Flatten to Parquet": invoke("orders-etl-FlattenOrdersFunction")}},
        }
    }
}


class Listing:
    """The Lambda and Step Functions calls FaultTargets.deployed makes, answered from the lists above."""

    def get_paginator(self, operation: str) -> Any:
        assert operation == "list_functions"
        return self

    def paginate(self) -> list[dict[str, Any]]:
        return [{"Functions": [{"FunctionName": name} for name in FUNCTIONS]}]

    def describe_state_machine(self, stateMachineArn: str) -> dict[str, Any]:
        return {"definition": json.dumps({"pipeline": PIPELINE, "backfill": BACKFILL}[stateMachineArn])}


@pytest.fixture
def targets() -> FaultTargets:
    return FaultTargets.deployed(Listing(), Listing(), ["pipeline", "backfill"])


@pytest.mark.parametrize(
    ("target", "function"),
    [
        ("Flatten to Parquet", "orders-etl-FlattenOrdersFunction"),  # in both machines, one function
        ("Check crawl", "orders-etl-CheckCrawlFunction"),  # a Lambda ARN as the Task's Resource
        ("FlattenOrders", "FlattenOrders"),  # part of one function's name: the injector matches it so
        ("orders-etl-ValidateOrderFileFunction", "orders-etl-ValidateOrderFileFunction"),
    ],
)
def test_a_state_or_one_function_is_accepted(targets: FaultTargets, target: str, function: str) -> None:
    assert targets.function_of(target) == function


def test_the_function_a_target_resolves_to_is_the_one_the_injector_fails(targets: FaultTargets) -> None:
    injector = FaultInjector()
    injector.fail(targets.function_of("FlattenOrders"), "ConnectionResetError")
    fired = [name for name in FUNCTIONS if injector._faults and _raises(injector, name)]
    assert fired == ["orders-etl-FlattenOrdersFunction"]


def _raises(injector: FaultInjector, function: str) -> bool:
    try:
        injector._before_invoke(function, {})
    except Exception:
        return True
    return False


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("Flaten", "'Flaten' names no state and no function of the deployed stack: name a state ("),
        ("Order", "'Order' names 2 functions (orders-etl-FlattenOrdersFunction, orders-etl-ValidateOrderFileFunction)"),
        ("Wait for the crawl", "state 'Wait for the crawl' calls no Lambda function: name a state ("),
    ],
    ids=["typo", "ambiguous", "no-function"],
)
def test_a_target_that_is_not_exactly_one_function_is_refused_with_the_valid_names(
    targets: FaultTargets, target: str, message: str
) -> None:
    with pytest.raises(CommandError) as refused:
        targets.function_of(target)
    assert str(refused.value).startswith(message) and "\n" not in str(refused.value)
    if target != "Order":  # the valid names: the states that call a function, and the functions
        assert "'Check crawl', 'Flatten to Parquet', 'Validate order file'" in str(refused.value)
        assert "'Wait for the crawl'" not in str(refused.value).removeprefix(message)


def test_one_wrong_target_arms_no_fault(targets: FaultTargets, tmp_path: Path) -> None:
    control = tmp_path / "faults.json"
    with pytest.raises(CommandError):
        add_faults(control, parse_faults(["FlattenOrders=ConnectionError", "Flaten=ConnectionError"]), targets)
    assert not control.exists()


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("Flatten to Parquet=ValueError:0", "COUNT must be a whole number of calls, at least 1 (got '0')"),
        ("Flatten to Parquet=ValueError:-2", "COUNT must be a whole number of calls, at least 1 (got '-2')"),
        ("Flatten to Parquet=ValueError:", "COUNT must be a whole number of calls, at least 1 (got '')"),
        ("Flatten to Parquet=sleep=soon", "SECONDS must be a number of at least 0 (got 'soon')"),
        ("Flatten to Parquet=sleep=inf", "SECONDS must be a number of at least 0 (got 'inf')"),
        ("Flatten to Parquet", "expected FUNCTION_OR_STATE=ERROR[:COUNT]"),
    ],
)
@pytest.mark.parametrize(
    "command", [["local", "fail"], ["local", "start", "--port", "0", "--fail"]], ids=["fail", "start"]
)
def test_a_fault_written_wrong_is_refused_before_anything_starts(
    command: list[str], spec: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # (no outputs file, no endpoint: the spec is refused before either is looked for or started)
    code = main([*command, spec, "--outputs", str(tmp_path / "outputs.json")])
    captured = capsys.readouterr()
    assert code == 1 and captured.out == ""
    assert captured.err.startswith(f"error: {spec!r}: {message}") and captured.err.count("\n") == 1, captured.err
    assert not (tmp_path / "faults.json").exists()
