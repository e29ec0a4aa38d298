"""`orders-etl local fail`: make a step of the running embedded AWS raise an error (or spend time: `sleep=SECONDS`),
for COUNT calls or until cleared.

Faults live in a control file beside the stack outputs, which the endpoint rereads on every function call.
A fault names a state of the deployed state machines (`Flatten to Parquet`: the function that state calls) or
a deployed Lambda function, in full or by a part of its name (`FlattenOrders`), as the injector matches it
(embedded_aws.faults.names_function). A name that would match nothing, or more than one function, is refused:
a fault that never fires looks like a pipeline that survived it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from embedded_aws.faults import delay_of, names_function, parse_fault, read_fault_file, write_fault_file
from orders_etl_cli.failures import CommandError

LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"


def fault_file(outputs_file: Path) -> Path:
    return outputs_file.parent / "faults.json"


def parse_faults(specs: list[str]) -> list[tuple[str, str, int | None]]:
    """Each `STEP=ERROR[:COUNT]` read, before anything is deployed or written: (step, error, count)."""
    try:
        return [parse_fault(spec) for spec in specs]
    except ValueError as mistake:  # the fault as written cannot be read: its message says what is expected
        raise CommandError(str(mistake)) from mistake


@dataclass(frozen=True)
class FaultTargets:
    """What a fault may name: the deployed functions, and the functions each state of the state machines calls."""

    functions: list[str]
    states: dict[str, set[str]]  # state name -> the functions it calls (none for a Pass, Wait, SDK call...)

    @classmethod
    def deployed(cls, lambda_client: Any, sfn: Any, state_machine_arns: list[str]) -> FaultTargets:
        functions = [
            function["FunctionName"]
            for page in lambda_client.get_paginator("list_functions").paginate()
            for function in page["Functions"]
        ]
        states: dict[str, set[str]] = {}
        for arn in state_machine_arns:
            definition = json.loads(sfn.describe_state_machine(stateMachineArn=arn)["definition"])
            for name, state in _states(definition):
                called = _function_called(state)
                states.setdefault(name, set()).update([called] if called else [])
        return cls(sorted(functions), states)

    def function_of(self, target: str) -> str:
        """The function a state calls when `target` is a state; `target` when it names exactly one function."""
        if target in self.states:
            called = sorted(self.states[target])
            if len(called) == 1:
                return called[0]
            calls = f"{len(called)} functions ({', '.join(called)})" if called else "no Lambda function"
            raise CommandError(f"state {target!r} calls {calls}: {self._valid_names()}")
        matched = [function for function in self.functions if names_function(target, function)]
        if len(matched) == 1:
            return target
        if matched:
            raise CommandError(f"{target!r} names {len(matched)} functions ({', '.join(matched)}): name one of them")
        raise CommandError(f"{target!r} names no state and no function of the deployed stack: {self._valid_names()}")

    def _valid_names(self) -> str:
        states = ", ".join(repr(name) for name, called in sorted(self.states.items()) if len(called) == 1)
        return f"name a state ({states}) or a function ({', '.join(self.functions)})"


def state_machine_arns(outputs: dict[str, str]) -> list[str]:
    """The stack's state machines: every output named …StateMachineArn."""
    return [value for key, value in sorted(outputs.items()) if key.endswith("StateMachineArn")]


def add_faults(
    control_file: Path, faults: list[tuple[str, str, int | None]], targets: FaultTargets
) -> list[dict[str, Any]]:
    """Resolve every fault first, then write them all: one wrong name arms none."""
    added = [
        {"function": targets.function_of(step), "error": error, "remaining": count} for step, error, count in faults
    ]
    armed = read_fault_file(control_file) + added
    write_fault_file(control_file, armed)
    return armed


def arm_deployed_faults(
    control_file: Path, faults: list[tuple[str, str, int | None]], lambda_client: Any, sfn: Any, outputs: dict[str, str]
) -> list[dict[str, Any]]:
    """add_faults, with the targets the deployed stack has: its functions and its state machines' states."""
    return add_faults(control_file, faults, FaultTargets.deployed(lambda_client, sfn, state_machine_arns(outputs)))


def clear_faults(control_file: Path) -> None:
    write_fault_file(control_file, [])


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


def _states(definition: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every state, with those inside Map and Parallel states."""
    for name, state in definition.get("States", {}).items():
        yield name, state
        for inner in (state.get("ItemProcessor"), state.get("Iterator"), *state.get("Branches", [])):
            if isinstance(inner, dict):
                yield from _states(inner)


def _function_called(state: dict[str, Any]) -> str | None:
    """The name of the Lambda function a Task state invokes (lambda:invoke, or the function's ARN as Resource)."""
    resource = str(state.get("Resource", ""))
    if resource.startswith(LAMBDA_INVOKE):
        arguments = state.get("Parameters") or state.get("Arguments") or {}
        function = arguments.get("FunctionName") if isinstance(arguments, dict) else None
        return _function_name(function) if isinstance(function, str) else None
    if resource.startswith("arn:aws:lambda:"):
        return _function_name(resource)
    return None


def _function_name(reference: str) -> str:
    """`arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]` or `NAME[:QUALIFIER]` -> NAME."""
    parts = reference.split(":")
    return parts[6] if reference.startswith("arn:") and len(parts) > 6 else parts[0]
