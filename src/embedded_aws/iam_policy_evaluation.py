"""IAM policy evaluation for requests within one account, as AWS documents it.

moto's evaluator treats an Allow statement whose condition does not hold as an explicit deny, ignores every
condition operator but StringEquals, and has no request context (so `s3:prefix` conditions never hold). This
module evaluates what the embedded AWS needs instead:

- an explicit Deny in any applicable policy wins; otherwise an Allow in an identity-based policy or in the
  resource's policy (same-account requests) allows; otherwise the request is implicitly denied;
- Action/NotAction (case-insensitive), Resource/NotResource and Principal/NotPrincipal with `*` and `?`;
- Condition blocks: every operator must hold (AND), every key of an operator (AND), any value of a key (OR);
  the `...IfExists` suffix, the `ForAnyValue:`/`ForAllValues:` prefixes, and AWS's rule for missing keys
  (false, except for negated operators, which are true).

An operator this module does not know raises `UnsupportedPolicy`, so nothing passes by being ignored.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache
from typing import Any


class UnsupportedPolicy(ValueError):
    """A policy uses an element or operator the embedded AWS does not evaluate."""


class Decision(Enum):
    ALLOWED = "allowed"
    IMPLICIT_DENY = "implicit deny"
    EXPLICIT_DENY_IDENTITY = "explicit deny in an identity-based policy"
    EXPLICIT_DENY_RESOURCE = "explicit deny in a resource-based policy"

    @property
    def allowed(self) -> bool:
        return self is Decision.ALLOWED


@dataclass(frozen=True)
class Request:
    """One action on one resource by one principal, with the condition keys the request carries."""

    principal_arn: str
    action: str  # "s3:GetObjectVersion"
    resource: str  # an ARN, or "*" for actions without resource types
    context: Mapping[str, Sequence[str]] = field(default_factory=dict)

    def value(self, key: str) -> Sequence[str] | None:
        """Condition keys are case-insensitive."""
        for name, values in self.context.items():
            if name.lower() == key.lower():
                return values
        return None


def evaluate(
    identity_policies: Iterable[Mapping[str, Any]], request: Request, resource_policy: Mapping[str, Any] | None = None
) -> Decision:
    identity = [_effect(statement, request, is_resource_policy=False) for statement in _statements(identity_policies)]
    resource = (
        [_effect(statement, request, is_resource_policy=True) for statement in _statements([resource_policy])]
        if resource_policy
        else []
    )
    if "Deny" in identity:
        return Decision.EXPLICIT_DENY_IDENTITY
    if "Deny" in resource:
        return Decision.EXPLICIT_DENY_RESOURCE
    if "Allow" in identity or "Allow" in resource:
        return Decision.ALLOWED
    return Decision.IMPLICIT_DENY


def _statements(policies: Iterable[Mapping[str, Any] | None]) -> Iterable[Mapping[str, Any]]:
    for policy in policies:
        if not policy:
            continue
        statements = policy.get("Statement", [])
        yield from [statements] if isinstance(statements, Mapping) else statements


def _effect(statement: Mapping[str, Any], request: Request, *, is_resource_policy: bool) -> str | None:
    """The statement's Effect if it applies to the request, else None."""
    applies = (
        _element_matches(statement, "Action", request.action, ignore_case=True)
        and _element_matches(statement, "Resource", request.resource, ignore_case=False)
        and (not is_resource_policy or _principal_matches(statement, request.principal_arn))
        and conditions_hold(statement.get("Condition", {}), request)
    )
    return str(statement["Effect"]) if applies else None


def _element_matches(statement: Mapping[str, Any], name: str, value: str, *, ignore_case: bool) -> bool:
    if name in statement:
        return any(wildcard_match(p, value, ignore_case=ignore_case) for p in _as_list(statement[name]))
    if f"Not{name}" in statement:
        return not any(wildcard_match(p, value, ignore_case=ignore_case) for p in _as_list(statement[f"Not{name}"]))
    return False  # a statement without the element never applies (IAM refuses such policies)


def _principal_matches(statement: Mapping[str, Any], principal_arn: str) -> bool:
    if "Principal" in statement:
        return _names_principal(statement["Principal"], principal_arn)
    if "NotPrincipal" in statement:
        return not _names_principal(statement["NotPrincipal"], principal_arn)
    return False


def _names_principal(element: Any, principal_arn: str) -> bool:
    """`principal_arn` is an IAM ARN, or a service principal (`events.amazonaws.com`) when a service acts itself
    (EventBridge delivering to a queue or invoking a function, which resource policies name under "Service")."""
    if element == "*":
        return True
    if not isinstance(element, Mapping):
        raise UnsupportedPolicy(f"Principal {element!r}")
    if not principal_arn.startswith("arn:"):
        return principal_arn in _as_list(element.get("Service", []))
    names = _as_list(element.get("AWS", []))
    account = principal_arn.split(":")[4]
    role = _role_arn_of_session(principal_arn)
    return any(name in ("*", principal_arn, role, account, f"arn:aws:iam::{account}:root") for name in names)


def _role_arn_of_session(principal_arn: str) -> str | None:
    """arn:aws:sts::1:assumed-role/Role/session -> arn:aws:iam::1:role/Role (a policy naming a role covers its
    sessions)."""
    match = re.fullmatch(r"arn:([^:]+):sts::(\d+):assumed-role/([^/]+)/.+", principal_arn)
    return f"arn:{match[1]}:iam::{match[2]}:role/{match[3]}" if match else None


# ---------- conditions ----------
def conditions_hold(conditions: Mapping[str, Mapping[str, Any]], request: Request) -> bool:
    return all(
        _condition_holds(operator, key, _as_list(values), request)
        for operator, keys in conditions.items()
        for key, values in keys.items()
    )


def _condition_holds(operator: str, key: str, policy_values: list[Any], request: Request) -> bool:
    qualifier, _, name = operator.rpartition(":")
    if_exists = name.endswith("IfExists") and name != "IfExists"
    name = name.removesuffix("IfExists") if if_exists else name
    if name == "Null":
        is_missing = request.value(key) is None
        return any(str(v).lower() == ("true" if is_missing else "false") for v in policy_values)
    test, negated = _operator(name)
    request_values = request.value(key)
    if request_values is None or (qualifier and not request_values):
        # AWS: a missing key does not match, so a negated operator holds; IfExists holds when the key is absent.
        return True if if_exists else negated or qualifier == "ForAllValues"
    policy_strings = [_as_string(v) for v in policy_values]

    def matches(value: str) -> bool:
        return any(test(p, value) for p in policy_strings)

    if qualifier == "ForAllValues":
        return all(matches(v) != negated for v in request_values)
    if qualifier == "ForAnyValue":
        return any(matches(v) != negated for v in request_values)
    if qualifier:
        raise UnsupportedPolicy(f"condition qualifier {qualifier!r}")
    found = any(matches(v) for v in request_values)
    return not found if negated else found


_TESTS: dict[str, Callable[[str, str], bool]] = {
    "StringEquals": lambda p, v: p == v,
    "StringEqualsIgnoreCase": lambda p, v: p.lower() == v.lower(),
    "StringLike": lambda p, v: wildcard_match(p, v, ignore_case=False),
    "ArnEquals": lambda p, v: _arn_like(p, v),
    "ArnLike": lambda p, v: _arn_like(p, v),
    "Bool": lambda p, v: p.lower() == v.lower(),
    "NumericEquals": lambda p, v: float(v) == float(p),
    "NumericLessThan": lambda p, v: float(v) < float(p),
    "NumericLessThanEquals": lambda p, v: float(v) <= float(p),
    "NumericGreaterThan": lambda p, v: float(v) > float(p),
    "NumericGreaterThanEquals": lambda p, v: float(v) >= float(p),
}
_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
    "NumericNotEquals": "NumericEquals",
}


def _operator(name: str) -> tuple[Callable[[str, str], bool], bool]:
    """The positive test behind an operator, and whether the operator negates it."""
    if name in _TESTS:
        return _TESTS[name], False
    if name in _NEGATED:
        return _TESTS[_NEGATED[name]], True
    raise UnsupportedPolicy(f"condition operator {name!r}")


def _arn_like(pattern: str, arn: str) -> bool:
    """ARNs compare segment by segment (the resource segment keeps its colons)."""
    pattern_parts, arn_parts = pattern.split(":", 5), arn.split(":", 5)
    return len(pattern_parts) == len(arn_parts) and all(
        wildcard_match(p, a, ignore_case=False) for p, a in zip(pattern_parts, arn_parts, strict=True)
    )


# ---------- matching ----------
def wildcard_match(pattern: str, value: str, *, ignore_case: bool) -> bool:
    return _compiled(pattern, ignore_case).fullmatch(value) is not None


@lru_cache(maxsize=4096)
def _compiled(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(regex, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _as_string(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)
