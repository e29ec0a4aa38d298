"""The S3 requests Flatten's publishing makes, against the S3 API contract (botocore Stubber).

On AWS the Flatten role may list the manifest prefix but a read of a missing manifest answers 403 (no
s3:ListBucket for a GET): a file's first publish must not depend on a 404. The embedded AWS runs the same code
end to end (tests/e2e/test_publishing_races.py); these pin the requests and the 403 paths it cannot show.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber

from orders_etl.aws_errors import is_passing
from orders_etl.output_keys import manifest_key, output_name
from orders_etl.publishing import publish
from orders_etl.source_files import SourceVersion
from support import pipeline_settings

SETTINGS = pipeline_settings()
BUCKET = SETTINGS.data_bucket
SOURCE = "raw/2025/orders.json"
MANIFEST = manifest_key(SETTINGS.manifest_prefix, output_name(SOURCE, SETTINGS.raw_prefix))
SEQUENCER = "0055AED6DCD90281E5"


@pytest.fixture
def parquet(tmp_path: Path) -> dict[str, list[Path]]:
    path = tmp_path / "part.parquet"
    path.write_bytes(b"PAR1")
    return {"2025-09-01": [path]}


def manifest_listing(stubber: Stubber, *keys: str) -> None:
    stubber.add_response(
        "list_objects_v2",
        {"Contents": [{"Key": key} for key in keys], "KeyCount": len(keys), "IsTruncated": False},
        {"Bucket": BUCKET, "Prefix": MANIFEST, "MaxKeys": 1},
    )


def manifest_read(stubber: Stubber, sequencer: str, parquet_keys: list[str]) -> None:
    body = json.dumps({"source_key": SOURCE, "sequencer": sequencer, "parquet_keys": parquet_keys}).encode()
    stubber.add_response(
        "get_object",
        {"Body": StreamingBody(io.BytesIO(body), len(body)), "ETag": '"manifest-1"'},
        {"Bucket": BUCKET, "Key": MANIFEST},
    )


def uploads_and_copy(stubber: Stubber) -> None:
    stubber.add_response("put_object", {}, {"Bucket": BUCKET, "Key": ANY, "Body": b"PAR1"})  # to staging
    stubber.add_response("copy_object", {}, {"Bucket": BUCKET, "Key": ANY, "CopySource": ANY})


def uploaded_with_a_new_manifest(stubber: Stubber) -> None:
    """The upload and copy of a file never published, then its manifest created if still absent."""
    uploads_and_copy(stubber)
    stubber.add_response(
        "put_object", {}, {"Bucket": BUCKET, "Key": MANIFEST, "Body": ANY, "ContentType": ANY, "IfNoneMatch": "*"}
    )


def deletes(stubber: Stubber, count: int) -> None:
    """One DeleteObjects request for `count` keys (the staged objects, stale or our own copies)."""
    stubber.add_response(
        "delete_objects", {}, {"Bucket": BUCKET, "Delete": {"Objects": [{"Key": ANY}] * count, "Quiet": True}}
    )


def test_a_first_publish_finds_no_manifest_with_one_listing_and_no_read(
    s3: tuple[Any, Stubber], parquet: dict[str, list[Path]]
) -> None:
    client, stubber = s3
    # GIVEN a file never published: the listing of its manifest key shows only a longer key
    manifest_listing(stubber, MANIFEST + ".old")
    uploaded_with_a_new_manifest(stubber)
    deletes(stubber, 1)
    # WHEN it is published THEN its manifest is created if still absent, without any GET (which AWS would refuse)
    result = publish(client, SETTINGS, SOURCE, parquet, rows=3, version=SourceVersion("v1", SEQUENCER))
    assert (result.partitions, result.superseded) == (1, False)


def test_a_republish_reads_the_listed_manifest_and_replaces_it_if_unchanged(
    s3: tuple[Any, Stubber], parquet: dict[str, list[Path]]
) -> None:
    client, stubber = s3
    # GIVEN the same version is already published
    manifest_listing(stubber, MANIFEST)
    manifest_read(stubber, SEQUENCER, [])
    uploads_and_copy(stubber)
    stubber.add_response(
        "put_object",
        {},
        {"Bucket": BUCKET, "Key": MANIFEST, "Body": ANY, "ContentType": ANY, "IfMatch": '"manifest-1"'},
    )
    deletes(stubber, 1)
    # WHEN it is published again THEN the manifest is replaced only if it is still the one read
    result = publish(client, SETTINGS, SOURCE, parquet, rows=3, version=SourceVersion("v1", SEQUENCER))
    assert (result.partitions, result.superseded) == (1, False)


def test_a_lost_manifest_write_reads_the_winner_with_one_get(
    s3: tuple[Any, Stubber], parquet: dict[str, list[Path]]
) -> None:
    client, stubber = s3
    # GIVEN no manifest when listed, then a later version's execution creates it first
    manifest_listing(stubber)
    uploads_and_copy(stubber)
    stubber.add_client_error("put_object", service_error_code="PreconditionFailed", http_status_code=412)
    manifest_read(stubber, "0055AED6DCD90281FF", ["parquet_files/orders/dt=2025-09-01/theirs.parquet"])
    deletes(stubber, 2)  # our copy in the table, our staging object
    # WHEN this version is published THEN the winner's manifest is read straight away (it exists), theirs stays
    result = publish(client, SETTINGS, SOURCE, parquet, rows=3, version=SourceVersion("v1", SEQUENCER))
    assert result.superseded


def test_a_backfill_of_a_source_deleted_since_is_superseded_although_the_head_is_refused(
    s3: tuple[Any, Stubber], parquet: dict[str, list[Path]]
) -> None:
    client, stubber = s3
    # GIVEN another version is published, and the source key is gone: its HEAD answers 403 and it is not listed
    manifest_listing(stubber, MANIFEST)
    manifest_read(stubber, SEQUENCER, [])
    stubber.add_client_error("head_object", service_error_code="403", service_message="Forbidden", http_status_code=403)
    stubber.add_response(
        "list_objects_v2", {"KeyCount": 0, "IsTruncated": False}, {"Bucket": BUCKET, "Prefix": SOURCE, "MaxKeys": 1}
    )
    # WHEN a backfill (no sequencer) of an older version publishes THEN it writes nothing
    result = publish(client, SETTINGS, SOURCE, parquet, rows=3, version=SourceVersion("v0"))
    assert result.superseded


def test_a_delete_that_s3_refuses_for_a_key_is_an_error_not_a_silent_success(
    s3: tuple[Any, Stubber], parquet: dict[str, list[Path]]
) -> None:
    client, stubber = s3
    # GIVEN DeleteObjects answers 200 but refuses the staged object (its per-key errors)
    manifest_listing(stubber)
    uploaded_with_a_new_manifest(stubber)
    refused = {"Key": "staged", "Code": "SlowDown", "Message": "Please reduce your request rate."}
    stubber.add_response("delete_objects", {"Errors": [refused]}, {"Bucket": BUCKET, "Delete": ANY})
    # WHEN the file is published THEN the refusal is raised with S3's code (a passing one: retried later)
    with pytest.raises(ClientError) as raised:
        publish(client, SETTINGS, SOURCE, parquet, rows=3, version=SourceVersion("v1", SEQUENCER))
    assert raised.value.response["Error"]["Code"] == "SlowDown"
    assert is_passing(raised.value)


def staging_keys_of_two_publishes(
    client: Any, stubber: Stubber, parquet: dict[str, list[Path]], executions: tuple[str | None, str | None]
) -> list[str]:
    """The staging key each of two publishes of the same version uploads to, the first failing at its copy."""
    uploaded: list[str] = []
    client.meta.events.register(
        "provide-client-params.s3.PutObject", lambda params, **_: uploaded.append(params["Key"])
    )
    manifest_listing(stubber)
    stubber.add_response("put_object", {}, {"Bucket": BUCKET, "Key": ANY, "Body": b"PAR1"})
    stubber.add_client_error("copy_object", service_error_code="SlowDown", http_status_code=503)
    with pytest.raises(ClientError):
        publish(
            client, SETTINGS, SOURCE, parquet, rows=3, version=SourceVersion("v1", SEQUENCER), execution=executions[0]
        )
    manifest_listing(stubber)
    uploaded_with_a_new_manifest(stubber)
    deletes(stubber, 1)
    publish(client, SETTINGS, SOURCE, parquet, rows=3, version=SourceVersion("v1", SEQUENCER), execution=executions[1])
    return [key for key in uploaded if key != MANIFEST]


def test_a_retry_of_an_execution_stages_over_what_its_failed_attempt_staged(
    s3: tuple[Any, Stubber], parquet: dict[str, list[Path]]
) -> None:
    client, stubber = s3
    # GIVEN an attempt that staged the file then failed, WHEN the same execution's retry publishes it
    first, retry = staging_keys_of_two_publishes(client, stubber, parquet, ("exec-1", "exec-1"))
    # THEN the retry staged under the same key, so publishing removes what the failed attempt left in staging
    assert first == retry


def test_two_executions_of_one_version_stage_apart(s3: tuple[Any, Stubber], parquet: dict[str, list[Path]]) -> None:
    client, stubber = s3
    # GIVEN one event delivered twice: two executions publish the same version at once (or a call from no execution)
    for executions in [("exec-1", "exec-2"), (None, None)]:
        first, second = staging_keys_of_two_publishes(client, stubber, parquet, executions)
        # THEN each stages in a folder of its own: one's clean-up never deletes what the other is about to copy
        assert first != second, executions
