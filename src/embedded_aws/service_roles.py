"""Temporary credentials of the roles the services act as: Lambda for a function, Step Functions for a state
machine, EventBridge for a rule target, Glue for a crawler.

On AWS the service assumes the role the resource names, and only if the role's trust policy lets that service
assume it. Here the same happens through moto's STS backend. A service keeps its session for a role: after
moto forgets every session (a reset), the same session is registered again once the role exists and still
trusts the service, so handler modules and their clients stay valid across test stacks.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any

from moto.iam.models import iam_backends
from moto.sts.models import sts_backends

from embedded_aws.cfn_template import ACCOUNT_ID
from embedded_aws.iam_policy_evaluation import Request, conditions_hold, wildcard_match

LAMBDA = "lambda.amazonaws.com"
STATES = "states.amazonaws.com"
EVENTS = "events.amazonaws.com"
GLUE = "glue.amazonaws.com"


class RoleNotAssumable(Exception):
    """The role does not exist, or its trust policy does not let the service assume it."""


@dataclass(frozen=True)
class SessionCredentials:
    access_key_id: str
    secret_access_key: str
    session_token: str

    def as_client_arguments(self) -> dict[str, str]:
        return {
            "aws_access_key_id": self.access_key_id,
            "aws_secret_access_key": self.secret_access_key,
            "aws_session_token": self.session_token,
        }


_sessions: dict[tuple[str, str], Any] = {}
_lock = threading.Lock()


def credentials_for(role_arn: str, service: str, session_name: str | None = None) -> SessionCredentials:
    """The credentials `service` gets when it assumes `role_arn` (RoleNotAssumable if it may not)."""
    partition = role_arn.split(":")[1] if role_arn.startswith("arn:") else "aws"
    sts = sts_backends[ACCOUNT_ID][partition]
    with _lock:
        session = _sessions.get((role_arn, service))
        if session is None or not any(s is session for s in sts.assumed_roles):
            _check_trust(role_arn, service, partition)
            if session is None:
                session = sts.assume_role(
                    region_name="us-east-1",
                    role_session_name=(session_name or service.split(".")[0])[:64],
                    role_arn=role_arn,
                    policy=None,
                    duration=43200,
                    external_id=None,
                )
                _sessions[(role_arn, service)] = session
            else:
                sts.assumed_roles.append(session)
    return SessionCredentials(session.access_key_id, session.secret_access_key, session.session_token)


def _check_trust(role_arn: str, service: str, partition: str) -> None:
    try:
        role = iam_backends[ACCOUNT_ID][partition].get_role_by_arn(role_arn)
    except Exception as error:  # moto raises its NotFound for an unknown ARN
        raise RoleNotAssumable(f"{service} cannot assume {role_arn}: the role does not exist") from error
    trust = json.loads(role.assume_role_policy_document)
    request = Request(principal_arn=service, action="sts:AssumeRole", resource=role_arn)
    statements = trust.get("Statement", [])
    for statement in [statements] if isinstance(statements, dict) else statements:
        services = statement.get("Principal", {}).get("Service", []) if isinstance(statement, dict) else []
        actions = statement.get("Action", [])
        if (
            statement.get("Effect") == "Allow"
            and service in ([services] if isinstance(services, str) else services)
            and any(wildcard_match(a, "sts:AssumeRole", ignore_case=True) for a in _as_list(actions))
            and conditions_hold(statement.get("Condition", {}), request)
        ):
            return
    raise RoleNotAssumable(f"{service} cannot assume {role_arn}: its trust policy does not allow {service}")


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
