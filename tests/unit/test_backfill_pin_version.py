"""What the backfill's "Pin the version" step (functions/pin_latest_version) answers, on the embedded S3.

It lists the key's versions (newest first) with the key as prefix, so every way a key can be missing must be
told apart from a key that is there: no entry at all, a delete marker first, a longer key first.
"""

from __future__ import annotations

import uuid
from typing import Any

import boto3
import pytest

from embedded_aws.server import EmbeddedAws
from orders_etl.s3_objects import latest_version_id

KEY = "raw/2025/orders.json"
LONGER_KEY = KEY + ".gz"  # listed right after KEY's versions, with the same prefix


@pytest.fixture
def s3(embedded_aws: EmbeddedAws) -> Any:
    return boto3.client("s3", endpoint_url=embedded_aws.endpoint_url, region_name=embedded_aws.region)


@pytest.fixture
def bucket(s3: Any) -> str:
    """A versioned bucket where a longer key shares the file's prefix."""
    name = f"pin-version-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=name, Key=LONGER_KEY, Body=b"[]")
    return name


def test_the_latest_of_several_versions_is_pinned(s3: Any, bucket: str) -> None:
    # GIVEN a file uploaded twice
    s3.put_object(Bucket=bucket, Key=KEY, Body=b"[1]")
    latest = s3.put_object(Bucket=bucket, Key=KEY, Body=b"[2]")["VersionId"]
    # WHEN its version is pinned THEN it is the latest one, for the steps that follow
    assert latest_version_id(s3, bucket, KEY) == latest


def test_a_deleted_file_is_gone(s3: Any, bucket: str) -> None:
    # GIVEN a file deleted since the listing (its versions stay, behind a delete marker)
    s3.put_object(Bucket=bucket, Key=KEY, Body=b"[1]")
    s3.delete_object(Bucket=bucket, Key=KEY)
    # THEN the file is gone
    assert latest_version_id(s3, bucket, KEY) is None


def test_a_file_of_which_only_a_longer_key_exists_is_gone(s3: Any, bucket: str) -> None:
    # GIVEN only a longer key with the file's key as prefix (the listing's first entry is that key's)
    # THEN the file is gone
    assert latest_version_id(s3, bucket, KEY) is None


def test_a_file_with_nothing_under_its_key_is_gone(s3: Any, bucket: str) -> None:
    # GIVEN nothing listed under the key at all (the listing has no Versions field)
    for version in s3.list_object_versions(Bucket=bucket).get("Versions", []):
        s3.delete_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])
    # THEN the file is gone
    assert latest_version_id(s3, bucket, KEY) is None
