"""A backfill's outcome: its batch reports (one per child workflow) and its Map Run's counts, added up.

Each batch of a backfill writes `<reports>/backfills/<backfill>/batches/<hash>.json`, a list of
`{"key", "outcome", ...}` records (outcome: published, quarantined, skipped, gone). Files whose batch failed
after its retries write no record; the Map Run counts them. The full report, with every quarantined file,
goes to `<reports>/backfills/<backfill>/summary.json`; the counts alone come back to the state machine,
whose payloads are limited to 256 KB.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from orders_etl.crawl import format_timestamp
from orders_etl.settings import PipelineSettings

OUTCOMES = ("published", "quarantined", "skipped", "gone")
READERS = 32  # S3 GETs in flight while adding up the batch reports


def backfill_folder(settings: PipelineSettings, backfill: str) -> str:
    return f"{settings.report_prefix}backfills/{backfill}/"


def summary_key(settings: PipelineSettings, backfill: str) -> str:
    return backfill_folder(settings, backfill) + "summary.json"


def summarize_backfill(
    s3: Any, sfn: Any, settings: PipelineSettings, backfill: str, map_run_arn: str, prefix: str
) -> dict[str, Any]:
    """Counts for the state machine; the whole report written to S3 beside the batch reports."""
    written_before = format_timestamp(datetime.now(UTC))  # every file of the backfill was written before this moment
    tally = _Tally()
    for records in _batch_reports(s3, settings.data_bucket, backfill_folder(settings, backfill) + "batches/"):
        tally.add(records)
    item_counts = sfn.describe_map_run(mapRunArn=map_run_arn)["itemCounts"]
    failed = (
        int(item_counts.get("failed", 0)) + int(item_counts.get("timedOut", 0)) + int(item_counts.get("aborted", 0))
    )
    counts = {
        "files": int(item_counts.get("total", sum(tally.outcomes.values()))),
        **{outcome: tally.outcomes.get(outcome, 0) for outcome in OUTCOMES},
        "rows": tally.rows,
        "superseded": tally.superseded,
        "failed": failed,
    }
    key = summary_key(settings, backfill)
    report = {
        "backfill": backfill,
        "prefix": prefix,
        "map_run_arn": map_run_arn,
        **counts,
        "quarantined_files": tally.quarantined,
        "gone_files": tally.gone,
        "written_before": written_before,
    }
    s3.put_object(
        Bucket=settings.data_bucket, Key=key, Body=json.dumps(report, indent=2).encode(), ContentType="application/json"
    )
    return {**counts, "report_key": key, "written_before": written_before}


@dataclass
class _Tally:
    """Adds batch reports up as they arrive: a million files' records are never held at once."""

    outcomes: Counter[str] = field(default_factory=Counter)
    rows: int = 0
    superseded: int = 0
    quarantined: list[dict[str, Any]] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)

    def add(self, records: list[dict[str, Any]]) -> None:
        for record in records:
            outcome = str(record.get("outcome"))
            self.outcomes[outcome] += 1
            if outcome == "published":
                self.rows += int(record.get("rows") or 0)
                self.superseded += bool(record.get("superseded"))
            elif outcome == "quarantined":
                self.quarantined.append(
                    {"key": record["key"], "error": record.get("error"), "report_key": record.get("report_key")}
                )
            elif outcome == "gone":
                self.gone.append(record["key"])


def _batch_reports(s3: Any, bucket: str, folder: str) -> Iterator[list[dict[str, Any]]]:
    """Each batch report's records, read READERS at a time (one report per 50 files: 20,000 for a million).

    A batch rerun (a redrive) replaces its report, whose name comes from its first key, so no file is counted twice.
    """
    keys = [
        item["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=folder)
        for item in page.get("Contents", [])
    ]

    def read(key: str) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        return records

    with ThreadPoolExecutor(max_workers=READERS) as pool:
        yield from pool.map(read, keys)
