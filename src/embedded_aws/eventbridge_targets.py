"""Lets EventBridge rules start Step Functions executions (moto raises NotImplementedError for that target).

The state machine receives the event as its input, as on AWS. EventBridge starts it as the target's role: a
role that events.amazonaws.com may not assume, or that may not states:StartExecution on the state machine,
starts nothing (on AWS a failed invocation, retried and then dropped); the reason is logged. Other target
types keep moto's behaviour.
"""

from __future__ import annotations

import copy
import json
import logging
import uuid
from typing import Any

from moto.events.models import Rule
from moto.utilities.arns import parse_arn

from embedded_aws import iam_enforcement
from embedded_aws.service_roles import EVENTS

logger = logging.getLogger(__name__)
_original_send = Rule.send_to_targets


def install() -> None:
    Rule.send_to_targets = _send_to_targets


def uninstall() -> None:
    Rule.send_to_targets = _original_send


def _is_state_machine(target: dict[str, Any]) -> bool:
    arn = parse_arn(target["Arn"])
    return bool(arn.service == "states")


def _send_to_targets(self: Rule, original_event: Any, transform_input: bool = True) -> None:
    if self.state != "ENABLED":
        return  # moto delivers to disabled rules too; EventBridge does not
    machines = [t for t in self.targets if _is_state_machine(t)]
    others = [t for t in self.targets if not _is_state_machine(t)]
    if machines and self.event_pattern.matches_event(original_event):
        for target in machines:
            _start_execution(self, target, original_event)
    if others:
        rule = copy.copy(self)
        rule.targets = others
        _original_send(rule, original_event, transform_input)


def _start_execution(rule: Rule, target: dict[str, Any], event: dict[str, Any]) -> None:
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    document = dict(event)
    if isinstance(document.get("time"), int | float):
        # moto keeps the event time as a Unix timestamp; EventBridge delivers ISO-8601.
        from datetime import UTC, datetime

        document["time"] = datetime.fromtimestamp(document["time"], UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
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
