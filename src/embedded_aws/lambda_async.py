"""Asynchronous invocation of Lambda functions, as AWS services invoke them (EventBridge targets among them).

moto has no asynchronous queue: it runs an event target (where it can at all) on the caller's thread, never
retries, and drops the function's DeadLetterConfig. As on AWS (Lambda developer guide, "How Lambda handles errors
and retries with asynchronous invocation", "Capturing records of Lambda asynchronous invocations"):

- the caller hands the event over and goes on; the function runs later, on its own thread here;
- a function error (an exception, a timeout) is retried twice: one minute after the first attempt, two minutes
  after the second (at the embedded clock's scale; `MaximumRetryAttempts` of the function's event invoke
  configuration, 0 to 2, when it has one);
- after the last attempt the event goes to the function's dead-letter queue (`DeadLetterConfig`, an SQS queue or
  an SNS topic), sent as the function's execution role, which must be allowed to (sqs:SendMessage, sns:Publish):
  the event as is, with the attributes RequestID, ErrorCode and ErrorMessage; without a dead-letter queue, or if
  the role may not send, the event is dropped (logged here; on AWS the DeadLetterErrors metric counts it).

Not emulated: throttling (a call past the concurrency limit waits for a free one), the event's maximum age,
OnSuccess/OnFailure destinations, and Lambda's occasional duplicate delivery. `forget_pending()` (called by a reset
of the embedded AWS) abandons the retries still waiting, as the functions they belong to are gone, and waits for
running calls.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from moto.awslambda.models import LambdaFunction
from moto.utilities.arns import parse_arn

from embedded_aws import clock, iam_enforcement
from embedded_aws.service_roles import LAMBDA

logger = logging.getLogger(__name__)
# Lambda's documented waits before the second and the third attempt.
RETRY_WAITS_SECONDS = (60.0, 120.0)
_ERROR_MESSAGE_BYTES = 1024  # "the first 1 KB of the error message"
_original_init = LambdaFunction.__init__
_original_configuration = LambdaFunction.get_configuration
_original_update = LambdaFunction.update_configuration
_lock = threading.Lock()
_in_flight = 0
_generation = 0  # a reset of the embedded AWS starts a new one: waiting retries of the old one are abandoned


@contextmanager
def installed() -> Iterator[None]:
    with mock.patch.multiple(
        LambdaFunction, __init__=_init, get_configuration=_get_configuration, update_configuration=_update_configuration
    ):
        yield


def in_flight() -> int:
    """Asynchronous events not yet done with: running, waiting for a retry, or being sent to a dead-letter queue."""
    with _lock:
        return _in_flight


def forget_pending(wait_seconds: float = 30.0) -> None:
    """Abandon the retries still waiting, and wait (bounded) for the calls already running to end: a call that
    outlived the reset would act on the next stack (same names, same ARNs), a notification in its topic."""
    global _generation
    with _lock:
        _generation += 1
    deadline = time.monotonic() + wait_seconds
    while in_flight() and time.monotonic() < deadline:
        time.sleep(0.01)


def invoke_async(function: LambdaFunction, event: dict[str, Any]) -> None:
    """Queue `event` for `function` and return at once (Lambda's 202)."""
    global _in_flight
    with _lock:
        _in_flight += 1
        generation = _generation
    worker = threading.Thread(
        target=_deliver, args=(function, event, generation), name=f"lambda-async:{function.function_name}", daemon=True
    )
    worker.start()


def _deliver(function: LambdaFunction, event: dict[str, Any], generation: int) -> None:
    global _in_flight
    request_id = str(uuid.uuid4())  # one request id for every attempt, as Lambda keeps it across retries
    try:
        attempts = 1 + _maximum_retry_attempts(function)
        error = ""
        for attempt in range(attempts):
            if attempt:
                threading.Event().wait(clock.scaled(RETRY_WAITS_SECONDS[attempt - 1]))
            if not _current(generation):
                return
            payload, errored, _ = function._invoke_lambda(event=json.dumps(event))
            if not errored:
                return
            error = payload
            logger.warning("%s failed on attempt %d of %d: %s", function.function_name, attempt + 1, attempts, payload)
        if _current(generation):
            _send_to_dead_letter_queue(function, event, request_id, error)
    except Exception:
        logger.exception("asynchronous invocation of %s failed", function.function_name)
    finally:
        with _lock:
            _in_flight -= 1


def _current(generation: int) -> bool:
    with _lock:
        return generation == _generation


def _maximum_retry_attempts(function: LambdaFunction) -> int:
    for config in getattr(function, "event_invoke_config", []):
        attempts = config.config.get("MaximumRetryAttempts")
        if attempts is not None:
            return int(attempts)
    return len(RETRY_WAITS_SECONDS)


def _send_to_dead_letter_queue(function: LambdaFunction, event: dict[str, Any], request_id: str, error: str) -> None:
    target = (getattr(function, "dead_letter_config", None) or {}).get("TargetArn")
    if not target:
        logger.error("%s: event dropped after its retries (no dead-letter queue): %s", function.function_name, event)
        return
    arn = parse_arn(target)
    action = "sqs:SendMessage" if arn.service == "sqs" else "sns:Publish"
    try:
        iam_enforcement.authorize_role_call(function.role, LAMBDA, action, target)
    except iam_enforcement.ServiceCallDenied as denied:
        logger.error("%s: event dropped, its dead-letter queue refused it: %s", function.function_name, denied)
        return
    message = _error_message(error)
    body = json.dumps(event)
    attributes = {
        "RequestID": {"DataType": "String", "StringValue": request_id},
        "ErrorCode": {"DataType": "Number", "StringValue": "200"},  # the function ran and returned its error
        "ErrorMessage": {"DataType": "String", "StringValue": message},
    }
    if arn.service == "sqs":
        from moto.sqs.models import sqs_backends

        sqs_backends[arn.account][arn.region].send_message(arn.resource_id, body, message_attributes=attributes)
    else:
        from moto.sns.models import sns_backends

        sns_attributes = {name: {"Type": a["DataType"], "Value": a["StringValue"]} for name, a in attributes.items()}
        sns_backends[arn.account][arn.region].publish(body, arn=target, message_attributes=sns_attributes)


def _error_message(error_document: str) -> str:
    try:
        message = str(json.loads(error_document).get("errorMessage", error_document))
    except (ValueError, AttributeError):
        message = error_document
    return message.encode("utf-8")[:_ERROR_MESSAGE_BYTES].decode("utf-8", errors="ignore") or "(no message)"


# ---------- DeadLetterConfig, which moto drops ----------
def _init(self: LambdaFunction, account_id: str, spec: dict[str, Any], *args: Any, **kwargs: Any) -> None:
    _original_init(self, account_id, spec, *args, **kwargs)
    self.dead_letter_config = spec.get("DeadLetterConfig") or None


def _get_configuration(self: LambdaFunction, *args: Any, **kwargs: Any) -> dict[str, Any]:
    configuration: dict[str, Any] = _original_configuration(self, *args, **kwargs)
    if getattr(self, "dead_letter_config", None):
        configuration["DeadLetterConfig"] = self.dead_letter_config
    return configuration


def _update_configuration(self: LambdaFunction, config_updates: dict[str, Any]) -> dict[str, Any]:
    if "DeadLetterConfig" in config_updates:
        self.dead_letter_config = config_updates["DeadLetterConfig"] or None
    return dict(_original_update(self, config_updates))
