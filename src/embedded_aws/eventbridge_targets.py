"""Lets EventBridge rules start Step Functions executions and invoke Lambda functions (moto raises
NotImplementedError for both targets).

The state machine receives the event as its input, as on AWS. EventBridge starts it as the target's role: a
role that events.amazonaws.com may not assume, or that may not states:StartExecution on the state machine,
starts nothing (on AWS a failed invocation, retried and then dropped); the reason is logged.

A function is invoked asynchronously (lambda_async: Lambda's retries and dead-letter queue), with the event as
delivered (its time in ISO-8601), if the function's resource-based policy lets events.amazonaws.com invoke it
for this rule (`aws:SourceArn`), as SAM's AWS::Lambda::Permission does. Otherwise, or when the function does not
exist, EventBridge does not retry (a permission or a missing resource does not pass): the event goes to the
target's dead-letter queue when it has one and its queue policy lets EventBridge send for this rule, with the
attributes RULE_ARN, TARGET_ARN, ERROR_CODE and ERROR_MESSAGE, and is dropped (logged) when not. Other target
types keep moto's behaviour.
"""

from __future__ import annotations

import copy
import json
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from moto.events.models import Rule
from moto.utilities.arns import parse_arn

from embedded_aws import iam_enforcement, lambda_async
from embedded_aws.iam_policy_evaluation import Request, evaluate
from embedded_aws.service_roles import EVENTS

logger = logging.getLogger(__name__)
_original_send = Rule.send_to_targets


@contextmanager
def installed() -> Iterator[None]:
    with mock.patch.multiple(Rule, send_to_targets=_send_to_targets):
        yield


def _is_state_machine(target: dict[str, Any]) -> bool:
    arn = parse_arn(target["Arn"])
    return bool(arn.service == "states")


def _is_function(target: dict[str, Any]) -> bool:
    return bool(parse_arn(target["Arn"]).service == "lambda")


def _send_to_targets(self: Rule, original_event: Any, transform_input: bool = True) -> None:
    if self.state != "ENABLED":
        return  # moto delivers to disabled rules too; EventBridge does not
    machines = [t for t in self.targets if _is_state_machine(t)]
    functions = [t for t in self.targets if _is_function(t)]
    others = [t for t in self.targets if not _is_state_machine(t) and not _is_function(t)]
    if (machines or functions) and self.event_pattern.matches_event(original_event):
        for target in machines:
            _start_execution(self, target, original_event)
        for target in functions:
            _invoke_function(self, target, _as_delivered(original_event))
    if others:
        rule = copy.copy(self)
        rule.targets = others
        _original_send(rule, original_event, transform_input)


def _as_delivered(event: dict[str, Any]) -> dict[str, Any]:
    document = dict(event)
    if isinstance(document.get("time"), int | float):
        # moto keeps the event time as a Unix timestamp; EventBridge delivers ISO-8601.
        from datetime import UTC, datetime

        document["time"] = datetime.fromtimestamp(document["time"], UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return document


def _start_execution(rule: Rule, target: dict[str, Any], event: dict[str, Any]) -> None:
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    document = _as_delivered(event)
    arn = parse_arn(target["Arn"])
    try:
        iam_enforcement.authorize_role_call(target.get("RoleArn"), EVENTS, "states:StartExecution", target["Arn"])
    except iam_enforcement.ServiceCallDenied as denied:
        logger.error("rule %s could not start %s: %s", rule.name, target["Arn"], denied)
        return
    backend = stepfunctions_parser_backends[arn.account][arn.region]
    try:
        backend.start_execution(target["Arn"], name=str(uuid.uuid4()), execution_input=json.dumps(document))
    except Exception:
        # moto's S3 notification path swallows every exception: make this one visible.
        logger.exception("rule %s could not start %s", rule.name, target["Arn"])
        raise


def _invoke_function(rule: Rule, target: dict[str, Any], event: dict[str, Any]) -> None:
    from moto.awslambda.utils import get_backend

    arn = parse_arn(target["Arn"])
    try:
        function = get_backend(arn.account, arn.region).get_function(target["Arn"])
    except Exception as error:  # moto's not-found errors
        _undeliverable(rule, target, event, "NO_RESOURCE", f"{target['Arn']}: {error}")
        return
    if not _may_invoke(rule, function):
        message = (
            f"{EVENTS} is not authorized to perform: lambda:InvokeFunction on resource: {function.function_arn} "
            f"for rule {rule.arn} (no statement of the function's resource-based policy allows it)"
        )
        _undeliverable(rule, target, event, "NO_PERMISSIONS", message)
        return
    lambda_async.invoke_async(function, event)


def _may_invoke(rule: Rule, function: Any) -> bool:
    if not iam_enforcement.is_enabled():
        return True
    try:
        policy = function.policy.get_policy()["Policy"]
    except Exception:  # moto raises its not-found error for a function without a policy
        return False
    request = Request(EVENTS, "lambda:InvokeFunction", function.function_arn, _source(rule))
    return evaluate([], request, policy).allowed


def _source(rule: Rule) -> dict[str, list[str]]:
    return {"aws:SourceArn": [rule.arn], "aws:SourceAccount": [rule.account_id]}


def _undeliverable(rule: Rule, target: dict[str, Any], event: dict[str, Any], code: str, message: str) -> None:
    """An event EventBridge could not deliver and does not retry: to the target's dead-letter queue, if any."""
    queue_arn = target.get("DeadLetterConfig", {}).get("Arn")
    if not queue_arn:
        logger.error("rule %s could not deliver to %s: %s", rule.name, target["Arn"], message)
        return
    from moto.sqs.models import sqs_backends

    arn = parse_arn(queue_arn)
    backend = sqs_backends[arn.account][arn.region]
    queue = backend.get_queue(arn.resource_id)
    policy = json.loads(queue.policy) if queue.policy else None
    request = Request(EVENTS, "sqs:SendMessage", queue_arn, _source(rule))
    if iam_enforcement.is_enabled() and not (policy and evaluate([], request, policy).allowed):
        logger.error("rule %s: event dropped, %s refused it (%s)", rule.name, queue_arn, message)
        return
    attributes = {
        name: {"DataType": "String", "StringValue": value}
        for name, value in (
            ("RULE_ARN", rule.arn),
            ("TARGET_ARN", target["Arn"]),
            ("ERROR_CODE", code),
            ("ERROR_MESSAGE", message),
        )
    }
    backend.send_message(arn.resource_id, json.dumps(event), message_attributes=attributes)
