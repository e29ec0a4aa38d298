"""Mocked service integrations for moto's engine, read from a Step Functions Local MockConfigFile.

moto's engine can answer a Task from a mocked response (`MockTestCase`), but never loads a MockConfigFile and
picks the response by the state's RetryCount, so a state entered again in a loop (a poll, a recrawl) always
gets response "0". Step Functions Local numbers the invocations of each state across the whole execution,
retries and loop visits alike; `CountingTestCase` does the same, so one MockConfigFile means the same on both.

A mocked `Throw` fails the Task with a TaskFailed event that names only the error and the cause; AWS's
TaskFailedEventDetails requires `resource` and `resourceType` (API reference), and Step Functions Local's mocked
failures carry them ("resourceType": "lambda", "resource": "invoke" for arn:aws:states:::lambda:invoke): the Task's
own resource names are filled in.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEventException
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service import StateTaskService
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.mocking.mock_config import (
    MockedResponse,
    MockedResponseReturn,
    MockedResponseThrow,
    MockTestCase,
    StateMockedResponses,
)

# The variable Step Functions Local reads the file's path from.
MOCK_CONFIG_ENV = "SFN_MOCK_CONFIG"

_original_current_mocked_response = Environment.get_current_mocked_response


class MockConfigError(ValueError):
    """The MockConfigFile does not define what an execution asked for, or is malformed."""


class CountingTestCase(MockTestCase):  # type: ignore[misc]  # moto is untyped here
    """A test case for one execution that hands out each state's responses in invocation order."""

    def __init__(self, state_machine_name: str, test_case_name: str, states: list[StateMockedResponses]) -> None:
        super().__init__(state_machine_name, test_case_name, states)
        self._invocations: dict[str, int] = {}
        self._lock = threading.Lock()  # Map iterations of one execution share the test case

    def next_response(self, state_name: str) -> MockedResponse:
        with self._lock:
            invocation = self._invocations.get(state_name, 0)
            self._invocations[state_name] = invocation + 1
        responses = self.state_mocked_responses[state_name].mocked_responses
        if invocation >= len(responses):
            # Step Functions Local fails the execution too: every invocation of a mocked state needs a response.
            raise MockConfigError(
                f"test case {self.test_case_name!r} has no mocked response for invocation {invocation} "
                f"of state {state_name!r} (it defines {len(responses)})"
            )
        return responses[invocation]


def load_test_case(config_path: Path, state_machine_name: str, test_case_name: str) -> CountingTestCase:
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise MockConfigError(f"cannot read the mock configuration file {config_path}: {error}") from error
    machine = config.get("StateMachines", {}).get(state_machine_name)
    if machine is None:
        raise MockConfigError(f"{config_path} defines no state machine named {state_machine_name!r}")
    test_case = machine.get("TestCases", {}).get(test_case_name)
    if test_case is None:
        raise MockConfigError(f"{config_path} defines no test case {test_case_name!r} for {state_machine_name!r}")
    states = [
        StateMockedResponses(state, response_name, _responses(config, response_name))
        for state, response_name in test_case.items()
    ]
    return CountingTestCase(state_machine_name, test_case_name, states)


def _responses(config: dict[str, Any], response_name: str) -> list[MockedResponse]:
    definitions = config.get("MockedResponses", {}).get(response_name)
    if not definitions:
        raise MockConfigError(f"the mock configuration file defines no mocked response {response_name!r}")
    return [_response(response_name, invocations, body) for invocations, body in definitions.items()]


def _response(response_name: str, invocations: str, body: dict[str, Any]) -> MockedResponse:
    first, _, last = invocations.partition("-")
    try:
        start, end = int(first), int(last or first)
    except ValueError:
        raise MockConfigError(f"{response_name}: {invocations!r} is not an invocation number or range") from None
    if list(body) == ["Return"]:
        return MockedResponseReturn(start, end, body["Return"])
    if list(body) == ["Throw"] and isinstance(body["Throw"], dict):
        throw = body["Throw"]
        if isinstance(throw.get("Error"), str) and isinstance(throw.get("Cause"), str):
            return MockedResponseThrow(start, end, throw["Error"], throw["Cause"])
    raise MockConfigError(
        f"{response_name}[{invocations!r}] must hold exactly one of Return, or Throw with string Error and Cause"
    )


@contextmanager
def installed() -> Iterator[None]:
    original_eval_execution = StateTaskService._eval_execution

    def eval_execution(self: StateTaskService, env: Environment) -> None:
        try:
            original_eval_execution(self, env)
        except FailureEventException as failure:
            _name_the_resource(failure, self)
            raise

    with (
        mock.patch.multiple(Environment, get_current_mocked_response=_current_mocked_response),
        mock.patch.object(StateTaskService, "_eval_execution", eval_execution),
    ):
        yield


def _name_the_resource(failure: FailureEventException, task: StateTaskService) -> None:
    """A TaskFailed event without the Task's resource (a mocked Throw's) gets it, as on AWS."""
    details = (failure.failure_event.event_details or {}).get("taskFailedEventDetails")
    if details is not None:
        details.setdefault("resource", task._get_sfn_resource())
        details.setdefault("resourceType", task._get_sfn_resource_type())


def _current_mocked_response(self: Environment) -> MockedResponse:
    test_case = self.mock_test_case
    if isinstance(test_case, CountingTestCase) and self.next_state_name is not None:
        return test_case.next_response(self.next_state_name)
    response: MockedResponse = _original_current_mocked_response(self)
    return response
