"""AWS managed policies (`arn:aws:iam::aws:policy/...`), each created in the account the first time it is used.

moto knows AWS managed policies only all at once: with `MOTO_IAM_LOAD_MANAGED_POLICIES` it builds all 1,582 of
them on every IAM backend init and reset (the tests reset before every deploy).
Without it, attaching `AWSLambdaBasicExecutionRole`, as SAM does to every function role, fails with
NoSuchEntity. Here moto's own data file is parsed once per process, and a policy it lists is created in the IAM
backend when it is first attached (or read with GetPolicy). An ARN it does not list is still refused with
NoSuchEntity, as AWS refuses it.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from moto.iam.aws_managed_policies import aws_managed_policies_data
from moto.iam.models import AWSManagedPolicy, IAMBackend

_AWS_MANAGED_ARN = re.compile(r"arn:[a-z-]+:iam::aws:policy(/.+)")
_original_attach_role_policy = IAMBackend.attach_role_policy
_original_attach_user_policy = IAMBackend.attach_user_policy
_original_attach_group_policy = IAMBackend.attach_group_policy
_original_get_policy = IAMBackend.get_policy


@contextmanager
def installed() -> Iterator[None]:
    with mock.patch.multiple(
        IAMBackend,
        attach_role_policy=_attach_role_policy,
        attach_user_policy=_attach_user_policy,
        attach_group_policy=_attach_group_policy,
        get_policy=_get_policy,
    ):
        yield


@functools.cache
def _known_policies() -> dict[str, tuple[str, dict[str, Any]]]:
    """moto's data file keyed by path + name (`/service-role/AWSLambdaBasicExecutionRole`) -> (name, data)."""
    data: dict[str, dict[str, Any]] = json.loads(aws_managed_policies_data)
    return {f"{policy['Path']}{name}": (name, policy) for name, policy in data.items()}


def ensure_policy(backend: IAMBackend, policy_arn: str) -> None:
    """Creates the AWS managed policy `policy_arn` in `backend` if moto's data lists it and it is not there yet."""
    match = _AWS_MANAGED_ARN.fullmatch(policy_arn)
    if policy_arn in backend.managed_policies or match is None or match.group(1) not in _known_policies():
        return
    name, data = _known_policies()[match.group(1)]
    policy = AWSManagedPolicy.from_data(name, backend.account_id, backend.region_name, data)
    if policy.arn == policy_arn:  # same partition as the backend's
        backend.aws_managed_policies.append(policy)
        backend.managed_policies[policy.arn] = policy


def _attach_role_policy(self: IAMBackend, policy_arn: str, role_name: str) -> None:
    ensure_policy(self, policy_arn)
    _original_attach_role_policy(self, policy_arn, role_name)


def _attach_user_policy(self: IAMBackend, policy_arn: str, user_name: str) -> None:
    ensure_policy(self, policy_arn)
    _original_attach_user_policy(self, policy_arn, user_name)


def _attach_group_policy(self: IAMBackend, policy_arn: str, group_name: str) -> None:
    ensure_policy(self, policy_arn)
    _original_attach_group_policy(self, policy_arn, group_name)


def _get_policy(self: IAMBackend, policy_arn: str) -> Any:
    ensure_policy(self, policy_arn)
    return _original_get_policy(self, policy_arn)
