"""IAM enforced on every request to the embedded AWS, as AWS enforces it (on by default; `set_enabled(False)`
turns it off for a quick experiment).

moto can authenticate requests (INITIAL_NO_AUTH_ACTION_COUNT) but its authorization differs from AWS's in ways
that hide the defects this project must catch: see `iam_policy_evaluation` (conditions) and `iam_requests`
(actions and resources). Here moto still identifies the caller and checks the signature; the decision is ours:

- the caller is the administrator (`credentials.ADMIN_ACCESS_KEY_ID`, allowed everything), an IAM user, or a
  role session (the functions, state machines, rules and crawler, see `service_roles`);
- every permission the request needs is evaluated against the caller's policies and, for S3, the bucket policy;
- a denial answers as AWS does, naming the principal, the action and the resource:
  S3 `AccessDenied` (403), JSON services `AccessDeniedException`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from unittest import mock
from urllib.parse import parse_qs, urlparse

from botocore.credentials import Credentials
from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.exceptions import (
    AccessDeniedError,
    InvalidClientTokenIdError,
    JsonRESTError,
    SignatureDoesNotMatchError,
    _RESTError,
)
from moto.core.utils import get_service_model
from moto.iam import access_control
from moto.s3.exceptions import S3ClientError
from moto.s3.models import s3_backends

from embedded_aws.cfn_template import ACCOUNT_ID
from embedded_aws.credentials import ADMIN_ACCESS_KEY_ID, ADMIN_SECRET_ACCESS_KEY
from embedded_aws.iam_policy_evaluation import Decision, Request, evaluate
from embedded_aws.iam_requests import (
    QUERY_SERVICES,
    Check,
    RequestDescription,
    describe_json_service,
    describe_query_service,
    describe_s3,
)
from embedded_aws.service_roles import RoleNotAssumable, credentials_for

ADMIN_ARN = f"arn:aws:iam::{ACCOUNT_ID}:user/embedded-admin"
_ALLOW_EVERYTHING = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
_JSON_SERVICES = {"glue", "states", "lambda", "events", "logs", "athena", "xray", "cloudwatch", "sqs"}

_state = {"enabled": False}
_original_create_access_key = access_control.create_access_key


@dataclass(frozen=True)
class Principal:
    arn: str
    policies: tuple[dict[str, Any], ...]


ANONYMOUS = Principal("anonymous", ())


@contextmanager
def installed(enabled: bool = True) -> Iterator[None]:
    with (
        mock.patch.object(ActionAuthenticatorMixin, "_authenticate_and_authorize_action", _authorize),
        mock.patch.object(access_control, "create_access_key", _create_access_key),
        mock.patch.dict(_state, enabled=enabled),
    ):
        yield


def set_enabled(enabled: bool) -> None:
    _state["enabled"] = enabled


def is_enabled() -> bool:
    return bool(_state["enabled"])


# ---------- who is calling ----------
class _AdminAccessKey:
    """The administrator's key, shaped like moto's access keys (moto would refuse a key it did not issue)."""

    arn = ADMIN_ARN

    def create_credentials(self) -> Credentials:
        return Credentials(ADMIN_ACCESS_KEY_ID, ADMIN_SECRET_ACCESS_KEY)

    def collect_policies(self) -> list[Any]:
        return [json.dumps(_ALLOW_EVERYTHING)]


def _create_access_key(account_id: str, partition: str, access_key_id: str, headers: dict[str, str]) -> Any:
    if access_key_id == ADMIN_ACCESS_KEY_ID and "X-Amz-Security-Token" not in headers:
        return _AdminAccessKey()
    return _original_create_access_key(account_id, partition, access_key_id, headers)


def role_principal(role_arn: str, service: str) -> Principal:
    """The principal a service acts as when it calls with the role's session (for calls made without HTTP)."""
    credentials = credentials_for(role_arn, service)
    key = _create_access_key(
        ACCOUNT_ID, "aws", credentials.access_key_id, {"X-Amz-Security-Token": credentials.session_token}
    )
    return _principal_of(key)


class ServiceCallDenied(Exception):
    """A call a service makes without HTTP (EventBridge starting an execution, a Map Run starting children)."""


def authorize_role_call(role_arn: str | None, service: str, action: str, resource: str) -> None:
    """Raise ServiceCallDenied unless `service`, acting as `role_arn`, may do `action` on `resource`."""
    if not is_enabled():
        return
    if not role_arn:
        raise ServiceCallDenied(f"{service} has no role to call {action} on {resource}")
    try:
        principal = role_principal(role_arn, service)
    except RoleNotAssumable as error:
        raise ServiceCallDenied(str(error)) from error
    check = Check(action, resource)
    decision = decide(principal, check, request_context(principal, resource.split(":")[3] or "us-east-1"))
    if not decision.allowed:
        raise ServiceCallDenied(denial_message(principal, check, decision, quote_resource=False))


def _identify(response: Any, iam_request_cls: type) -> Principal:
    headers = response.headers
    if "Authorization" in headers:
        parsed = urlparse(response.uri)
        path = response.raw_path + (f"?{parsed.query}" if parsed.query else "")
        request = iam_request_cls(
            account_id=response.current_account,
            method=response.method,
            path=path,
            # moto signs `body or data`: for a bodiless REST call its data holds the URI's parameters, which the
            # client never signed as a payload.
            data={} if _is_bodiless_rest_call(response, iam_request_cls) else response.data,
            body=response.raw_body,
            headers=headers,
            action=response._get_action(),
        )
        request.check_signature()
        key = request._access_key
        return _principal_of(key)
    query = parse_qs(urlparse(response.uri).query)
    if "X-Amz-Credential" in query:  # a presigned URL: its signature is not verified here
        key_id = query["X-Amz-Credential"][0].split("/")[0]
        token = {"X-Amz-Security-Token": query["X-Amz-Security-Token"][0]} if "X-Amz-Security-Token" in query else {}
        try:
            key = _create_access_key(response.current_account, "aws", key_id, token)
        except access_control.CreateAccessKeyFailure:
            return ANONYMOUS
        return _principal_of(key)
    return ANONYMOUS


def _is_bodiless_rest_call(response: Any, iam_request_cls: type) -> bool:
    """A REST call without a body (Lambda's GETs, an Invoke without payload): the client signed an empty body."""
    if iam_request_cls is access_control.S3IAMRequest or response.raw_body:
        return False
    return get_service_model(response.boto3_service_name).protocol in ("rest-json", "rest-xml")


def _principal_of(access_key: Any) -> Principal:
    return Principal(access_key.arn, tuple(_document(p) for p in access_key.collect_policies()))


def _document(policy: Any) -> dict[str, Any]:
    """moto hands policies out as JSON text, as {"policy_document": ...} or as managed policy objects."""
    if isinstance(policy, str):
        document: Any = policy
    elif isinstance(policy, dict):
        document = policy["policy_document"]
    else:
        document = next(v.document for v in policy.versions if v.is_default)
    return json.loads(document) if isinstance(document, str) else dict(document)


# ---------- the decision ----------
def _authorize(self: Any, iam_request_cls: type, resource: str = "*") -> None:
    if not _state["enabled"] or self.headers.get("X-Amz-Target") in ActionAuthenticatorMixin.PUBLIC_OPERATIONS:
        return
    service, region = _scope(self)
    try:
        principal = _identify(self, iam_request_cls)
    except (InvalidClientTokenIdError, SignatureDoesNotMatchError) as refused:
        raise (_in_json(refused) if service in _JSON_SERVICES else refused) from None
    description = _describe(self, service, region, resource)
    context = request_context(principal, region) | description.context
    for check in description.checks:
        if check.action == "sts:GetCallerIdentity":
            continue  # AWS allows it to everyone, even against an explicit deny
        decision = decide(principal, check, context)
        if not decision.allowed:
            raise access_denied(service, principal, check, decision)
    # Read by the S3 patch that answers 403 instead of 404 to callers that may not list the bucket.
    self.embedded_principal = principal
    self.embedded_context = context


def decide(principal: Principal, check: Check, context: dict[str, list[str]]) -> Decision:
    request = Request(principal.arn, check.action, check.resource, context)
    return evaluate(principal.policies, request, _resource_policy(check))


def request_context(principal: Principal, region: str) -> dict[str, list[str]]:
    # The loopback HTTP endpoint stands for AWS's TLS endpoint: requests count as secure transport.
    context = {"aws:SecureTransport": ["true"], "aws:RequestedRegion": [region]}
    if principal is not ANONYMOUS:
        context |= {"aws:PrincipalArn": [_principal_arn_key(principal.arn)], "aws:PrincipalAccount": [ACCOUNT_ID]}
    return context


def _principal_arn_key(arn: str) -> str:
    """aws:PrincipalArn of a role session is the role's ARN."""
    if ":assumed-role/" in arn:
        account, role = arn.split(":")[4], arn.split("/")[1]
        return f"arn:aws:iam::{account}:role/{role}"
    return arn


def _scope(response: Any) -> tuple[str, str]:
    """The signing service and region, from the Authorization header's credential scope."""
    authorization = response.headers.get("Authorization", "")
    credential = authorization.partition("Credential=")[2].partition(",")[0]
    if not credential:
        credential = parse_qs(urlparse(response.uri).query).get("X-Amz-Credential", [""])[0]
    parts = credential.split("/")
    if len(parts) >= 4:
        return parts[3], parts[2]
    return str(getattr(response, "service_name", "s3")), str(getattr(response, "region", "us-east-1"))


def _describe(response: Any, service: str, region: str, resource: str) -> RequestDescription:
    if service == "s3":
        moto_action = str(response.data.get("Action", "")) if isinstance(response.data, dict) else ""
        return describe_s3(response.method, response.uri, response.headers, response.raw_body, resource, moto_action)
    operation = response._get_action()
    if service in QUERY_SERVICES:
        return describe_query_service(service, operation, response.uri, response.data, region, ACCOUNT_ID)
    return describe_json_service(service, operation, response.uri, response.raw_body, region, ACCOUNT_ID)


def _resource_policy(check: Check) -> dict[str, Any] | None:
    if not check.resource.startswith("arn:aws:s3:::"):
        return None
    bucket_name = check.resource.removeprefix("arn:aws:s3:::").split("/", 1)[0]
    bucket = s3_backends[ACCOUNT_ID]["aws"].buckets.get(bucket_name)
    if bucket is None or not bucket.policy:
        return None
    policy: dict[str, Any] = json.loads(bucket.policy)
    return policy


# ---------- the answer ----------
class S3AccessDenied(S3ClientError):  # type: ignore[misc]  # moto is untyped here
    code = "AccessDenied"


class JsonServiceError(JsonRESTError):  # type: ignore[misc]  # moto is untyped here
    """An authorization failure in a JSON protocol service's words (AccessDeniedException and the like)."""

    def __init__(self, error_type: str, message: str, status: int = 400) -> None:
        super().__init__(error_type, message)
        self.code = status


class SnsAuthorizationError(_RESTError):  # type: ignore[misc]  # moto is untyped here
    """SNS's word for a denied call (AuthorizationErrorException, HTTP 403), in the query protocol's XML."""

    code = 403

    def __init__(self, message: str) -> None:
        super().__init__("AuthorizationError", message)


def _in_json(refused: Exception) -> Exception:
    """moto words an unknown key or a wrong signature in XML; JSON services answer as AWS's do."""
    if isinstance(refused, InvalidClientTokenIdError):
        return JsonServiceError("UnrecognizedClientException", "The security token included in the request is invalid.")
    return JsonServiceError(
        "InvalidSignatureException", "The request signature we calculated does not match the signature you provided."
    )


def denial_message(principal: Principal, check: Check, decision: Decision, *, quote_resource: bool) -> str:
    resource = f'"{check.resource}"' if quote_resource else check.resource
    reason = (
        f"because no identity-based policy allows the {check.action} action"
        if decision is Decision.IMPLICIT_DENY
        else f"with an {decision.value}"
    )
    return f"User: {principal.arn} is not authorized to perform: {check.action} on resource: {resource} {reason}"


def access_denied(service: str, principal: Principal, check: Check, decision: Decision) -> Exception:
    if service == "s3":
        return S3AccessDenied(denial_message(principal, check, decision, quote_resource=True))
    message = denial_message(principal, check, decision, quote_resource=False)
    if service == "sns":  # SNS's own error for a denied call (AuthorizationErrorException: 403)
        return SnsAuthorizationError(message)
    if service in _JSON_SERVICES:
        return JsonServiceError("AccessDeniedException", message, status=403 if service == "lambda" else 400)
    error: Exception = AccessDeniedError(user_arn=principal.arn, action=f"{check.action} on resource: {check.resource}")
    return error
