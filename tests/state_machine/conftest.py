"""Fixtures: the engines the state machine tests run on.

The same tests run on two engines: the embedded one (always) and Step Functions Local when SFN_LOCAL_ENDPOINT
points at it (see the README, "Test on Step Functions Local").
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import BotoCoreError, ClientError

from embedded_aws import clock
from embedded_aws.credentials import admin_session
from embedded_aws.server import EmbeddedAws
from state_machine.engines import MOCK_CONFIG, REGION, Engine


@pytest.fixture(scope="session")
def embedded_engine(embedded_aws: EmbeddedAws) -> Engine:
    sfn = admin_session(REGION).client("stepfunctions", endpoint_url=embedded_aws.endpoint_url)
    return Engine("embedded", sfn, timeout=15, retry_waits=clock.retry_waits_of)


@pytest.fixture(params=["embedded", "stepfunctions-local"])
def engine(request: pytest.FixtureRequest, embedded_aws: EmbeddedAws) -> Iterator[Engine]:
    if request.param == "embedded":
        # A mocked execution needs no stack; mock_config is set for the session (tests/conftest.py).
        assert embedded_aws.mock_config == MOCK_CONFIG
        yield request.getfixturevalue("embedded_engine")
        return
    endpoint = os.environ.get("SFN_LOCAL_ENDPOINT")
    if not endpoint:
        pytest.skip("SFN_LOCAL_ENDPOINT is not set: start Step Functions Local with `make sfn-local-test`")
    sfn = boto3.client(
        "stepfunctions",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    _wait_until_up(sfn, endpoint, seconds=60)
    # Real time there: the longest case (RetriesExhausted) waits up to 2+4+8+16+32+60 s with full jitter.
    yield Engine("stepfunctions-local", sfn, timeout=180)


def _wait_until_up(sfn: Any, endpoint: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            sfn.list_state_machines(maxResults=1)
            return
        except (BotoCoreError, ClientError) as error:
            if time.monotonic() > deadline:
                pytest.fail(f"Step Functions Local at {endpoint} did not answer within {seconds} s: {error}")
            time.sleep(1)
