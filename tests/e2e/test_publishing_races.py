"""orders_etl.publishing against S3's conditional writes: another version published between our read and write."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from orders_etl.publishing import publish
from orders_etl.settings import PipelineSettings
from orders_etl.source_files import SourceVersion
from support import Stack, pipeline_settings

KEY = "raw/race/file.json"
OLD, NEW = SourceVersion("v-old", "0000000000000000A1"), SourceVersion("v-new", "0000000000000000B2")


def settings(stack: Stack) -> PipelineSettings:
    return pipeline_settings(stack.bucket, max_file_bytes=1 << 20)


def parquet(tmp_path: Path, name: str) -> dict[str, list[Path]]:
    path = tmp_path / f"{name}.parquet"
    pq.write_table(pa.table({"order_id": [name]}), path)
    return {"2025-10-01": [path]}


class RacingS3:
    """The real client, except that the first manifest write is preceded by `before_manifest` (another publish)."""

    def __init__(self, s3: Any, before_manifest: Any) -> None:
        self._s3, self._before = s3, before_manifest
        self.exceptions = s3.exceptions

    def put_object(self, **arguments: Any) -> Any:
        if arguments["Key"].startswith("manifests/") and self._before is not None:
            before, self._before = self._before, None
            before()
        return self._s3.put_object(**arguments)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._s3, name)


@pytest.mark.parametrize(
    ("ours", "theirs", "ours_superseded"),
    [(OLD, NEW, True), (NEW, OLD, False)],
    ids=["a newer version published meanwhile wins", "an older version published meanwhile is replaced"],
)
def test_of_two_versions_published_at_once_only_the_newer_one_stays(
    stack: Stack, tmp_path: Path, ours: SourceVersion, theirs: SourceVersion, ours_superseded: bool
) -> None:
    s3, config = stack.client("s3"), settings(stack)
    # GIVEN our publish is overtaken between reading the manifest and writing it by another version's publish
    racing = RacingS3(s3, lambda: publish(s3, config, KEY, parquet(tmp_path, "theirs"), 1, theirs))
    result = publish(racing, config, KEY, parquet(tmp_path, "ours"), 1, ours)

    # THEN the older of the two reports it was superseded, and only the newer version's object remains
    assert result.superseded is ours_superseded
    (only,) = stack.keys("parquet_files/")
    assert NEW.sequencer in only


def test_the_same_version_published_twice_at_once_keeps_one_set_of_objects(stack: Stack, tmp_path: Path) -> None:
    s3, config = stack.client("s3"), settings(stack)
    racing = RacingS3(s3, lambda: publish(s3, config, KEY, parquet(tmp_path, "new"), 1, NEW))
    result = publish(racing, config, KEY, parquet(tmp_path, "new"), 1, NEW)
    assert not result.superseded
    assert len(stack.keys("parquet_files/")) == 1


def two_versions(stack: Stack) -> tuple[str, str]:
    """The key uploaded twice (the bucket is versioned, the pipeline paused): (older, latest) version ids."""
    stack.pause_pipeline()
    s3 = stack.client("s3")
    older = s3.put_object(Bucket=stack.bucket, Key=KEY, Body=b"[]")["VersionId"]
    latest = s3.put_object(Bucket=stack.bucket, Key=KEY, Body=b"[]")["VersionId"]
    return older, latest


def test_a_backfill_of_the_published_version_rewrites_the_same_objects(stack: Stack, tmp_path: Path) -> None:
    # GIVEN the latest version published from its event (with a sequencer)
    s3, config = stack.client("s3"), settings(stack)
    _, latest = two_versions(stack)
    publish(s3, config, KEY, parquet(tmp_path, "event"), 1, SourceVersion(latest, NEW.sequencer))
    before = stack.keys("parquet_files/")
    # WHEN a backfill (no event: no sequencer) republishes that same version
    result = publish(s3, config, KEY, parquet(tmp_path, "backfill"), 1, SourceVersion(latest, None))
    # THEN it takes the published sequencer and replaces the objects in place
    assert not result.superseded
    assert stack.keys("parquet_files/") == before and NEW.sequencer in before[0]


def test_a_backfill_that_read_an_older_version_never_replaces_a_newer_published_one(
    stack: Stack, tmp_path: Path
) -> None:
    # GIVEN a backfill pinned the older version, and meanwhile the latest one was uploaded and published
    s3, config = stack.client("s3"), settings(stack)
    older, latest = two_versions(stack)
    publish(s3, config, KEY, parquet(tmp_path, "newer"), 1, SourceVersion(latest, NEW.sequencer))
    # WHEN the backfill publishes the older version (no sequencer to compare)
    result = publish(s3, config, KEY, parquet(tmp_path, "older"), 1, SourceVersion(older, None))
    # THEN it is superseded, found by the key's latest version, and the newer objects stay
    assert result.superseded
    (only,) = stack.keys("parquet_files/")
    assert NEW.sequencer in only


def test_a_backfill_of_the_latest_version_replaces_an_older_published_one(stack: Stack, tmp_path: Path) -> None:
    # GIVEN the older version is what the table holds (the latest one's event has not been processed yet)
    s3, config = stack.client("s3"), settings(stack)
    older, latest = two_versions(stack)
    publish(s3, config, KEY, parquet(tmp_path, "older"), 1, SourceVersion(older, OLD.sequencer))
    # WHEN a backfill publishes the latest version
    result = publish(s3, config, KEY, parquet(tmp_path, "latest"), 1, SourceVersion(latest, None))
    # THEN the table holds the latest version's objects only
    assert not result.superseded
    (only,) = stack.keys("parquet_files/")
    assert OLD.sequencer not in only
