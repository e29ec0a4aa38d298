"""Where the deployed stack is: an outputs file written by `orders-etl local start`, or a CloudFormation stack, on
the embedded AWS that AWS_ENDPOINT_URL names or on AWS.

Which one (TARGET_RULE, also in the --help of the stack arguments and the README): an outputs file, given or at
.local/outputs.json, means the embedded AWS it names, which must answer; otherwise, with AWS_ENDPOINT_URL set, the
stack at that endpoint, whose outputs DescribeStacks gives once the endpoint answers; AWS only with --profile, or
with neither an outputs file nor AWS_ENDPOINT_URL. The CLI never falls back from an embedded AWS that does not
answer, or has no such stack, to a real account.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotocoreConnectionError

from embedded_aws.credentials import admin_client, admin_session
from orders_etl_cli.failures import CommandError, UsageError

DEFAULT_OUTPUTS = Path(".local/outputs.json")
DEFAULT_STACK_NAME = "orders-etl"
ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL"
EMBEDDED_REGION = "us-east-1"  # where `orders-etl local start` deploys
TARGET_RULE = (
    f"the embedded AWS of --outputs FILE, or of {DEFAULT_OUTPUTS} when it exists and neither --stack-name nor "
    f"--profile is given; else, when {ENDPOINT_VARIABLE} is set and --profile is not, the stack --stack-name "
    f"(default {DEFAULT_STACK_NAME}) at that endpoint; else that stack on AWS"
)
AWS_HINT = " (or pass --stack-name to use AWS)"
ENDPOINT_AWS_HINT = f" (or unset {ENDPOINT_VARIABLE} to use AWS)"
# One short request tells whether the embedded AWS is up: a stopped one refuses the connection at once.
_PROBE_CONFIG = Config(connect_timeout=2, read_timeout=10, retries={"total_max_attempts": 1})


@dataclass
class StackContext:
    outputs: dict[str, str]
    endpoint_url: str | None = None
    profile: str | None = None
    region: str | None = None
    outputs_file: Path | None = None
    stack_name: str | None = None
    session: Any = None  # on AWS: the boto3 session of --profile and --region
    _clients: dict[str, Any] = field(default_factory=dict)

    @property
    def is_embedded(self) -> bool:
        return self.endpoint_url is not None

    def client(self, service: str) -> Any:
        if service not in self._clients:
            if self.endpoint_url is not None:
                # The embedded account's administrator, as a deployer on AWS; never the caller's real keys.
                self._clients[service] = admin_client(service, self.endpoint_url, self.region or EMBEDDED_REGION)
            else:
                self.session = self.session or aws_session(self.profile, self.region)
                self._clients[service] = self.session.client(service)
        return self._clients[service]

    def describe_target(self) -> str:
        """`target: …`: the embedded endpoint and its outputs file or stack, or the AWS account, region and stack."""
        if self.endpoint_url is not None and self.outputs_file is not None:
            return f"target: embedded AWS at {self.endpoint_url} (stack outputs {self.outputs_file})"
        if self.endpoint_url is not None:
            return (
                f"target: embedded AWS at {self.endpoint_url} ({ENDPOINT_VARIABLE}), region {self.region}, "
                f"stack {self.stack_name}"
            )
        account = self.client("sts").get_caller_identity()["Account"]
        profile = f", profile {self.profile}" if self.profile else ""
        endpoint = os.environ.get(ENDPOINT_VARIABLE)
        through = f", through {ENDPOINT_VARIABLE}={endpoint}" if endpoint else ""
        return f"target: AWS account {account}, region {self.region}, stack {self.stack_name}{profile}{through}"


def open_stack(
    outputs_file: Path | None,
    stack_name: str | None,
    profile: str | None = None,
    region: str | None = None,
    *,
    embedded_only: bool = False,
) -> StackContext:
    """The stack a command acts on, announced on stderr (stdout stays the command's data) before it acts."""
    stack = load_stack(outputs_file, stack_name, profile, region, embedded_only=embedded_only)
    print(stack.describe_target(), file=sys.stderr, flush=True)
    return stack


def load_stack(
    outputs_file: Path | None,
    stack_name: str | None,
    profile: str | None = None,
    region: str | None = None,
    *,
    embedded_only: bool = False,
) -> StackContext:
    """The stack as TARGET_RULE says; a CommandError when that target cannot be used, never another target.
    `embedded_only`: a command that has no AWS to offer (`local fail`, the demo) does not suggest it."""
    if outputs_file is not None and (stack_name or profile):
        raise UsageError(
            "--outputs names the embedded AWS, --stack-name and --profile a CloudFormation stack: pass one or the other"
        )
    endpoint = os.environ.get(ENDPOINT_VARIABLE)
    if profile:
        return _aws_stack(stack_name or DEFAULT_STACK_NAME, profile, region)
    if stack_name and not endpoint:
        return _aws_stack(stack_name, profile, region)
    path = outputs_file or (DEFAULT_OUTPUTS if DEFAULT_OUTPUTS.exists() and not stack_name else None)
    if path is not None:
        return _embedded_stack(path, region, "" if embedded_only else AWS_HINT)
    if endpoint:
        return _endpoint_stack(
            endpoint, stack_name or DEFAULT_STACK_NAME, region, "" if embedded_only else ENDPOINT_AWS_HINT
        )
    return _aws_stack(DEFAULT_STACK_NAME, profile, region)


def _embedded_stack(path: Path, region: str | None, aws_hint: str) -> StackContext:
    if not path.exists():
        raise CommandError(f"no stack outputs at {path}: start the embedded AWS with `make local`{aws_hint}")
    try:
        document = json.loads(path.read_text())
    except ValueError:
        document = None
    if not isinstance(document, dict):
        raise CommandError(f"{path} is not the stack outputs of `orders-etl local start` (not a JSON object)")
    endpoint = document.get("EndpointUrl") or os.environ.get(ENDPOINT_VARIABLE)
    if not endpoint:
        raise CommandError(f"{path} names no EndpointUrl: pass the outputs file written by `orders-etl local start`")
    region = region or EMBEDDED_REGION
    _check_answers(endpoint, region, aws_hint)
    return StackContext(outputs=document, endpoint_url=endpoint, region=region, outputs_file=path)


def _endpoint_stack(endpoint: str, stack_name: str, region: str | None, aws_hint: str) -> StackContext:
    """The stack `stack_name` at the endpoint AWS_ENDPOINT_URL names, its outputs read with DescribeStacks in the
    region asked for, else the environment's (as any AWS client there would), else the embedded AWS's."""
    region = region or boto3.Session().region_name or EMBEDDED_REGION
    _check_answers(endpoint, region, aws_hint)
    stack = StackContext(outputs={}, endpoint_url=endpoint, region=region, stack_name=stack_name)
    try:
        stacks = stack.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"]
    except ClientError as error:
        details = error.response.get("Error", {})
        if details.get("Code") != "ValidationError":  # "If the stack doesn't exist, a ValidationError is returned."
            raise
        message = details.get("Message", str(error))
        raise CommandError(
            f"the embedded AWS at {endpoint} ({ENDPOINT_VARIABLE}) has no stack {stack_name} in {region}: {message}; "
            f"start it with `make local`, or name the stack with --stack-name{aws_hint}"
        ) from error
    stack.outputs = {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}
    return stack


def _check_answers(endpoint: str, region: str, aws_hint: str) -> None:
    """A CommandError unless something answers at `endpoint`: one request, a 2 s connect timeout, no retries."""
    sts = admin_session(region).client("sts", endpoint_url=endpoint, config=_PROBE_CONFIG)
    try:
        sts.get_caller_identity()
    except ClientError:
        return  # it answered, if only to refuse: the command's own requests will say what is wrong
    except (BotocoreConnectionError, HTTPClientError) as error:
        raise CommandError(
            f"the embedded AWS at {endpoint} does not answer: start it with `make local`{aws_hint}"
        ) from error


def aws_session(profile: str | None, region: str | None) -> Any:
    """The caller's own AWS session (default credential chain, or the profile)."""
    return boto3.Session(profile_name=profile, region_name=region)


def _aws_stack(stack_name: str, profile: str | None, region: str | None) -> StackContext:
    session = aws_session(profile, region)
    if session.region_name is None:
        raise CommandError("no AWS region: pass --region, or set AWS_REGION or the profile's region")
    stacks = session.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}
    return StackContext(
        outputs=outputs, profile=profile, region=session.region_name, stack_name=stack_name, session=session
    )
