"""A state machine's own calls sign with its execution role, as on AWS.

moto's engine makes every Lambda invoke, SDK integration, ItemReader listing and ResultWriter upload through
`boto_client_for(region, service, state_credentials)`, signed with the fixed key "ak": with IAM enforced none
would be allowed, and without it none is checked. Here the client signs with the session Step Functions gets
by assuming the execution's role (`state_credentials.role_arn`, or the task's `Credentials.RoleArn`). Clients
are kept per service, region and session: creating one per task cost more than the task.
"""

from __future__ import annotations

import contextlib
import importlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import boto3
from botocore.client import BaseClient
from botocore.config import Config
from moto.settings import moto_server_port
from moto.stepfunctions.parser.asl.component.common.timeouts.timeout import TimeoutSeconds

from embedded_aws import iam_enforcement, service_roles
from embedded_aws.credentials import ADMIN_ACCESS_KEY_ID, ADMIN_SECRET_ACCESS_KEY

_PARSER = "moto.stepfunctions.parser.asl"
# Every module of moto's engine that imported `boto_client_for` by name.
_USERS = [
    f"{_PARSER}.utils.boto_client",
    f"{_PARSER}.component.state.exec.state_map.result_writer.resource_eval.resource_eval_s3",
    f"{_PARSER}.component.state.exec.state_map.item_reader.eval.resource_eval_s3",
    f"{_PARSER}.component.state.exec.state_task.lambda_eval_utils",
    *(
        f"{_PARSER}.component.state.exec.state_task.service.state_task_service_{name}"
        for name in ("unsupported", "glue", "events", "ecs", "sqs", "sfn", "dynamodb", "batch", "sns", "aws_sdk")
    ),
]
_clients: dict[tuple[str, str, str], BaseClient] = {}
_lock = threading.Lock()
_session = boto3.Session()


@contextmanager
def installed() -> Iterator[None]:
    try:
        with contextlib.ExitStack() as patches:
            for name in _USERS:
                patches.enter_context(mock.patch.object(importlib.import_module(name), "boto_client_for", client_for))
            yield
    finally:
        _clients.clear()


def client_for(region: str, service: str, state_credentials: Any = None) -> BaseClient:
    role_arn = getattr(state_credentials, "role_arn", None)
    if iam_enforcement.is_enabled() and role_arn:
        arguments = service_roles.credentials_for(role_arn, service_roles.STATES).as_client_arguments()
    else:
        arguments = {"aws_access_key_id": ADMIN_ACCESS_KEY_ID, "aws_secret_access_key": ADMIN_SECRET_ACCESS_KEY}
    key = (service, region, arguments["aws_access_key_id"])
    with _lock:
        if key not in _clients:
            _clients[key] = _session.client(
                service,
                region_name=region,
                endpoint_url=f"http://localhost:{moto_server_port()}",
                # As moto's engine configures them: the state's Retry, not the SDK, retries.
                config=Config(
                    parameter_validation=False,
                    retries={"max_attempts": 0, "total_max_attempts": 1},
                    connect_timeout=TimeoutSeconds.DEFAULT_TIMEOUT_SECONDS,
                    read_timeout=TimeoutSeconds.DEFAULT_TIMEOUT_SECONDS,
                ),
                **arguments,
            )
        return _clients[key]
