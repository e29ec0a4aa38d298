"""The JSON documents of an execution written compactly, as Step Functions writes them.

moto's engine serialises some documents with Python's default separators (`{"a": 1, "b": [1, 2]}`): a TaskScheduled
event's `parameters`, a TaskSucceeded or TaskSubmitted event's `output`, a LambdaFunctionScheduled event's `input`, a
LambdaFunctionSucceeded event's `output`, and DescribeExecution's `output`; its state events are already compact. AWS
writes them all compact (`{"a":1,"b":[1,2]}`): a TaskScheduled event's parameters read
`{"FunctionName":"arn:...","Payload":{}}` and a TaskSucceeded event's output `{"StatusCode":200,"Payload":{...}}` in
histories recorded on Step Functions Local (a mocked service integration walkthrough), and DescribeExecution's output
recorded on AWS is compact too (`{"ExecutedVersion":"$LATEST","Payload":{...}}`). A reader that compares these
strings, or a test written against AWS, would otherwise see a difference.

The execution's input is what the caller sent, as AWS keeps it (a "Step Functions Execution Status Change" event
recorded on AWS carries the console's indented input): DescribeExecution already answers it so, and the
ExecutionStarted event now carries the same text (moto wrote its own re-serialisation, with spaces). Left as they
are: an activity's output (the worker's text), causes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from moto.core.responses import ActionResult
from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager
from moto.stepfunctions.parser.backend.execution import Execution
from moto.stepfunctions.responses import StepFunctionResponse

# The event details, and their field, that moto's engine writes with Python's default separators.
SPACED_BY_MOTO = {
    "taskScheduledEventDetails": "parameters",
    "taskSucceededEventDetails": "output",
    "taskSubmittedEventDetails": "output",
    "lambdaFunctionScheduledEventDetails": "input",
    "lambdaFunctionSucceededEventDetails": "output",
}


def compact(text: str) -> str:
    """`text` without the whitespace between JSON tokens (unchanged if it is not JSON). What json.dumps wrote reads
    back to the same values, so only the separators change."""
    try:
        return json.dumps(json.loads(text), separators=(",", ":"))
    except ValueError:
        return text


@contextmanager
def installed() -> Iterator[None]:
    # Wrapped as they are when entered: redrive's DescribeExecution and history too.
    original_add_event = EventManager.add_event
    original_describe = StepFunctionResponse.describe_execution
    original_history = Execution.to_history_output

    def add_event(
        self: EventManager, context: Any, event_type: Any, event_details: Any = None, *args: Any, **kwargs: Any
    ) -> Any:
        return original_add_event(self, context, event_type, _compacted(event_details), *args, **kwargs)

    def describe_execution(self: StepFunctionResponse) -> ActionResult:
        answer: ActionResult = original_describe(self)
        if isinstance(answer.result, dict) and isinstance(answer.result.get("output"), str):
            answer.result["output"] = compact(answer.result["output"])
        return answer

    def to_history_output(self: Execution) -> Any:
        output = original_history(self)
        written = getattr(self, "execution_input", None)
        for event in output["events"]:  # copies of the events
            if event["type"] == "ExecutionStarted" and isinstance(written, str):
                event["executionStartedEventDetails"]["input"] = written
        return output

    with (
        mock.patch.object(EventManager, "add_event", add_event),
        mock.patch.object(StepFunctionResponse, "describe_execution", describe_execution),
        mock.patch.object(Execution, "to_history_output", to_history_output),
    ):
        yield


def _compacted(event_details: Any) -> Any:
    if not isinstance(event_details, dict):
        return event_details
    compacted = dict(event_details)
    for kind, field in SPACED_BY_MOTO.items():
        details = compacted.get(kind)
        if isinstance(details, dict) and isinstance(details.get(field), str):
            compacted[kind] = {**details, field: compact(details[field])}
    return compacted
