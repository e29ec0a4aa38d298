"""Step Functions' "Step Functions Execution Status Change" events on the default EventBridge bus (moto sends none).

As on AWS (Step Functions developer guide, "EventBridge (CloudWatch Events) for Step Functions execution status
changes"): an execution of a STANDARD state machine sends an event when its status changes, RUNNING when it
starts or is redriven, then SUCCEEDED, FAILED, TIMED_OUT or ABORTED when it ends; EXPRESS executions send none.
The event's `detail` carries what DescribeExecution says, in these fields only: executionArn, stateMachineArn,
name, status, startDate and stopDate (epoch milliseconds; stopDate null while running), input and inputDetails,
output and outputDetails (null unless SUCCEEDED). No error, no cause: a rule cannot tell why an execution failed.
When the escaped input and output together pass 248 KB the input is left out (inputDetails.included false), and
so is an output that passes it alone. `resources` names the execution.

The event reaches the rules of the default bus the way moto's S3 events reach them (`Rule.send_to_targets`), so
the same pattern matching and the same targets (eventbridge_targets) apply. Child workflows of a Distributed Map
run inside their Map Run here, not as executions, and send nothing.
"""

from __future__ import annotations

import copy
import datetime
import json
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from moto.core.utils import unix_time
from moto.events.models import events_backends
from moto.events.utils import _BASE_EVENT_MESSAGE
from moto.stepfunctions.parser.asl.utils.encoding import to_json_str
from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication, Execution
from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

from embedded_aws.redrive import machine_type

logger = logging.getLogger(__name__)
SOURCE = "aws.states"
DETAIL_TYPE = "Step Functions Execution Status Change"
# "If the combined escaped input and escaped output sent to EventBridge exceeds 248KB, then the input will be
# excluded. Similarly, if the escaped output exceeds 248KB, then the output will be excluded."
PAYLOAD_LIMIT_BYTES = 248 * 1024
_original_start = ExecutionWorker.start
_original_terminated = BaseExecutionWorkerCommunication.terminated
_state = {"installed": False}
# Execution ARN -> the statuses sent for it, each recorded once every rule has had it (a target's work that was
# only queued, an asynchronous function call, is counted by lambda_async.in_flight()).
_sent: dict[str, list[str]] = {}


@contextmanager
def installed() -> Iterator[None]:
    with (
        mock.patch.object(ExecutionWorker, "start", _start),
        mock.patch.object(BaseExecutionWorkerCommunication, "terminated", _terminated),
        mock.patch.dict(_state, installed=True),
    ):
        yield


def statuses_sent(execution_arn: str) -> list[str]:
    return list(_sent.get(execution_arn, []))


def forget_sent() -> None:
    _sent.clear()


def send_status_change(execution: Execution, status: str) -> None:
    """Put the execution's status change on the default bus (a STANDARD execution's; nothing when not installed).
    Like S3's events, a failure to deliver never fails the execution: it is logged."""
    if not _state["installed"] or machine_type(execution.state_machine) != "STANDARD":
        return
    try:
        event = status_change_event(execution, status)
        bus = events_backends[execution.account_id][execution.region_name].describe_event_bus("default")
        for rule in list(bus.rules.values()):
            rule.send_to_targets(event, transform_input=False)
    except Exception:
        logger.exception("could not send the %s event of %s", status, execution.exec_arn)
    _sent.setdefault(execution.exec_arn, []).append(status)


def status_change_event(execution: Execution, status: str) -> dict[str, Any]:
    event: dict[str, Any] = copy.deepcopy(_BASE_EVENT_MESSAGE)
    event.update(
        {
            "id": str(uuid.uuid4()),
            "detail-type": DETAIL_TYPE,
            "source": SOURCE,
            "account": execution.account_id,
            "time": unix_time(),  # as moto's S3 events: the targets render it as EventBridge delivers it
            "region": execution.region_name,
            "resources": [execution.exec_arn],
            "detail": _detail(execution, status),
        }
    )
    return event


def _detail(execution: Execution, status: str) -> dict[str, Any]:
    ended = status != "RUNNING"
    succeeded = status == "SUCCEEDED"
    execution_input: str | None = to_json_str(execution.input_data, separators=(",", ":"))
    output = to_json_str(execution.output, separators=(",", ":")) if succeeded else None
    input_included = output_included = True
    if _escaped_size(output) > PAYLOAD_LIMIT_BYTES:
        output, output_included = None, False
    if _escaped_size(execution_input) + _escaped_size(output) > PAYLOAD_LIMIT_BYTES:
        execution_input, input_included = None, False
    return {
        "executionArn": execution.exec_arn,
        "stateMachineArn": execution.state_machine_arn,
        "name": execution.name,
        "status": status,
        "startDate": _milliseconds(execution.start_date),
        "stopDate": _milliseconds(execution.stop_date) if ended and execution.stop_date else None,
        "input": execution_input,
        "inputDetails": {"included": input_included},
        "output": output,
        "outputDetails": {"included": output_included} if succeeded else None,
    }


def _escaped_size(text: str | None) -> int:
    return len(json.dumps(text).encode("utf-8")) if text is not None else 0


def _milliseconds(moment: datetime.datetime) -> int:
    return int(moment.timestamp() * 1000)


def _start(self: ExecutionWorker) -> None:
    """A worker starts an execution's thread, at its start and at each redrive (redrive.py): the RUNNING event is
    sent first, so that it comes before the event of the end."""
    execution = getattr(self._execution_communication, "execution", None)
    if execution is not None:
        send_status_change(execution, "RUNNING")
    _original_start(self)


def _terminated(self: BaseExecutionWorkerCommunication) -> None:
    _original_terminated(self)
    send_status_change(self.execution, str(self.execution.exec_status.value))
