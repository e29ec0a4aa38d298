"""Fixtures for the unit tests: an S3 client answered by botocore's Stubber, never by a network."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber


@pytest.fixture
def s3() -> Iterator[tuple[Any, Stubber]]:
    """(client, stubber): every stubbed response must be used by the end of the test."""
    client = boto3.client("s3", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()
