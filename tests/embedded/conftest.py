"""Fixtures for the embedded AWS patch tests: a wiped endpoint and small helpers to build resources on it."""

from __future__ import annotations

import io
import json
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest

from embedded_aws import iam_enforcement
from embedded_aws.credentials import admin_client
from embedded_aws.server import EmbeddedAws

REGION = "us-east-1"
T = TypeVar("T")

# Fails with Flaky on its first `FAILURES` calls, then reports how many calls it took. The module is imported once
# per function code, so the counter lives as long as the function; the uuid makes the code (and counter) unique.
FLAKY_HANDLER = """
# {unique}
calls = 0


class Flaky(Exception):
    pass


def lambda_handler(event, context):
    global calls
    calls += 1
    if calls <= event["failures"]:
        raise Flaky(f"call {{calls}} fails")
    return {{"calls": calls}}
"""

_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "{service}"}, "Action": "sts:AssumeRole"}],
}


@dataclass
class Aws:
    """Clients on the embedded endpoint plus builders for the few resources the patch tests need."""

    endpoint_url: str
    clients: dict[str, Any] = field(default_factory=dict)

    @staticmethod
    def zip_source(files: dict[str, str]) -> bytes:
        """A deployment package holding `files` (name -> Python source)."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, source in files.items():
                archive.writestr(name, source)
        return buffer.getvalue()

    @staticmethod
    def wait_for(probe: Callable[[], T | None], timeout: float = 5.0, interval: float = 0.05) -> T:
        """Calls `probe` until it returns something truthy; fails the test after `timeout` s, never hangs."""
        deadline = time.monotonic() + timeout
        while True:
            result = probe()
            if result:
                return result
            if time.monotonic() > deadline:
                pytest.fail(f"condition not met within {timeout} s (last result: {result!r})")
            time.sleep(interval)

    def client(self, service: str) -> Any:
        if service not in self.clients:
            self.clients[service] = admin_client(service, self.endpoint_url, REGION)
        return self.clients[service]

    def role(
        self, service: str = "lambda.amazonaws.com", name: str | None = None, policy: dict[str, Any] | None = None
    ) -> str:
        """A role `service` may assume; by default allowed everything (these tests are about other patches: IAM
        enforcement has its own tests, which pass `policy`)."""
        trust = json.dumps(_TRUST).replace("{service}", service)
        role_name = name or f"role-{uuid.uuid4().hex[:8]}"
        iam = self.client("iam")
        arn: str = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
        document = policy or {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
        }
        iam.put_role_policy(RoleName=role_name, PolicyName="test", PolicyDocument=json.dumps(document))
        return arn

    def function(
        self,
        name: str,
        files: dict[str, str],
        variables: dict[str, str] | None = None,
        timeout: int = 30,
        role: str | None = None,
    ) -> str:
        """Creates a python3.12 function with handler app.lambda_handler; returns its ARN."""
        arn: str = self.client("lambda").create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role or self.role(),
            Handler="app.lambda_handler",
            Code={"ZipFile": self.zip_source(files)},
            Timeout=timeout,
            Environment={"Variables": variables or {}},
        )["FunctionArn"]
        return arn

    def flaky_function(self) -> str:
        """A function that raises Flaky on its first `event["failures"]` calls, then returns {"calls": n}."""
        unique = uuid.uuid4().hex
        return self.function(f"flaky-{unique[:8]}", {"app.py": FLAKY_HANDLER.format(unique=unique)})

    def state_machine(self, name: str, definition: dict[str, Any], role: str | None = None) -> str:
        arn: str = self.client("stepfunctions").create_state_machine(
            name=name, definition=json.dumps(definition), roleArn=role or self.role("states.amazonaws.com")
        )["stateMachineArn"]
        return arn

    def executions(self, state_machine_arn: str) -> list[dict[str, Any]]:
        executions: list[dict[str, Any]] = self.client("stepfunctions").list_executions(
            stateMachineArn=state_machine_arn
        )["executions"]
        return executions

    def run_to_end(self, state_machine_arn: str, execution_input: Any, timeout: float = 5.0) -> dict[str, Any]:
        """Starts an execution and returns its description once it has left RUNNING."""
        sfn = self.client("stepfunctions")
        arn = sfn.start_execution(stateMachineArn=state_machine_arn, input=json.dumps(execution_input))["executionArn"]

        def finished() -> dict[str, Any] | None:
            described: dict[str, Any] = sfn.describe_execution(executionArn=arn)
            return None if described["status"] == "RUNNING" else described

        return self.wait_for(finished, timeout=timeout)


@pytest.fixture
def aws(embedded_aws: EmbeddedAws) -> Aws:
    """The session's embedded AWS with every resource of earlier tests wiped."""
    embedded_aws.reset()
    return Aws(endpoint_url=embedded_aws.endpoint_url)


@pytest.fixture
def iam_enforced() -> Iterator[None]:
    """IAM enforced during the test, as it was before afterwards."""
    was = iam_enforcement.is_enabled()
    iam_enforcement.set_enabled(True)
    yield
    iam_enforcement.set_enabled(was)
