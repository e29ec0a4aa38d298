"""The error names and causes of AWS SDK integrations (`arn:aws:states:::aws-sdk:<service>:<action>`), as AWS
writes them.

AWS: "the resulting Error field will be composed of the service name and error name, separated by a period…
Both the service name and error name are in Pascal case", always with an `Exception` suffix. An error the
action does not model comes as `<Service>.<Service>Exception`: `S3.S3Exception` for an AccessDenied as well as
for a SlowDown (as measured on AWS by others), the cause ending `(Service: S3, Status Code: 403, Request ID: …)`.
moto wrote the service in lower case (`s3.NoSuchKeyException`, `Service: s3`) and named any error botocore
knows anywhere in the service (`s3.AccessDeniedException`), so a Retry or Catch written for AWS never matched.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import botocore.session
from botocore.exceptions import ClientError
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service_aws_sdk
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_aws_sdk import (
    StateTaskServiceAwsSdk,
)

# AWS's SDK names (Java v2 clients) of the services a state machine here may call, by their name in the
# aws-sdk resource ARN.
SERVICE_ERROR_NAMES = {
    "athena": "Athena",
    "dynamodb": "DynamoDb",
    "ec2": "Ec2",
    "ecs": "Ecs",
    "eventbridge": "EventBridge",
    "glue": "Glue",
    "iam": "Iam",
    "lambda": "Lambda",
    "s3": "S3",
    "sfn": "Sfn",
    "sns": "Sns",
    "sqs": "Sqs",
    "sts": "Sts",
}
# Where botocore's service model has another name than the resource ARN.
_BOTOCORE_NAMES = {"sfn": "stepfunctions", "eventbridge": "events"}
_names = state_task_service_aws_sdk._SERVICE_ERROR_NAMES
_original_exception_name = StateTaskServiceAwsSdk._normalise_exception_name


@contextmanager
def installed() -> Iterator[None]:
    with (
        mock.patch.dict(_names, SERVICE_ERROR_NAMES),
        mock.patch.object(StateTaskServiceAwsSdk, "_normalise_exception_name", staticmethod(_exception_name)),
    ):
        yield


def _exception_name(service_error_name: str, error: Exception) -> str:
    if not isinstance(error, ClientError):
        return str(_original_exception_name(service_error_name, error))
    code = str(error.response.get("Error", {}).get("Code", ""))
    service = next((name for name, pascal in SERVICE_ERROR_NAMES.items() if pascal == service_error_name), "")
    service = _BOTOCORE_NAMES.get(service, service)
    modeled = bool(service) and code in _operation_errors(service, error.operation_name)
    name = code if modeled else service_error_name
    return f"{service_error_name}.{name}" + ("" if name.endswith("Exception") else "Exception")


@functools.cache
def _operation_errors(service: str, operation: str) -> frozenset[str]:
    """The error codes the service model lists for this operation (what an SDK turns into its own exception)."""
    model: Any = botocore.session.get_session().get_service_model(service)
    try:
        shapes = model.operation_model(operation).error_shapes
    except Exception:  # an operation the model does not know: nothing is modelled
        return frozenset()
    return frozenset(shape.error_code or shape.name for shape in shapes)
