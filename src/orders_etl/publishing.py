"""Writing a file's Parquet partitions and retiring what an earlier version of the same file wrote.

Each source file owns a manifest (outside the crawled prefix) that lists the Parquet objects written from it
and the S3 event `sequencer` of the version they came from. A version older than the manifest's is not
published (its event arrived late). Otherwise the new objects are staged (uploaded to a staging area, by
Validate or here) and, once all are there, copied into the table (their names carry the sequencer, so two
versions never write the same object); the manifest is replaced only if nobody replaced it meanwhile (a
conditional write), and the objects the previous manifest listed are deleted, with the staged ones. Running
twice gives the same objects; a re-upload whose orders moved to other dates leaves no rows behind; of two
versions processed at once, the later one's rows stay, once.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from orders_etl.crawl import format_timestamp
from orders_etl.output_keys import manifest_key, output_name, parquet_key, staged_parquet_key, staging_prefix
from orders_etl.s3_objects import (
    get_object_or_none,
    head_object_or_none,
    key_is_listed,
    lost_conditional_write,
    raise_unless_absent,
    require_conditional_writes,
)
from orders_etl.settings import PipelineSettings
from orders_etl.source_files import SourceVersion

require_conditional_writes()  # at cold start: a clear error rather than an SDK refusing IfMatch mid-publish
_ATTEMPTS = 5
_DELETE_BATCH = 1000  # DeleteObjects' limit
# s3transfer's multipart threshold: smaller Parquet goes in one PutObject, without a transfer manager's threads.
_MULTIPART_BYTES = 8 * 1024 * 1024


class StagedObjectsGone(Exception):
    """A staged object vanished before its copy into the table (a duplicate execution of the same version
    published and removed it): nothing was published; the caller stages again from the file."""


@dataclass(frozen=True)
class PublishResult:
    partitions: int
    parquet_keys: list[str]
    removed_keys: list[str]
    written_at: datetime
    superseded: bool = False  # a later version of the file is published: this one wrote nothing

    def summary(self) -> dict[str, Any]:
        return {
            "partitions": self.partitions,
            "parquet_objects": len(self.parquet_keys),
            "removed_objects": len(self.removed_keys),
            "written_at": format_timestamp(self.written_at),
            "superseded": self.superseded,
        }


def version_staging_prefix(settings: PipelineSettings, source_key: str, version: SourceVersion) -> str:
    return staging_prefix(settings.manifest_prefix, output_name(source_key, settings.raw_prefix), version.token())


def upload_partitions(s3: Any, bucket: str, prefix: str, parquet_files: dict[str, list[Path]]) -> dict[str, list[str]]:
    """Upload local Parquet (dt -> files) under `prefix`; returns dt -> the staged keys."""
    staged: dict[str, list[str]] = {}
    for dt, files in sorted(parquet_files.items()):
        staged[dt] = [staged_parquet_key(prefix, dt, index) for index in range(len(files))]
        for path, key in zip(files, staged[dt], strict=True):
            if path.stat().st_size < _MULTIPART_BYTES:
                s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes())
            else:
                # A multipart upload; if it fails, s3transfer aborts it (the roles allow s3:AbortMultipartUpload on
                # the staging area), so no parts stay stored and billed.
                s3.upload_file(str(path), bucket, key)
    return staged


def publish(
    s3: Any,
    settings: PipelineSettings,
    source_key: str,
    parquet_files: dict[str, list[Path]],
    rows: int,
    version: SourceVersion | None = None,
    execution: str | None = None,
) -> PublishResult:
    """Upload each partition's files (dt -> local Parquet files) to staging and publish them, unless a later
    version is already published (then nothing is uploaded). `execution` names the Step Functions execution."""
    version = version or SourceVersion()
    name = output_name(source_key, settings.raw_prefix)
    prefix = staging_prefix(settings.manifest_prefix, name, f"{version.token()}-{_execution_folder(execution)}")
    return _publish(
        s3,
        settings,
        source_key,
        rows,
        version,
        lambda: upload_partitions(s3, settings.data_bucket, prefix, parquet_files),
    )


def _execution_folder(execution: str | None) -> str:
    """A staging folder of the execution's own beside the version's (Validate's): an execution publishing the same
    version at the same time (an event delivered twice) deletes the staged keys it published, and would delete
    these with them. The same for each attempt and redrive of one execution, so a retry overwrites what a failed
    attempt staged and its publish removes it (a new folder per attempt would leave each failed one's objects)."""
    if execution is None:  # a call from outside a state machine: a folder of its own
        return uuid.uuid4().hex[:12]
    return hashlib.sha256(execution.encode()).hexdigest()[:12]


def publish_staged(
    s3: Any,
    settings: PipelineSettings,
    source_key: str,
    staged: dict[str, list[str]],
    rows: int,
    version: SourceVersion,
    also_remove: tuple[str, ...] = (),
) -> PublishResult:
    """Publish Parquet already staged (dt -> staged keys): the same as publish, without the uploads.
    `also_remove` are staged keys that go with the Parquet once it is published (Validate's summary)."""
    return _publish(s3, settings, source_key, rows, version, lambda: staged, also_remove)


def _publish(
    s3: Any,
    settings: PipelineSettings,
    source_key: str,
    rows: int,
    version: SourceVersion,
    stage: Callable[[], dict[str, list[str]]],
    also_remove: tuple[str, ...] = (),
) -> PublishResult:
    bucket = settings.data_bucket
    name = output_name(source_key, settings.raw_prefix)
    manifest = manifest_key(settings.manifest_prefix, name)
    previous, previous_etag = _read_manifest(s3, bucket, manifest)
    version = _with_published_sequencer(version, previous)
    if previous is not None and _is_superseded(s3, bucket, source_key, version, previous):
        return _superseded()
    stem = f"{name}-{version.sequencer}" if version.sequencer else name
    staged_by_dt = stage()
    partitions = len(staged_by_dt)
    staged: dict[str, str] = {}  # table key -> staged key
    for dt, keys in sorted(staged_by_dt.items()):
        for index, staged_key in enumerate(keys):
            name = stem if index == 0 else f"{stem}-{index}"
            staged[parquet_key(settings.parquet_prefix, settings.partition_column, dt, name)] = staged_key
    # Only whole files reach the table, and only once every one is staged: a failure above leaves nothing there.
    for key, staged_key in staged.items():
        _copy_staged(s3, bucket, staged_key, key)
    written = list(staged)
    retired = [*staged.values(), *also_remove]
    written_at = datetime.now(UTC)
    body = {
        "source_key": source_key,
        "version_id": version.version_id,
        "sequencer": version.sequencer,
        "parquet_keys": written,
        "rows": rows,
        "written_at": written_at.isoformat(),
    }
    for _ in range(_ATTEMPTS):
        if _replace_manifest(s3, bucket, manifest, body, previous_etag):
            stale = sorted(set(previous["parquet_keys"] if previous else []) - set(written))
            _delete(s3, bucket, stale + retired)
            return PublishResult(partitions, written, stale, written_at)
        # Another execution published this file meanwhile.
        previous, previous_etag = _reread_manifest(s3, bucket, manifest)
        theirs = previous.get("sequencer") if previous else None
        if previous is not None and (
            theirs == version.sequencer or _is_superseded(s3, bucket, source_key, version, previous)
        ):
            # The same version (a duplicated event: same objects) or a later one: theirs stays.
            _delete(s3, bucket, sorted(set(written) - set(previous["parquet_keys"])) + retired)
            if theirs == version.sequencer:
                return PublishResult(partitions, written, [], written_at)
            return _superseded()
    raise RuntimeError(f"{manifest} kept changing during {_ATTEMPTS} attempts to publish {source_key}")


def _copy_staged(s3: Any, bucket: str, staged_key: str, key: str) -> None:
    try:
        s3.copy_object(Bucket=bucket, Key=key, CopySource={"Bucket": bucket, "Key": staged_key})
    except ClientError as error:
        raise_unless_absent(s3, bucket, staged_key, error)
        raise StagedObjectsGone(staged_key) from error


def _with_published_sequencer(version: SourceVersion, previous: dict[str, Any] | None) -> SourceVersion:
    """A reprocessing run (a backfill: no event, so no sequencer) of the version already published keeps that
    version's sequencer, so it rewrites the same objects in place."""
    if (
        version.sequencer is None
        and version.version_id
        and previous
        and previous.get("version_id") == version.version_id
    ):
        return SourceVersion(version.version_id, previous.get("sequencer"))
    return version


def _is_superseded(s3: Any, bucket: str, source_key: str, version: SourceVersion, previous: dict[str, Any]) -> bool:
    """Whether the published version is later than ours: by sequencer when both have one; otherwise (a
    backfill of another version than the published one) by whether ours is still the key's latest version."""
    theirs = previous.get("sequencer")
    if version.is_older_than(theirs):
        return True
    if version.sequencer is None and version.version_id and previous.get("version_id") != version.version_id:
        return _latest_version_id(s3, bucket, source_key) != version.version_id
    return False


def _latest_version_id(s3: Any, bucket: str, key: str) -> str | None:
    head = head_object_or_none(s3, bucket, key)
    if head is None:
        return None  # deleted since: nothing of it should be published
    return str(head.get("VersionId"))


def _delete(s3: Any, bucket: str, keys: list[str]) -> None:
    """DeleteObjects, up to 1,000 keys a request (one request for a file's staged and stale objects). It answers
    200 even when keys fail: the first failure is raised as the ClientError a DeleteObject would have raised."""
    for start in range(0, len(keys), _DELETE_BATCH):
        batch = [{"Key": key} for key in keys[start : start + _DELETE_BATCH]]
        response = s3.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
        for failure in response.get("Errors", [])[:1]:
            raise ClientError({"Error": failure}, "DeleteObjects")


def _superseded() -> PublishResult:
    return PublishResult(partitions=0, parquet_keys=[], removed_keys=[], written_at=datetime.now(UTC), superseded=True)


def _read_manifest(s3: Any, bucket: str, manifest: str) -> tuple[dict[str, Any] | None, str | None]:
    """The manifest and its ETag, or (None, None) before the file's first publish.

    LIST first, then GET only if it is listed: a new file costs 1 request (GET first: a GET answered 403, since
    a read of a missing key is denied without s3:ListBucket, then a LIST to confirm: 2), a republish 2 (GET
    first: 1). Chosen because new files are the common case (every upload of a new key; republishes come from
    re-uploads, duplicated events and backfills), and because then a normal first publish makes no denied request
    (each one an AccessDenied in CloudTrail and in S3's 4xx metrics, where real denials must stand out).
    """
    if not key_is_listed(s3, bucket, manifest):
        return None, None
    return _reread_manifest(s3, bucket, manifest)


def _reread_manifest(s3: Any, bucket: str, manifest: str) -> tuple[dict[str, Any] | None, str | None]:
    """The manifest, GET first: after a lost conditional write it is known to exist (1 request)."""
    response = get_object_or_none(s3, bucket, manifest)
    if response is None:
        return None, None
    document: dict[str, Any] = json.loads(response["Body"].read())
    return document, str(response["ETag"])


def _replace_manifest(s3: Any, bucket: str, manifest: str, body: dict[str, Any], etag: str | None) -> bool:
    """Write the manifest if it is still the one read (`etag`; None: still absent). False when it changed."""
    condition = {"IfMatch": etag} if etag else {"IfNoneMatch": "*"}
    try:
        s3.put_object(
            Bucket=bucket, Key=manifest, Body=json.dumps(body).encode(), ContentType="application/json", **condition
        )
    except ClientError as error:
        if lost_conditional_write(error):
            return False
        raise
    return True
