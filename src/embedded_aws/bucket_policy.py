"""Makes a TLS-only bucket policy usable on the embedded endpoint.

moto evaluates bucket policies but ignores their conditions, so the template's
`Deny s3:* when aws:SecureTransport is false` denies every request. The embedded endpoint is plain HTTP on
loopback standing in for AWS's TLS endpoint: requests to it count as secure transport, so a statement that
applies only to insecure transport is left out of the evaluation. Every other statement is evaluated by moto.

moto runs this check before a request is authorized and answers a denial with an empty 403. With IAM
enforced, `iam_enforcement` evaluates the bucket policy itself, for the caller and with the request's
condition keys, and answers a denial as S3 does; here only what the policy grants anyone is reported.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from moto.iam.access_control import IAMPolicy, PermissionResult
from moto.s3.models import FakeBucket

from embedded_aws import iam_enforcement
from embedded_aws.iam_policy_evaluation import Request, evaluate


@contextmanager
def installed() -> Iterator[None]:
    with mock.patch.multiple(FakeBucket, get_permission=_get_permission):
        yield


def applies_only_to_insecure_transport(statement: dict[str, Any]) -> bool:
    """True for a condition that is exactly `aws:SecureTransport is false`, in any spelling IAM accepts."""
    condition = statement.get("Condition", {})
    if list(condition) != ["Bool"] or len(condition["Bool"]) != 1:
        return False
    (key, value), *_ = condition["Bool"].items()
    values = value if isinstance(value, list) else [value]
    return key.lower() == "aws:securetransport" and [str(v).lower() for v in values] == ["false"]


def _get_permission(self: FakeBucket, action: str, resource: str) -> Any:
    if self.policy is None:
        return PermissionResult.NEUTRAL
    document = json.loads(self.policy)
    if iam_enforcement.is_enabled():
        anyone = Request("anonymous", action, resource, {"aws:SecureTransport": ["true"]})
        return PermissionResult.PERMITTED if evaluate([], anyone, document).allowed else PermissionResult.NEUTRAL
    statements = document.get("Statement", [])
    statements = [statements] if isinstance(statements, dict) else statements
    kept = [s for s in statements if not applies_only_to_insecure_transport(s)]
    return IAMPolicy(json.dumps({**document, "Statement": kept})).is_action_permitted(action, resource)
