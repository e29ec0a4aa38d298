"""Where the deployed stack is: an outputs file written by `orders-etl local start`, or a CloudFormation stack."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from embedded_aws.credentials import admin_client

DEFAULT_OUTPUTS = Path(".local/outputs.json")


@dataclass
class StackContext:
    outputs: dict[str, str]
    endpoint_url: str | None = None
    profile: str | None = None
    region: str | None = None
    _clients: dict[str, Any] = field(default_factory=dict)

    @property
    def is_embedded(self) -> bool:
        return self.endpoint_url is not None

    def client(self, service: str) -> Any:
        if service not in self._clients:
            if self.endpoint_url is not None:
                # The embedded account's administrator, as a deployer on AWS; never the caller's real keys.
                self._clients[service] = admin_client(service, self.endpoint_url, self.region or "us-east-1")
            else:
                session = boto3.Session(profile_name=self.profile, region_name=self.region)
                self._clients[service] = session.client(service)
        return self._clients[service]


def load_stack(
    outputs_file: Path | None, stack_name: str | None, profile: str | None = None, region: str | None = None
) -> StackContext:
    """An outputs file (embedded AWS) when given or present; otherwise the named CloudFormation stack's outputs."""
    path = outputs_file or (DEFAULT_OUTPUTS if DEFAULT_OUTPUTS.exists() and not stack_name else None)
    if path is not None:
        document = json.loads(path.read_text())
        endpoint = document.get("EndpointUrl") or os.environ.get("AWS_ENDPOINT_URL")
        return StackContext(outputs=document, endpoint_url=endpoint, profile=profile, region=region or "us-east-1")
    session = boto3.Session(profile_name=profile, region_name=region)
    stacks = session.client("cloudformation").describe_stacks(StackName=stack_name or "orders-etl")["Stacks"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}
    return StackContext(outputs=outputs, profile=profile, region=region)
