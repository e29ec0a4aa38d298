"""StartExecution as AWS and Step Functions Local accept it.

- Without a name, AWS names the execution with a UUID; moto names it "None", so a second start fails.
- `<stateMachineArn>#<TestCase>` (Step Functions Local) runs the execution with that test case's mocked
  responses from the MockConfigFile; moto rejects the ARN. The file is read at every such start, so edits to it
  apply without a restart.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

from moto.stepfunctions.exceptions import InvalidArn, InvalidName
from moto.stepfunctions.parser.backend.execution import Execution
from moto.stepfunctions.parser.models import StepFunctionsParserBackend

from embedded_aws.mocked_responses import MOCK_CONFIG_ENV, CountingTestCase, MockConfigError, load_test_case

_original_start = StepFunctionsParserBackend.start_execution
_original_worker = Execution._get_start_execution_worker
_mock_config: Path | None = None
# The engine builds the execution's worker inside start_execution, on the caller's thread.
_starting = threading.local()


@contextmanager
def installed(mock_config: Path | None) -> Iterator[None]:
    global _mock_config
    _mock_config, before = mock_config, _mock_config
    try:
        with (
            mock.patch.object(StepFunctionsParserBackend, "start_execution", _start_execution),
            mock.patch.object(Execution, "_get_start_execution_worker", _start_execution_worker),
        ):
            yield
    finally:
        _mock_config = before


def _start_execution(
    self: StepFunctionsParserBackend,
    state_machine_arn: str,
    name: str | None = None,
    execution_input: str | None = None,
    trace_header: str | None = None,
) -> Any:
    machine_arn, suffix, test_case_name = state_machine_arn.partition("#")
    if suffix and not test_case_name:
        raise InvalidArn(f"Invalid Arn: '{state_machine_arn}' names no test case after '#'")
    _starting.test_case = _test_case(self, machine_arn, test_case_name) if test_case_name else None
    try:
        return _original_start(self, machine_arn, name or str(uuid.uuid4()), execution_input, trace_header)
    finally:
        _starting.test_case = None


def _test_case(backend: StepFunctionsParserBackend, machine_arn: str, test_case_name: str) -> CountingTestCase:
    if _mock_config is None:
        raise InvalidArn(f"{machine_arn}#{test_case_name}: no mock configuration file (set {MOCK_CONFIG_ENV})")
    machine_name = backend.describe_state_machine(machine_arn).name
    try:
        return load_test_case(_mock_config, machine_name, test_case_name)
    except MockConfigError as error:
        raise InvalidName(str(error)) from error


def _start_execution_worker(self: Execution) -> Any:
    worker = _original_worker(self)
    test_case = getattr(_starting, "test_case", None)
    if test_case is not None:
        worker._mock_test_case = test_case
    return worker
