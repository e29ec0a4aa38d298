"""`orders-etl local fail`: make a step of the running embedded AWS raise an error (or spend time: `sleep=SECONDS`),
for COUNT calls or until cleared.

Faults live in a control file beside the stack outputs, which the endpoint rereads on every function call.
A state name (`Flatten to Parquet`) is turned into the name of the function that state calls.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from embedded_aws.faults import delay_of, parse_fault, read_fault_file, write_fault_file
from orders_etl_cli.failures import CommandError


def fault_file(outputs_file: Path) -> Path:
    return outputs_file.parent / "faults.json"


def add_faults(control_file: Path, specs: list[str], definition: dict[str, Any]) -> list[dict[str, Any]]:
    faults = read_fault_file(control_file)
    for spec in specs:
        try:
            target, error, count = parse_fault(spec)
        except ValueError as mistake:  # the fault as written cannot be read: its message says what is expected
            raise CommandError(str(mistake)) from mistake
        faults.append({"function": function_of(target, definition), "error": error, "remaining": count})
    write_fault_file(control_file, faults)
    return faults


def clear_faults(control_file: Path) -> None:
    write_fault_file(control_file, [])


def function_of(target: str, definition: dict[str, Any]) -> str:
    """The function a state calls when `target` names a state; `target` itself (a function name part) otherwise."""
    state = definition["States"].get(target)
    if state is None:
        return target
    function = state.get("Parameters", {}).get("FunctionName")
    if not isinstance(function, str):
        raise CommandError(f"state {target!r} does not call a Lambda function")
    return function.rsplit(":", 1)[-1]


def describe_faults(faults: list[dict[str, Any]]) -> str:
    if not faults:
        return "no faults"
    lines = []
    for fault in faults:
        times = "until cleared" if fault["remaining"] is None else f"for {fault['remaining']} more call(s)"
        delay = delay_of(fault["error"])
        does = f"raises {fault['error']}" if delay is None else f"sleeps {delay:g} s before its work"
        lines.append(f"{fault['function']} {does} {times}")
    return "\n".join(lines)


def state_machine_definition(sfn: Any, state_machine_arn: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(sfn.describe_state_machine(stateMachineArn=state_machine_arn)["definition"])
    return document
