"""The embedded AWS: moto server on 127.0.0.1, this project's patches, the stack deployed from template.yaml."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

import requests
from moto.core.config import default_user_config
from moto.server import ThreadedMotoServer

from embedded_aws import (
    DEFAULT_LAMBDA_CONCURRENCY,
    athena_queries,
    aws_managed_policies,
    bucket_policy,
    clock,
    cloudformation_stack,
    distributed_map,
    eventbridge_targets,
    execution_events,
    execution_history,
    execution_json,
    execution_listing,
    execution_stop,
    glue_crawls,
    iam_enforcement,
    json_paths,
    lambda_async,
    lambda_runtime,
    mocked_responses,
    powertools_state,
    redrive,
    s3_copy_limit,
    s3_delete_marker_events,
    s3_event_sequencers,
    s3_item_reader,
    s3_key_limit,
    s3_missing_objects,
    s3_multipart_events,
    s3_version_listing,
    sdk_integration_errors,
    sqs_message_cost,
    start_execution,
    state_machine_definitions,
    state_machine_role,
)
from embedded_aws.api_faults import ApiFaultInjector
from embedded_aws.credentials import ADMIN_ACCESS_KEY_ID, ADMIN_SECRET_ACCESS_KEY
from embedded_aws.deploy import StackDeployer
from embedded_aws.faults import FaultInjector
from embedded_aws.glue_crawls import CrawlTimeModel
from embedded_aws.mocked_responses import MOCK_CONFIG_ENV

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = PROJECT_ROOT / "template.yaml"


# `EMBEDDED_AWS_IAM=off` (or `orders-etl local start --no-iam`) lets every signed request through, unchecked.
IAM_ENV = "EMBEDDED_AWS_IAM"


def _mock_config_from_env() -> Path | None:
    path = os.environ.get(MOCK_CONFIG_ENV)
    return Path(path) if path else None


def _iam_from_env() -> bool:
    return os.environ.get(IAM_ENV, "on").lower() not in ("off", "0", "false", "no")


class PortInUse(OSError):
    """Something already listens on the port asked for (another embedded AWS, say)."""


@contextlib.contextmanager
def _environment_variable(name: str, value: str) -> Iterator[None]:
    """`name` set to `value`, then as it was (absent or its value) on leaving."""
    before = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before


def check_port_free(port: int) -> None:
    """PortInUse when a listener holds `port` on 127.0.0.1 (0, any free port, always is). moto's server thread
    would fail on it and leave its caller waiting for a server that never comes up."""
    if port == 0:
        return
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds: TIME_WAIT is no owner
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as error:
            raise PortInUse(error.errno, f"port {port} is in use") from error


@dataclass
class EmbeddedAws:
    """Start with `start()`, deploy with `deploy()`; `endpoint_url` is what AWS clients point at."""

    port: int = 0
    time_scale: float = 0.02
    lambda_concurrency: int = DEFAULT_LAMBDA_CONCURRENCY
    # How long a crawl takes, in AWS seconds (run at time_scale like the waits): see glue_crawls.CrawlTimeModel.
    crawl_time: CrawlTimeModel = field(default_factory=CrawlTimeModel)
    stack_name: str = "orders-etl"
    region: str = "us-east-1"
    # A Step Functions Local MockConfigFile for executions started as `<stateMachineArn>#<TestCase>`.
    mock_config: Path | None = field(default_factory=_mock_config_from_env)
    # IAM enforced as on AWS: the functions, state machines, rules and crawler act as their template roles.
    enforce_iam: bool = field(default_factory=_iam_from_env)
    endpoint_url: str = field(init=False, default="")
    faults: FaultInjector = field(init=False, default_factory=FaultInjector)
    api_faults: ApiFaultInjector = field(init=False, default_factory=ApiFaultInjector)
    _server: ThreadedMotoServer | None = field(init=False, default=None)
    _patches: contextlib.ExitStack = field(init=False, default_factory=contextlib.ExitStack)

    def start(self) -> EmbeddedAws:
        # Clients this process creates without credentials of their own sign as the administrator.
        os.environ.setdefault("AWS_ACCESS_KEY_ID", ADMIN_ACCESS_KEY_ID)
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", ADMIN_SECRET_ACCESS_KEY)
        os.environ.setdefault("AWS_DEFAULT_REGION", self.region)
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
        # The engine logs every failed state with its whole parse tree; execution history has the same facts.
        logging.getLogger("moto.stepfunctions.parser").setLevel(logging.CRITICAL)
        check_port_free(self.port)
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.port = port
        self.endpoint_url = f"http://{host}:{port}"
        self._patches.enter_context(mock.patch.dict(default_user_config["stepfunctions"], execute_state_machine=True))
        # moto's Step Functions engine calls Lambda and the SDK integrations back through this port (until stop:
        # another embedded AWS in the process, stopped, would leave its executions calling a closed port).
        self._patches.enter_context(_environment_variable("MOTO_PORT", str(port)))
        for patch in self._patches_in_order():
            self._patches.enter_context(patch)
        return self

    def _patches_in_order(self) -> list[AbstractContextManager[None]]:
        """Each module's patch, entered in this order (a later one may wrap what an earlier one patched)."""
        return [
            iam_enforcement.installed(enabled=self.enforce_iam),
            s3_missing_objects.installed(),
            state_machine_role.installed(),
            lambda_runtime.installed(self.endpoint_url, self.lambda_concurrency),
            powertools_state.installed(),
            lambda_async.installed(),
            eventbridge_targets.installed(),
            execution_events.installed(),
            execution_history.installed(),
            execution_listing.installed(),
            execution_stop.installed(),
            s3_event_sequencers.installed(),
            s3_delete_marker_events.installed(),
            s3_key_limit.installed(),
            s3_multipart_events.installed(),  # after s3_key_limit: it wraps that put_object
            s3_copy_limit.installed(),
            s3_version_listing.installed(),
            sdk_integration_errors.installed(),
            sqs_message_cost.installed(),
            bucket_policy.installed(),
            aws_managed_policies.installed(),
            cloudformation_stack.installed(self.endpoint_url),
            glue_crawls.installed(self.endpoint_url, self.crawl_time),
            athena_queries.installed(self.endpoint_url),
            clock.installed(self.time_scale),
            start_execution.installed(self.mock_config),
            distributed_map.installed(),
            s3_item_reader.installed(),
            json_paths.installed(),
            mocked_responses.installed(),
            redrive.installed(),
            execution_json.installed(),  # after redrive: it wraps its DescribeExecution and history
            state_machine_definitions.installed(),
            self.faults.installed(),
            self.api_faults.installed(),
        ]

    def deploy(self, parameter_overrides: dict[str, str] | None = None, template: Path = TEMPLATE) -> dict[str, str]:
        deployer = StackDeployer(
            template_path=template,
            endpoint_url=self.endpoint_url,
            stack_name=self.stack_name,
            region=self.region,
            parameter_overrides=parameter_overrides or {},
        )
        return deployer.deploy()

    def reset(self) -> None:
        """Forget every resource (moto's reset), keeping the server and the patches."""
        lambda_async.forget_pending()  # retries of functions that are about to be gone
        execution_events.forget_sent()
        requests.post(f"{self.endpoint_url}/moto-api/reset", timeout=10).raise_for_status()

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
        self._patches.close()  # in the reverse order of entering

    def __enter__(self) -> EmbeddedAws:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
