"""The backfill's "Pin the version" step, from statemachine/backfill.asl.json, on the embedded Step Functions engine.

It lists the key's versions (newest first) with the key as prefix, so every way a key can be missing must take
the "It is gone" path without failing the state: no entry at all, a delete marker first, a longer key first.
The steps after the pin are replaced by a Pass that shows what was pinned.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest

from embedded_aws.server import EmbeddedAws

DEFINITION = Path(__file__).resolve().parents[2] / "statemachine" / "backfill.asl.json"
FIRST, NEXT = "Pin the version", "Validate order file"
KEY = "raw/2025/orders.json"
LONGER_KEY = KEY + ".gz"  # listed right after KEY's versions, with the same prefix
ACCOUNT = "123456789012"


def file_states() -> dict[str, Any]:
    """The states each file of a batch goes through."""
    backfill = json.loads(DEFINITION.read_text(encoding="utf-8"))
    batch = backfill["States"]["Process every file"]["ItemProcessor"]["States"]["Each file of the batch"]
    states: dict[str, Any] = batch["ItemProcessor"]["States"]
    return states


def pin_step_definition() -> str:
    """The states from FIRST up to NEXT, which becomes a Pass that outputs the pinned version."""
    states, chosen, todo = file_states(), {}, [FIRST]
    while todo:
        name = todo.pop()
        if name in chosen or name == NEXT:
            continue
        chosen[name] = states[name]
        todo += [rule["Next"] for rule in states[name].get("Choices", [])]
        todo += [states[name][field] for field in ("Next", "Default") if field in states[name]]
    chosen[NEXT] = {
        "Type": "Pass",
        "Parameters": {"key.$": "$.key", "outcome": "pinned", "version_id.$": "$.pinned.version_id"},
        "End": True,
    }
    return json.dumps({"StartAt": FIRST, "States": chosen})


@pytest.fixture
def client(embedded_aws: EmbeddedAws) -> Callable[[str], Any]:
    def make(service: str) -> Any:
        return boto3.client(service, endpoint_url=embedded_aws.endpoint_url, region_name=embedded_aws.region)

    return make


@pytest.fixture
def bucket(client: Callable[[str], Any]) -> str:
    """A versioned bucket where a longer key shares the file's prefix."""
    name = f"pin-version-{uuid.uuid4().hex[:12]}"
    s3 = client("s3")
    s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=name, Key=LONGER_KEY, Body=b"[]")
    return name


@pytest.fixture
def pin(client: Callable[[str], Any], bucket: str) -> Callable[[], dict[str, Any]]:
    """Runs the pin step for KEY in the bucket; returns the execution's output."""
    # The role the template gives the backfill for this step (the embedded engine may check it).
    iam, sfn = client("iam"), client("stepfunctions")
    role = f"pin-version-{uuid.uuid4().hex[:12]}"
    trust = {
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "states.amazonaws.com"}, "Action": "sts:AssumeRole"}]
    }
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "s3:ListBucketVersions",
                "Resource": f"arn:aws:s3:::{bucket}",
                "Condition": {"StringLike": {"s3:prefix": "raw/*"}},
            }
        ],
    }
    iam.put_role_policy(RoleName=role, PolicyName="pin", PolicyDocument=json.dumps(policy))
    machine = sfn.create_state_machine(
        name=role, definition=pin_step_definition(), roleArn=f"arn:aws:iam::{ACCOUNT}:role/{role}", type="STANDARD"
    )["stateMachineArn"]

    def run() -> dict[str, Any]:
        item = {"bucket": bucket, "key": KEY, "backfill": "arn:backfill", "backfill_name": "backfill"}
        arn = sfn.start_execution(stateMachineArn=machine, input=json.dumps(item))["executionArn"]
        deadline = time.monotonic() + 30
        while (described := sfn.describe_execution(executionArn=arn))["status"] == "RUNNING":
            assert time.monotonic() < deadline, "the pin step did not end within 30 s"
            time.sleep(0.05)
        assert described["status"] == "SUCCEEDED", described
        output: dict[str, Any] = json.loads(described["output"])
        return output

    return run


def test_the_latest_of_several_versions_is_pinned(client: Callable[[str], Any], bucket: str, pin: Any) -> None:
    # GIVEN a file uploaded twice
    s3 = client("s3")
    s3.put_object(Bucket=bucket, Key=KEY, Body=b"[1]")
    latest = s3.put_object(Bucket=bucket, Key=KEY, Body=b"[2]")["VersionId"]
    # WHEN the pin step runs THEN it pins the latest version, for the steps that follow
    assert pin() == {"key": KEY, "outcome": "pinned", "version_id": latest}


def test_a_deleted_file_is_gone(client: Callable[[str], Any], bucket: str, pin: Any) -> None:
    # GIVEN a file deleted since the listing (its versions stay, behind a delete marker)
    s3 = client("s3")
    s3.put_object(Bucket=bucket, Key=KEY, Body=b"[1]")
    s3.delete_object(Bucket=bucket, Key=KEY)
    # WHEN the pin step runs THEN the file is gone
    assert pin() == {"key": KEY, "outcome": "gone"}


def test_a_file_of_which_only_a_longer_key_exists_is_gone(pin: Any) -> None:
    # GIVEN only a longer key with the file's key as prefix (the listing's first entry is that key's)
    # WHEN the pin step runs THEN the file is gone
    assert pin() == {"key": KEY, "outcome": "gone"}


def test_a_file_with_nothing_under_its_key_is_gone(client: Callable[[str], Any], bucket: str, pin: Any) -> None:
    # GIVEN nothing listed under the key at all (the listing has no Versions field)
    s3 = client("s3")
    for version in s3.list_object_versions(Bucket=bucket).get("Versions", []):
        s3.delete_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])
    # WHEN the pin step runs THEN the file is gone
    assert pin() == {"key": KEY, "outcome": "gone"}
