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
from datetime import UTC, datetime
from typing import Any

from orders_etl.settings import PipelineSettings

OUTCOMES = ("published", "quarantined", "skipped", "gone")


def backfill_folder(settings: PipelineSettings, backfill: str) -> str:
    return f"{settings.report_prefix}backfills/{backfill}/"


def summary_key(settings: PipelineSettings, backfill: str) -> str:
    return backfill_folder(settings, backfill) + "summary.json"


def summarize_backfill(
    s3: Any, sfn: Any, settings: PipelineSettings, backfill: str, map_run_arn: str, prefix: str
) -> dict[str, Any]:
    """Counts for the state machine; the whole report written to S3 beside the batch reports."""
    written_before = _now()  # every file of the backfill was written before this moment
    records = _batch_records(s3, settings.data_bucket, backfill_folder(settings, backfill) + "batches/")
    outcomes = Counter(record.get("outcome") for record in records)
    item_counts = sfn.describe_map_run(mapRunArn=map_run_arn)["itemCounts"]
    failed = (
        int(item_counts.get("failed", 0)) + int(item_counts.get("timedOut", 0)) + int(item_counts.get("aborted", 0))
    )
    counts = {
        "files": int(item_counts.get("total", len(records))),
        **{outcome: outcomes.get(outcome, 0) for outcome in OUTCOMES},
        "rows": sum(int(record.get("rows") or 0) for record in records if record.get("outcome") == "published"),
        "superseded": sum(1 for record in records if record.get("superseded")),
        "failed": failed,
    }
    key = summary_key(settings, backfill)
    report = {
        "backfill": backfill,
        "prefix": prefix,
        "map_run_arn": map_run_arn,
        **counts,
        "quarantined_files": [
            {"key": r["key"], "error": r.get("error"), "report_key": r.get("report_key")}
            for r in records
            if r.get("outcome") == "quarantined"
        ],
        "gone_files": [r["key"] for r in records if r.get("outcome") == "gone"],
        "written_before": written_before,
    }
    s3.put_object(
        Bucket=settings.data_bucket, Key=key, Body=json.dumps(report, indent=2).encode(), ContentType="application/json"
    )
    return {**counts, "report_key": key, "written_before": written_before}


def _batch_records(s3: Any, bucket: str, folder: str) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=folder):
        for item in page.get("Contents", []):
            body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            records.extend(json.loads(body))
    # A batch rerun (a redrive) replaces its report; a file listed twice would be a bug, counted once.
    unique = {record["key"]: record for record in records}
    return list(unique.values())


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
