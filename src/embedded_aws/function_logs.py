"""What a function writes goes to its CloudWatch log group, as on AWS, not to the stdout of whoever runs the
embedded AWS.

The functions run in this process (lambda_runtime): their loggers write to the process's stdout, so the lines of a
function that an event target ran in the background (a notification) landed in the middle of a command's output.
On AWS, Lambda sends a function's stdout and stderr to the log group `/aws/lambda/<function>`, one stream per
execution environment, framed by `START`, `END` and `REPORT` lines (Lambda developer guide, "Sending Lambda
function logs to CloudWatch Logs"). Here the lines written on the handler's thread during a call are collected and
put into that group when the call ends, so `aws logs tail /aws/lambda/<function>` shows them. Lambda creates the
group when it does not exist. Not checked: the role's logs:CreateLogStream and logs:PutLogEvents (the template's
roles have them through AWSLambdaBasicExecutionRole); not emulated: the 256 KB limit of a log event.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from moto.logs.exceptions import ResourceAlreadyExistsException
from moto.logs.models import logs_backends

_calls = threading.local()


@dataclass
class FunctionCall:
    """One call's log lines, bound for its function's log group."""

    account_id: str
    region: str
    log_group: str
    log_stream: str
    request_id: str
    lines: list[str] = field(default_factory=list)
    _partial: str = ""

    def write(self, text: str) -> None:
        """A stream's text: whole lines become log events (a logger writes a line in one or two writes)."""
        text = self._partial + text
        *complete, self._partial = text.split("\n")
        self.lines.extend(complete)


def writing_call() -> FunctionCall | None:
    """The call whose handler runs on this thread, if any: its output is the function's log."""
    call: FunctionCall | None = getattr(_calls, "current", None)
    return call


@contextmanager
def collecting(call: FunctionCall) -> Iterator[FunctionCall]:
    """On this thread, collect what the handler writes into `call`."""
    _calls.current = call
    try:
        yield call
    finally:
        _calls.current = None


def deliver(call: FunctionCall, duration_ms: float, memory_mb: int) -> None:
    """Put the call's lines, framed as Lambda frames them, into the function's log group and stream."""
    backend = logs_backends[call.account_id][call.region]
    if call.log_group not in backend.groups:
        with contextlib.suppress(ResourceAlreadyExistsException):  # created meanwhile by another call
            backend.create_log_group(call.log_group, {})
    backend.ensure_log_stream(call.log_group, call.log_stream)
    lines = [
        f"START RequestId: {call.request_id} Version: $LATEST",
        *call.lines,
        *([call._partial] if call._partial else []),
        f"END RequestId: {call.request_id}",
        f"REPORT RequestId: {call.request_id}\tDuration: {duration_ms:.2f} ms\tMemory Size: {memory_mb} MB",
    ]
    now = int(time.time() * 1000)
    backend.put_log_events(call.log_group, call.log_stream, [{"timestamp": now, "message": m} for m in lines])
