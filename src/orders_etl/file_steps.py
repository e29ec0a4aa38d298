"""The work of the Validate and Flatten steps, without Lambda: a file is read, checked and written once.

Validate runs the engine's whole pass (checks and Parquet together) and, when the event names the object's
version and the file is not tiny (STAGE_FROM_BYTES), stages the Parquet under that version (outside the table's
location: Validate makes no row visible), then `validated.json` last: the counts and the staged keys; its
presence means every part is there. Flatten publishes what is staged for the version it is given
(orders_etl.publishing copies it into the table), without reading the file again.

Flatten reads the file itself when nothing is staged for that version: a tiny file, no version known (an
unversioned bucket, a hand-made run), an execution started before this hand-off, or staged objects that are gone
(a duplicate execution of the same version published and removed them; the lifecycle rule expired them before a
redrive).
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from orders_etl.contract import load_contract
from orders_etl.engine import FileSummary, FlattenedFile, flatten_order_file, scan_order_file
from orders_etl.errors import NotAnOrderFile, NothingToProcess
from orders_etl.output_keys import is_folder_marker, is_order_file, order_file_suffixes, validated_summary_key
from orders_etl.publishing import (
    PublishResult,
    StagedObjectsGone,
    publish,
    publish_staged,
    upload_partitions,
    version_staging_prefix,
)
from orders_etl.s3_objects import get_object_or_none, raise_unless_absent
from orders_etl.settings import PipelineSettings
from orders_etl.source_files import DownloadedObject, SourceVersion, download_object, scratch_directory

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ValidatedFile:
    size_bytes: int
    summary: FileSummary
    staged: bool  # whether Flatten will find the Parquet staged
    version_id: str | None  # the version checked: the event's, or the latest when the event named none


@dataclass(frozen=True)
class FlattenOutcome:
    summary: FileSummary
    published: PublishResult
    partition_dates: list[str]  # the partitions of the rows (none when a later version won)
    read_the_file: bool  # False: Validate's staged Parquet was published


# Below this size a file is not staged: Flatten reads it again. Checking a file this small takes a few milliseconds,
# less than the two requests of the hand-off (Validate's PUT of its summary, Flatten's GET), and Validate then
# uploads nothing (measured on the embedded AWS, 1 KB files: Validate 43 ms staging, ~20 ms not; S3 requests to
# the file's partitions are the same either way).
STAGE_FROM_BYTES = 64 * 1024


def validate_file(s3: Any, settings: PipelineSettings, bucket: str, key: str, version: SourceVersion) -> ValidatedFile:
    """Check the file (InvalidOrderFile, FileTooLarge, NotAnOrderFile; NothingToProcess for a folder marker or a
    version deleted since its event) and, for a file of STAGE_FROM_BYTES or more whose version is known, stage its
    Parquet for Flatten."""
    if is_folder_marker(key):
        raise NothingToProcess(f"{key} is a folder marker, not a file")
    if not is_order_file(key):
        raise NotAnOrderFile(key, order_file_suffixes())
    with scratch_directory() as scratch:
        local, downloaded = _download(s3, settings, bucket, key, version, scratch)
        read = SourceVersion(downloaded.version_id, version.sequencer)
        if read.version_id is None or downloaded.size_bytes < STAGE_FROM_BYTES:
            summary = scan_order_file(local, workdir=scratch / "work", **_engine_arguments(settings, key))
            return ValidatedFile(downloaded.size_bytes, summary, staged=False, version_id=read.version_id)
        flattened = _flatten(settings, key, local, scratch)
        _stage(s3, settings, key, read, flattened)
    return ValidatedFile(downloaded.size_bytes, flattened.summary, staged=True, version_id=read.version_id)


def flatten_file(
    s3: Any,
    settings: PipelineSettings,
    bucket: str,
    key: str,
    version: SourceVersion,
    *,
    staged_by_validate: bool = True,
    execution: str | None = None,
) -> FlattenOutcome:
    """Publish the Parquet Validate staged for this version; read and flatten the file when there is none.

    `staged_by_validate` False (Validate said it staged nothing) spares looking: a miss costs two requests (a GET
    answered 403, a listing to tell absent from denied). Without the hint (an execution older than it), look.
    `execution` (the Step Functions execution's name) names the staging folder of a file flattened here."""
    staged = _read_staged(s3, settings, key, version) if staged_by_validate else None
    if staged is not None:
        summary, by_dt, summary_key = staged
        try:
            published = publish_staged(s3, settings, key, by_dt, summary.rows, version, also_remove=(summary_key,))
            return _outcome(summary, published, by_dt, read_the_file=False)
        except StagedObjectsGone as gone:
            logger.info("staged Parquet is gone (%s): flattening the file again", gone)
    with scratch_directory() as scratch:
        local, _ = _download(s3, settings, bucket, key, version, scratch)
        flattened = _flatten(settings, key, local, scratch)
        published = publish(s3, settings, key, flattened.parquet_files, flattened.summary.rows, version, execution)
    return _outcome(flattened.summary, published, flattened.parquet_files, read_the_file=True)


def _outcome(
    summary: FileSummary, published: PublishResult, by_dt: dict[str, Any], *, read_the_file: bool
) -> FlattenOutcome:
    dates = [] if published.superseded else sorted(by_dt)
    return FlattenOutcome(summary, published, dates, read_the_file)


def _download(
    s3: Any, settings: PipelineSettings, bucket: str, key: str, version: SourceVersion, scratch: Path
) -> tuple[Path, DownloadedObject]:
    """The file in scratch space; NothingToProcess when that version (or, none named, the key) no longer exists."""
    local = scratch / "input"
    try:
        return local, download_object(s3, bucket, key, local, max_bytes=settings.max_file_bytes, version=version)
    except ClientError as error:
        raise_unless_absent(s3, bucket, key, error, version.version_id)
    what = f"version {version.version_id} of {key}" if version.version_id else key
    raise NothingToProcess(f"{what} was deleted before this execution read it: nothing to do")


def _flatten(settings: PipelineSettings, key: str, local: Path, scratch: Path) -> FlattenedFile:
    return flatten_order_file(local, scratch / "parquet", workdir=scratch / "work", **_engine_arguments(settings, key))


def _engine_arguments(settings: PipelineSettings, key: str) -> dict[str, Any]:
    return {
        "source_key": key,
        "max_bytes": settings.max_file_bytes,
        "settings": settings.engine(),
        "contract": load_contract(settings.contract),
    }


def _stage(s3: Any, settings: PipelineSettings, key: str, version: SourceVersion, flattened: FlattenedFile) -> None:
    prefix = version_staging_prefix(settings, key, version)
    staged = upload_partitions(s3, settings.data_bucket, prefix, flattened.parquet_files)
    document = {
        "source_key": key,
        "version_id": version.version_id,
        "summary": asdict(flattened.summary),
        "staged": staged,
    }
    s3.put_object(
        Bucket=settings.data_bucket,
        Key=validated_summary_key(prefix),
        Body=json.dumps(document).encode(),
        ContentType="application/json",
    )


def _read_staged(
    s3: Any, settings: PipelineSettings, key: str, version: SourceVersion
) -> tuple[FileSummary, dict[str, list[str]], str] | None:
    """Validate's summary of this version and its staged keys (dt -> keys), or None when nothing is staged."""
    if version.version_id is None:
        return None
    summary_key = validated_summary_key(version_staging_prefix(settings, key, version))
    response = get_object_or_none(s3, settings.data_bucket, summary_key)
    if response is None:
        return None
    document = json.loads(response["Body"].read())
    return FileSummary(**document["summary"]), document["staged"], summary_key
