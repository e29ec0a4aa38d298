"""Shared fixtures: one embedded AWS per test session, a freshly deployed stack per test that asks for one."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest

from embedded_aws.server import EmbeddedAws


@dataclass
class Stack:
    """The deployed stack's outputs and clients pointed at the embedded endpoint."""

    outputs: dict[str, str]
    endpoint_url: str
    clients: dict[str, Any] = field(default_factory=dict)

    def client(self, service: str) -> Any:
        if service not in self.clients:
            self.clients[service] = boto3.client(service, endpoint_url=self.endpoint_url, region_name="us-east-1")
        return self.clients[service]

    @property
    def bucket(self) -> str:
        return self.outputs["DataBucketName"]

    @property
    def state_machine_arn(self) -> str:
        return self.outputs["StateMachineArn"]


@pytest.fixture(scope="session")
def embedded_aws() -> Iterator[EmbeddedAws]:
    # Waits and retries run at 1/100 of their real length; a crawl takes 0.2 s.
    aws = EmbeddedAws(port=0, time_scale=0.01, crawl_seconds=0.2).start()
    yield aws
    aws.stop()


@pytest.fixture
def stack(embedded_aws: EmbeddedAws) -> Stack:
    embedded_aws.reset()
    return Stack(outputs=embedded_aws.deploy(), endpoint_url=embedded_aws.endpoint_url)
