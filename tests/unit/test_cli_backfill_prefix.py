"""`orders-etl backfill --prefix`: a path below the raw area, with or without the raw prefix; a path in another
area of the bucket is refused, never quietly read as a folder below raw/."""

from __future__ import annotations

import pytest

from orders_etl_cli.backfill_command import raw_key_prefix
from orders_etl_cli.failures import CommandError

AREAS = {"quarantine/", "reports/", "parquet_files/"}


def areas() -> set[str]:
    return AREAS


@pytest.mark.parametrize(
    ("given", "prefix"),
    [
        ("2025/11/", "raw/2025/11/"),
        ("raw/2025/11/", "raw/2025/11/"),
        ("/2025/", "raw/2025/"),
        ("s3://bucket/raw/2025/", "raw/2025/"),
        ("raw", "raw/"),
        ("raw/quarantine/", "raw/quarantine/"),  # a folder of that name below raw/, said in full
        ("quarantined-2025/", "raw/quarantined-2025/"),  # a folder whose name only starts like an area
    ],
)
def test_a_path_inside_the_raw_area_is_accepted_with_or_without_the_raw_prefix(given: str, prefix: str) -> None:
    assert raw_key_prefix(given, "raw/", "bucket", areas) == prefix


@pytest.mark.parametrize(
    ("given", "line"),
    [
        (
            "quarantine/",
            "--prefix 'quarantine/' is outside the raw area raw/: backfill reads only raw/; pass a path below it, "
            "as raw/<path> or <path> (raw/quarantine/ for a folder of that name below it)",
        ),
        ("parquet_files/dt=2025-11-01/", "--prefix 'parquet_files/dt=2025-11-01/' is outside the raw area raw/"),
        ("s3://bucket/reports/x/", "--prefix 's3://bucket/reports/x/' is outside the raw area s3://bucket/raw/: pass"),
        ("s3://other/raw/2025/", "--prefix 's3://other/raw/2025/' is outside the raw area s3://bucket/raw/"),
    ],
)
def test_a_path_outside_the_raw_area_is_refused_saying_what_to_pass(given: str, line: str) -> None:
    with pytest.raises(CommandError) as refused:
        raw_key_prefix(given, "raw/", "bucket", areas)
    assert str(refused.value).startswith(line)


def test_the_bucket_is_listed_only_when_the_path_does_not_start_with_the_raw_prefix() -> None:
    def never() -> set[str]:
        raise AssertionError("listed")

    assert raw_key_prefix("raw/2025/", "raw/", "bucket", never) == "raw/2025/"
