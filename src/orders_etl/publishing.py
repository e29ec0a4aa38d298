"""Writing a file's Parquet partitions and retiring what an earlier version of the same file wrote.

Each source file owns a manifest (outside the crawled prefix) that lists the Parquet objects written from it.
New objects are written first, then the ones the previous manifest listed and this run did not write are
deleted, then the manifest is replaced: running twice gives the same objects, and a re-upload whose orders
moved to other dates leaves no rows behind in the old partitions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from orders_etl.output_keys import manifest_key, output_name, parquet_key
from orders_etl.settings import PipelineSettings


@dataclass(frozen=True)
class PublishResult:
    partitions: int
    parquet_keys: list[str]
    removed_keys: list[str]
    written_at: datetime

    def summary(self) -> dict[str, Any]:
        return {
            "partitions": self.partitions,
            "parquet_objects": len(self.parquet_keys),
            "removed_objects": len(self.removed_keys),
            "written_at": self.written_at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        }


def publish(
    s3: Any, settings: PipelineSettings, source_key: str, parquet_files: dict[str, list[Path]], rows: int
) -> PublishResult:
    """Upload each partition's files (dt -> local Parquet files) under names derived from the source key."""
    name = output_name(source_key, settings.raw_prefix)
    written: list[str] = []
    for dt, files in sorted(parquet_files.items()):
        for index, path in enumerate(files):
            key = parquet_key(settings.parquet_prefix, dt, name if index == 0 else f"{name}-{index}")
            s3.upload_file(str(path), settings.data_bucket, key)
            written.append(key)
    manifest = manifest_key(settings.manifest_prefix, name)
    stale = sorted(set(_previous_keys(s3, settings.data_bucket, manifest)) - set(written))
    for key in stale:
        s3.delete_object(Bucket=settings.data_bucket, Key=key)
    written_at = datetime.now(UTC)
    body = {
        "source_key": source_key,
        "parquet_keys": written,
        "rows": rows,
        "written_at": written_at.isoformat(),
    }
    s3.put_object(
        Bucket=settings.data_bucket, Key=manifest, Body=json.dumps(body).encode(), ContentType="application/json"
    )
    return PublishResult(partitions=len(parquet_files), parquet_keys=written, removed_keys=stale, written_at=written_at)


def _previous_keys(s3: Any, bucket: str, manifest: str) -> list[str]:
    try:
        body = s3.get_object(Bucket=bucket, Key=manifest)["Body"].read()
    except s3.exceptions.NoSuchKey:
        return []
    keys: list[str] = json.loads(body)["parquet_keys"]
    return keys
