"""Fault injection at the AWS API: the endpoint answers chosen calls with a throttling or server error.

Every client (the functions' boto3 clients, the crawl emulator, the CLI) sees what AWS would send: an HTTP 503
`SlowDown` from S3, a 400 `ThrottlingException` from a JSON API, a 500 `InternalError`... so the SDKs' own retries
are what gets tested. A fault names the service and operation, optionally a part of the request path (an S3 key
prefix), and lasts for COUNT calls or until cleared.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from unittest import mock
from urllib.parse import parse_qs

from moto.moto_server.werkzeug_app import DomainDispatcherApplication

_original_call = DomainDispatcherApplication.__call__
# Status of the errors the tests use; any other error name is sent as a 400.
_STATUS = {
    "SlowDown": 503,
    "ServiceUnavailable": 503,
    "InternalError": 500,
    "ThrottlingException": 400,
    "AccessDenied": 403,
}


@dataclass
class ApiFault:
    service: str  # as in the request signature: s3, glue, states, lambda...
    operation: str  # GetObject, PutObject, StartCrawler...
    error: str
    remaining: int | None  # None: until cleared
    path_contains: str = ""


class ApiFaultInjector:
    def __init__(self) -> None:
        self._faults: list[ApiFault] = []
        self._lock = threading.Lock()
        self.injected: list[tuple[str, str, str]] = []  # (service, operation, error), oldest first

    @contextmanager
    def installed(self) -> Iterator[None]:
        injector = self

        def call(app: DomainDispatcherApplication, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
            fault = injector._take(environ)
            if fault is None:
                return _original_call(app, environ, start_response)
            return _error_response(fault, start_response)

        with mock.patch.object(DomainDispatcherApplication, "__call__", call):
            yield

    def fail(self, service: str, operation: str, error: str, count: int | None = None, path_contains: str = "") -> None:
        with self._lock:
            self._faults.append(ApiFault(service, operation, error, count, path_contains))

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
            self.injected.clear()

    def _take(self, environ: dict[str, Any]) -> ApiFault | None:
        if not self._faults:  # every request passes here: classify it only when a fault may match
            return None
        service, operation = request_service(environ), request_operation(environ)
        path = environ.get("PATH_INFO", "")
        with self._lock:
            for fault in self._faults:
                if (fault.service, fault.operation) == (service, operation) and fault.path_contains in path:
                    if fault.remaining is not None:
                        fault.remaining -= 1
                        if fault.remaining <= 0:
                            self._faults.remove(fault)
                    self.injected.append((service, operation, fault.error))
                    return fault
        return None


def request_service(environ: dict[str, Any]) -> str:
    """The service a SigV4-signed request is for: `Credential=<key>/<date>/<region>/<service>/aws4_request`."""
    authorization = environ.get("HTTP_AUTHORIZATION", "")
    scope = authorization.partition("Credential=")[2].split(",")[0].split("/")
    return scope[3] if len(scope) > 3 else ""


def request_operation(environ: dict[str, Any]) -> str:
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:  # JSON protocols: "AWSGlue.StartCrawler"
        return str(target).rsplit(".", 1)[-1]
    if request_service(environ) == "s3":
        return _s3_operation(environ)
    return ""


def _s3_operation(environ: dict[str, Any]) -> str:
    """The S3 object operations the pipeline uses, multipart steps included (path-style requests: /<bucket>/<key>)."""
    method = environ.get("REQUEST_METHOD", "")
    has_key = "/" in environ.get("PATH_INFO", "").lstrip("/")
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    copy = "HTTP_X_AMZ_COPY_SOURCE" in environ
    if not has_key:
        if method == "GET" and "versions" in query:
            return "ListObjectVersions"
        return "ListObjectsV2" if method == "GET" and query.get("list-type") == ["2"] else ""
    if "uploadId" in query:  # a step of a multipart upload (or copy)
        steps = {
            "PUT": "UploadPartCopy" if copy else "UploadPart",
            "POST": "CompleteMultipartUpload",
            "DELETE": "AbortMultipartUpload",
            "GET": "ListParts",
        }
        return steps.get(method, "")
    if method == "POST" and "uploads" in query:
        return "CreateMultipartUpload"
    if method == "PUT":
        return "CopyObject" if copy else "PutObject"
    return {"GET": "GetObject", "HEAD": "HeadObject", "DELETE": "DeleteObject"}.get(method, "")


def _error_response(fault: ApiFault, start_response: Callable[..., Any]) -> Iterable[bytes]:
    status = _STATUS.get(fault.error, 400)
    message = f"injected fault: {fault.error}"
    if fault.service == "s3":
        body = f"<Error><Code>{fault.error}</Code><Message>{message}</Message></Error>".encode()
        content_type = "application/xml"
    else:
        body = json.dumps({"__type": fault.error, "message": message}).encode()
        content_type = "application/x-amz-json-1.1"
    # Every AWS answer carries a request id (S3: x-amz-request-id and x-amz-id-2), errors included.
    request_id = uuid.uuid4().hex.upper()[:16]
    ids = [("x-amz-request-id", request_id), ("x-amz-id-2", request_id)] if fault.service == "s3" else []
    headers = [("Content-Type", content_type), ("Content-Length", str(len(body))), ("x-amzn-RequestId", request_id)]
    start_response(f"{status} Injected", headers + ids)
    return [body]
