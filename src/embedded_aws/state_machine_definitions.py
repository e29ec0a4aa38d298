"""State machine definitions checked as Step Functions checks them: ValidateStateMachineDefinition, and the refusals
of CreateStateMachine and UpdateStateMachine.

moto has no ValidateStateMachineDefinition (a 500), refuses a definition its parser cannot read with an error whose
code is lost on the way (a 400 with an empty code: `client.exceptions.InvalidDefinition` never matches), and accepts
what AWS refuses: a `Next`, `Default`, choice `Next` or catcher `Next` naming no state, a `StartAt` naming none, a
state nothing leads to, a state with neither `Next` nor `End`, a workflow without a terminal state. One validator,
`diagnose`, answers both APIs, as on AWS (API reference, ValidateStateMachineDefinition: FAIL "when the workflow
definition contains errors that would prevent you from creating or updating your state machine").

AWS's wording, codes and locations, as published (the API reference says not to rely on the wording):
- Create/Update refuse with `InvalidDefinition`, "Invalid State Machine Definition: '<CODE>: <message> at
  <location>'", the diagnostics joined by ", ", "at null" without a location (recorded AWS answers: LocalStack's
  snapshot test_create_delete_invalid_sm; serverless-step-functions issue 250; floci issue 2735).
- "These fields are required: [States, StartAt]" at "/"; "Definition must be a valid JSON object" for a blank
  definition; MISSING_TRANSITION_TARGET "Missing 'Next' target: <name>" at ".../Next", ".../Default",
  ".../Choices[i]/Next", ".../Catch[i]/Next" or "/StartAt", and 'State "<name>" is not reachable.' at the state;
  MISSING_END_STATE "Workflow has no terminal state" without a location, for the top-level states only and in
  place of their unreachable-state diagnostics; an EXPRESS machine's `.waitForTaskToken` Task is refused at its
  Resource (LocalStack's snapshots recorded on AWS, test_sfn_api_validation; floci's tests measured on AWS).
- A state of a type that moves on (Task, Pass, Wait, Parallel, Map) with both or neither of `Next` and `End`:
  "There should only be one of the following fields: [Next, End]" / "This object should have only one of the
  following fields: [Next, End]" at the state (the AWS messages cdk-preflight's ASL rules quote).
Anything else moto's parser refuses is SCHEMA_VALIDATION_FAILED with the parser's message. Not emulated: the
WARNING diagnostics (NO_DOLLAR, NO_PATH, PASS_RESULT_IS_STATIC: none is produced), duplicate state names across
nested scopes, TOO_DEEPLY_NESTED; an unreadable definition's message is Python's, not Jackson's.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from unittest import mock

from moto.core.exceptions import AWSError
from moto.core.responses import ActionResult
from moto.stepfunctions.exceptions import ValidationException
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.models import StepFunctionsParserBackend
from moto.stepfunctions.responses import StepFunctionResponse

from embedded_aws.redrive import machine_type

ERROR = "ERROR"
SEVERITIES = (ERROR, "WARNING")
STANDARD = "STANDARD"  # the type a definition is checked as unless told otherwise, as on AWS
MACHINE_TYPES = (STANDARD, "EXPRESS")
MAX_DIAGNOSTICS = 100  # ValidateStateMachineDefinition's maxResults: the default and the maximum
SCHEMA_VALIDATION_FAILED = "SCHEMA_VALIDATION_FAILED"
INVALID_JSON_DESCRIPTION = "INVALID_JSON_DESCRIPTION"
MISSING_TRANSITION_TARGET = "MISSING_TRANSITION_TARGET"
MISSING_END_STATE = "MISSING_END_STATE"
# The state types whose states either go on (`Next`) or end the execution (`End`).
_MOVING_ON = ("Task", "Pass", "Wait", "Parallel", "Map")
_TERMINAL_TYPES = ("Succeed", "Fail")
_JACKSON_SOURCE_LIMIT = 500  # characters of the definition an unreadable-JSON location quotes


class InvalidDefinition(AWSError):  # type: ignore[misc]  # moto is untyped here
    TYPE = "InvalidDefinition"
    STATUS = 400


@dataclass(frozen=True)
class Diagnostic:
    code: str
    message: str
    location: str | None = None
    severity: str = ERROR

    def as_api(self) -> dict[str, str]:
        """As ValidateStateMachineDefinition lists it."""
        answer = {"severity": self.severity, "code": self.code, "message": self.message}
        if self.location is not None:
            answer["location"] = self.location
        return answer

    def __str__(self) -> str:
        """As InvalidDefinition's message lists it."""
        return f"{self.code}: {self.message} at {self.location or 'null'}"


def diagnose(definition: str | None, machine: str = STANDARD) -> list[Diagnostic]:
    """Every error AWS reports for `definition` as a `machine` (STANDARD or EXPRESS) state machine; [] if valid."""
    if definition is None or not definition.strip():
        return [Diagnostic(SCHEMA_VALIDATION_FAILED, "Definition must be a valid JSON object")]
    try:
        document = json.loads(definition)
    except ValueError as error:
        return [_unreadable(definition, error)]
    if not isinstance(document, dict):
        return [Diagnostic(SCHEMA_VALIDATION_FAILED, "Definition must be a valid JSON object")]
    schema = list(_schema_errors(document, "", machine))
    if schema:
        return schema
    try:
        AmazonStateLanguageParser.parse(definition)  # the engine's own reading: what it cannot run is refused
    except Exception as error:  # the parser raises anything from ANTLR's to KeyError
        return [Diagnostic(SCHEMA_VALIDATION_FAILED, str(error) or type(error).__name__)]
    return list(_transition_errors(document, "", top_level=True))


def refuse_invalid(definition: str | None, machine: str = STANDARD) -> None:
    """InvalidDefinition, worded as CreateStateMachine's, unless `definition` is valid."""
    diagnostics = diagnose(definition, machine)
    if diagnostics:
        listed = ", ".join(str(diagnostic) for diagnostic in diagnostics)
        raise InvalidDefinition(f"Invalid State Machine Definition: '{listed}'")


def _unreadable(definition: str, error: ValueError) -> Diagnostic:
    line, column = getattr(error, "lineno", 1), getattr(error, "colno", 1)
    quoted = definition[:_JACKSON_SOURCE_LIMIT]
    if len(definition) > _JACKSON_SOURCE_LIMIT:
        quoted += f'"[truncated {len(definition) - _JACKSON_SOURCE_LIMIT} chars]'
    else:
        quoted += '"'
    location = f'[Source: (String)"{quoted}; line: {line}, column: {column}]'
    message = getattr(error, "msg", str(error))
    return Diagnostic(INVALID_JSON_DESCRIPTION, f"{message}\n at {location}", location)


def _schema_errors(scope: dict[str, Any], path: str, machine: str) -> Iterator[Diagnostic]:
    """The fields missing from a state machine or a branch, and each state's Next/End, recursively."""
    missing = [field for field in ("States", "StartAt") if field not in scope]
    if missing:
        yield Diagnostic(SCHEMA_VALIDATION_FAILED, f"These fields are required: [{', '.join(missing)}]", path or "/")
    for _, state, state_path in _states_of(scope, path):
        kind = state.get("Type")
        ends = state.get("End") is True
        if kind in _MOVING_ON and "Next" in state and ends:
            yield Diagnostic(
                SCHEMA_VALIDATION_FAILED, "There should only be one of the following fields: [Next, End]", state_path
            )
        elif kind in _MOVING_ON and "Next" not in state and not ends:
            yield Diagnostic(
                SCHEMA_VALIDATION_FAILED,
                "This object should have only one of the following fields: [Next, End]",
                state_path,
            )
        resource = state.get("Resource")
        if (
            machine == "EXPRESS"
            and kind == "Task"
            and isinstance(resource, str)
            and resource.endswith(".waitForTaskToken")
        ):
            yield Diagnostic(
                SCHEMA_VALIDATION_FAILED,
                "Express state machine does not support '.waitForTaskToken' service integration ",  # sic, AWS's
                f"{state_path}/Resource",
            )
        for inner, inner_path in _nested_scopes(state, state_path):
            yield from _schema_errors(inner, inner_path, machine)


def _transition_errors(scope: dict[str, Any], path: str, top_level: bool) -> Iterator[Diagnostic]:
    """Targets that name no state, states nothing leads to, a workflow that never ends; nested scopes after."""
    states = scope["States"]
    start = scope["StartAt"]  # the parser let only names through: strings
    if start not in states:
        yield Diagnostic(MISSING_TRANSITION_TARGET, f"Missing 'Next' target: {start}", f"{path}/StartAt")
    for _, state, state_path in _states_of(scope, path):
        for target, target_path in _targets(state, state_path):
            if target not in states:
                yield Diagnostic(MISSING_TRANSITION_TARGET, f"Missing 'Next' target: {target}", target_path)
    endless = top_level and not any(_is_terminal(state) for _, state, _ in _states_of(scope, path))
    if endless:
        yield Diagnostic(MISSING_END_STATE, "Workflow has no terminal state")
    else:
        reachable = _reachable(states, start)
        for name, _, state_path in _states_of(scope, path):
            if name not in reachable:
                yield Diagnostic(MISSING_TRANSITION_TARGET, f'State "{name}" is not reachable.', state_path)
    for _, state, state_path in _states_of(scope, path):
        for inner, inner_path in _nested_scopes(state, state_path):
            yield from _transition_errors(inner, inner_path, top_level=False)


def _states_of(scope: dict[str, Any], path: str) -> Iterator[tuple[str, dict[str, Any], str]]:
    states = scope.get("States")
    if isinstance(states, dict):
        for name, state in states.items():
            if isinstance(state, dict):
                yield name, state, f"{path}/States/{name}"


def _nested_scopes(state: dict[str, Any], state_path: str) -> Iterator[tuple[dict[str, Any], str]]:
    """A Parallel state's branches, a Map state's ItemProcessor (or its older name, Iterator)."""
    branches = state.get("Branches") if state.get("Type") == "Parallel" else None
    for index, branch in enumerate(branches if isinstance(branches, list) else []):
        if isinstance(branch, dict):
            yield branch, f"{state_path}/Branches[{index}]"
    if state.get("Type") == "Map":
        for field in ("ItemProcessor", "Iterator"):
            if isinstance(state.get(field), dict):
                yield state[field], f"{state_path}/{field}"


def _targets(state: dict[str, Any], state_path: str) -> Iterator[tuple[Any, str]]:
    """Every state name `state` may go to next, with where it is written."""
    if "Next" in state:
        yield state["Next"], f"{state_path}/Next"
    for field in ("Choices", "Catch"):
        rules = state.get(field)
        for index, rule in enumerate(rules if isinstance(rules, list) else []):
            if isinstance(rule, dict) and "Next" in rule:
                yield rule["Next"], f"{state_path}/{field}[{index}]/Next"
    if "Default" in state:
        yield state["Default"], f"{state_path}/Default"


def _is_terminal(state: dict[str, Any]) -> bool:
    return state.get("End") is True or state.get("Type") in _TERMINAL_TYPES


def _reachable(states: dict[str, Any], start: Any) -> set[Any]:
    seen: set[Any] = set()
    waiting = [start]
    while waiting:
        name = waiting.pop()
        if name in seen or not isinstance(states.get(name), dict):
            continue
        seen.add(name)
        waiting.extend(target for target, _ in _targets(states[name], ""))
    return seen


@contextmanager
def installed() -> Iterator[None]:
    original_create = StepFunctionsParserBackend.create_state_machine
    original_update = StepFunctionsParserBackend.update_state_machine

    def create_state_machine(
        self: StepFunctionsParserBackend, name: str, definition: str, *args: Any, **kwargs: Any
    ) -> Any:
        refuse_invalid(definition, kwargs.get("sm_type") or STANDARD)
        return original_create(self, name, definition, *args, **kwargs)

    def update_state_machine(
        self: StepFunctionsParserBackend, arn: str, definition: str | None = None, *args: Any, **kwargs: Any
    ) -> Any:
        if definition is not None:  # the type cannot change: the machine's own decides
            refuse_invalid(definition, machine_type(self.describe_state_machine(arn)))
        return original_update(self, arn, definition, *args, **kwargs)

    with (
        mock.patch.object(StepFunctionResponse, "validate_state_machine_definition", _validate_action, create=True),
        mock.patch.multiple(
            StepFunctionsParserBackend,
            create_state_machine=create_state_machine,
            update_state_machine=update_state_machine,
            # The wrappers above validated the definition, moto's parser included: it is not parsed twice.
            _validate_definition=staticmethod(_validated_already),
        ),
    ):
        yield


def _validated_already(definition: str) -> None:
    """Stands for moto's check, which the create and update wrappers ran already."""


def _validate_action(self: StepFunctionResponse) -> ActionResult:
    definition = self._get_param("definition")
    machine = self._get_param("type") or STANDARD
    severity = self._get_param("severity") or ERROR
    max_results = self._get_param("maxResults")
    _check_request(definition, machine, severity, max_results)
    diagnostics = [d for d in diagnose(definition, machine) if severity != ERROR or d.severity == ERROR]
    limit = max_results or MAX_DIAGNOSTICS
    return ActionResult(
        {
            "result": "FAIL" if any(d.severity == ERROR for d in diagnostics) else "OK",
            "diagnostics": [diagnostic.as_api() for diagnostic in diagnostics[:limit]],
            "truncated": len(diagnostics) > limit,
        }
    )


def _check_request(definition: Any, machine: Any, severity: Any, max_results: Any) -> None:
    """ValidationException for what the API model forbids (an SDK refuses most of it before sending)."""
    if definition is None:
        raise ValidationException(_constraint(definition, "definition", "Member must not be null"))
    if definition == "":
        raise ValidationException(
            _constraint(definition, "definition", "Member must have length greater than or equal to 1")
        )
    if machine not in MACHINE_TYPES:
        raise ValidationException(_constraint(machine, "type", _enum(MACHINE_TYPES)))
    if severity not in SEVERITIES:
        raise ValidationException(_constraint(severity, "severity", _enum(SEVERITIES)))
    if max_results is not None and not 0 <= max_results <= MAX_DIAGNOSTICS:
        bound = "greater than or equal to 0" if max_results < 0 else f"less than or equal to {MAX_DIAGNOSTICS}"
        raise ValidationException(_constraint(max_results, "maxResults", f"Member must have value {bound}"))


def _constraint(value: Any, field: str, rule: str) -> str:
    shown = "null" if value is None else f"'{value}'"
    return f"1 validation error detected: Value {shown} at '{field}' failed to satisfy constraint: {rule}"


def _enum(values: tuple[str, ...]) -> str:
    return f"Member must satisfy enum value set: [{', '.join(values)}]"
