"""StopExecution that has stopped the execution when it answers, as on AWS.

moto's StopExecution only signals the execution's worker thread, which sets ABORTED when it next wakes: a
ListExecutions or DescribeExecution right after the answer may still say RUNNING (seen under load: a client
listing RUNNING executions page by page got one it had just stopped). On AWS the answer carries the stopDate;
here it waits, briefly, until the worker has set ABORTED, so the tests of what follows a stop are deterministic.
(AWS documents ListExecutions as eventually consistent: no client of ours counts on a listing being current.)
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from moto.stepfunctions.models import StepFunctionBackend

_original_stop = StepFunctionBackend.stop_execution
# The worker wakes within milliseconds; a bound, so a worker that never reports cannot hang the request.
MOST_SECONDS = 10.0


@contextmanager
def installed() -> Iterator[None]:
    with mock.patch.object(StepFunctionBackend, "stop_execution", _stop_execution):
        yield


def _stop_execution(self: StepFunctionBackend, execution_arn: str) -> Any:
    execution = _original_stop(self, execution_arn)
    deadline = time.monotonic() + MOST_SECONDS
    while getattr(execution, "status", None) == "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.002)
    return execution
