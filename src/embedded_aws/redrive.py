"""RedriveExecution for moto's Step Functions engine, which does not have it.

As on AWS: a FAILED, ABORTED or TIMED_OUT Standard execution resumes at the state that did not finish, with the
input that state had; the states that succeeded are not run again; the history goes on in the same execution
(an `ExecutionRedriven` event, then the new events); DescribeExecution reports `redriveCount`, `redriveDate`
and `redriveStatus` (with `redriveStatusReason` when it is NOT_REDRIVABLE); the context object has
`$$.Execution.RedriveCount` (and `RedriveTime` once redriven). Not emulated: redriving only the
failed branches of a Parallel or Map state (such executions are reported NOT_REDRIVABLE here), the 14-day
window and the 1,000 redrives limit.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from moto.core.exceptions import AWSError
from moto.core.responses import ActionResult
from moto.stepfunctions.parser.api import ExecutionRedrivenEventDetails, ExecutionStatus, HistoryEventType
from moto.stepfunctions.parser.asl.component.eval_component import EvalComponent
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
from moto.stepfunctions.parser.asl.eval.event.event_manager import EventHistoryContext
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.backend.execution import Execution
from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker
from moto.stepfunctions.responses import StepFunctionResponse

_original_history = Execution.to_history_output
_original_describe = StepFunctionResponse.describe_execution
_original_environment = ExecutionWorker._get_evaluation_environment
_REDRIVABLE = (ExecutionStatus.FAILED, ExecutionStatus.ABORTED, ExecutionStatus.TIMED_OUT)


class ExecutionNotRedrivable(AWSError):  # type: ignore[misc]  # moto is untyped here
    TYPE = "ExecutionNotRedrivable"
    STATUS = 400


@contextmanager
def installed() -> Iterator[None]:
    with (
        mock.patch.object(StepFunctionResponse, "redrive_execution", _redrive_execution_action, create=True),
        mock.patch.object(StepFunctionResponse, "describe_execution", _describe_execution_action),
        mock.patch.object(Execution, "to_history_output", _history_output),
        mock.patch.object(ExecutionWorker, "_get_evaluation_environment", _environment_with_redrive_count),
    ):
        yield


def _environment_with_redrive_count(self: ExecutionWorker) -> Environment:
    """The context object's `$$.Execution.RedriveCount`, 0 until a redrive, as on AWS (moto's has none)."""
    env = _original_environment(self)
    env.states.context_object.context_object_data["Execution"].setdefault("RedriveCount", 0)
    return env


def redrive(execution: Execution) -> datetime.datetime:
    """Resume `execution` at its unfinished state; ExecutionNotRedrivable (with AWS's reason) otherwise."""
    reason = not_redrivable_reason(execution)
    if reason:
        raise ExecutionNotRedrivable(reason)
    events = execution.to_history_output()["events"]
    state_name, state_input = _unfinished_state(events)
    execution.redrive_prior_events = events
    execution.redrive_count = getattr(execution, "redrive_count", 0) + 1
    redrive_date = datetime.datetime.now(tz=datetime.UTC)
    execution.redrive_date = redrive_date
    execution.exec_status = ExecutionStatus.RUNNING
    execution.error = execution.cause = execution.stop_date = execution.output = None
    execution.exec_worker = _ResumingWorker(
        execution._get_start_execution_worker(), state_name, state_input, events, execution.redrive_count
    )
    execution.exec_worker.start()
    return redrive_date


def machine_type(state_machine: Any) -> str:
    """STANDARD or EXPRESS, as CreateStateMachine was given it: moto keeps that in `type` (its `sm_type` says
    STANDARD for every state machine)."""
    return str(getattr(state_machine, "type", None) or "STANDARD")


def not_redrivable_reason(execution: Execution) -> str | None:
    if execution.exec_status == ExecutionStatus.RUNNING:
        return "Execution is RUNNING and cannot be redriven"
    if execution.exec_status == ExecutionStatus.SUCCEEDED:
        return "Execution is SUCCEEDED and cannot be redriven"
    if execution.exec_status not in _REDRIVABLE or machine_type(execution.state_machine) != "STANDARD":
        return f"Execution is {execution.exec_status} of a {machine_type(execution.state_machine)} state machine"
    try:
        state_name, _ = _unfinished_state(execution.to_history_output()["events"])
    except ExecutionNotRedrivable as error:
        return str(error.message)
    if state_name not in json.loads(execution.state_machine.definition)["States"]:
        return f"the embedded AWS cannot redrive inside a Map or Parallel state (failed in {state_name!r})"
    return None


def _unfinished_state(events: list[dict[str, Any]]) -> tuple[str, Any]:
    """The last state entered and not exited, with its input: where the execution stopped."""
    entered: list[tuple[str, Any]] = []
    for event in events:
        if event["type"].endswith("StateEntered"):
            details = event["stateEnteredEventDetails"]
            entered.append((details["name"], json.loads(details.get("input") or "{}")))
        elif event["type"].endswith("StateExited") and entered:
            entered.pop()
    if not entered:
        raise ExecutionNotRedrivable("Execution stopped before entering any state")
    return entered[-1]


class _ResumingWorker(ExecutionWorker):  # type: ignore[misc]  # moto is untyped here
    """Runs the execution's definition from `state_name` with `state_input`, numbering events after `prior`."""

    def __init__(
        self, worker: ExecutionWorker, state_name: str, state_input: Any, prior: list[Any], redrive_count: int
    ) -> None:
        super().__init__(
            evaluation_details=worker._evaluation_details,
            exec_comm=worker._execution_communication,
            cloud_watch_logging_session=worker._cloud_watch_logging_session,
            activity_store=worker._activity_store,
            mock_test_case=worker._mock_test_case,
        )
        self._state_name = state_name
        self._state_input = state_input
        self._prior_event_count = len(prior)
        self._redrive_count = redrive_count

    def _get_evaluation_entrypoint(self) -> EvalComponent:
        definition = json.loads(self._evaluation_details.state_machine_details.definition)
        definition["StartAt"] = self._state_name
        return AmazonStateLanguageParser.parse(json.dumps(definition))[0]

    def _get_evaluation_environment(self) -> Environment:
        env = super()._get_evaluation_environment()
        execution = env.states.context_object.context_object_data["Execution"]
        execution["RedriveCount"] = self._redrive_count
        execution["RedriveTime"] = datetime.datetime.now(tz=datetime.UTC).isoformat(timespec="milliseconds")
        env.states.reset(input_value=self._state_input)
        env.event_manager._event_id_gen._next_id = self._prior_event_count + 1
        env.event_history_context = EventHistoryContext(previous_event_id=self._prior_event_count)
        return env

    def _execution_logic(self) -> None:
        program = self._get_evaluation_entrypoint()
        self.env = self._get_evaluation_environment()
        self.env.event_manager.add_event(
            context=self.env.event_history_context,
            event_type=HistoryEventType.ExecutionRedriven,
            event_details=EventDetails(
                executionRedrivenEventDetails=ExecutionRedrivenEventDetails(redriveCount=self._redrive_count)
            ),
            update_source_event_id=False,
        )
        program.eval(self.env)
        self._execution_communication.terminated()


def _history_output(self: Execution) -> Any:
    output = _original_history(self)
    output["events"] = [*getattr(self, "redrive_prior_events", []), *output["events"]]
    return output


def _redrive_execution_action(self: StepFunctionResponse) -> ActionResult:
    execution = self.stepfunction_backend.describe_execution(self._get_param("executionArn"))
    return ActionResult({"redriveDate": redrive(execution)})


def _describe_execution_action(self: StepFunctionResponse) -> ActionResult:
    result = _original_describe(self)
    execution = self.stepfunction_backend.describe_execution(self._get_param("executionArn"))
    if not isinstance(execution, Execution):  # moto's engine-less backend: nothing to add
        return result
    response = result.result
    assert isinstance(response, dict)
    response["redriveCount"] = getattr(execution, "redrive_count", 0)
    if hasattr(execution, "redrive_date"):
        response["redriveDate"] = execution.redrive_date
    reason = not_redrivable_reason(execution)
    response["redriveStatus"] = "NOT_REDRIVABLE" if reason else "REDRIVABLE"
    if reason:
        response["redriveStatusReason"] = reason
    return result
