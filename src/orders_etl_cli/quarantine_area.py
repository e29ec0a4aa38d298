"""The quarantine area of the data bucket: where rejected files and their reports are, and reading them."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from orders_etl.output_keys import report_key
from orders_etl.s3_objects import get_object_or_none
from orders_etl_cli.stack import StackContext

REPORT_SUFFIX = report_key("")
REASON_WIDTH = 80
REPORT_READERS = 8


@dataclass(frozen=True)
class QuarantineArea:
    bucket: str
    raw_prefix: str
    quarantine_prefix: str

    def path_of(self, key: str) -> str:
        """The path below raw/ or quarantine/ that `key` names, whichever of the three forms it has."""
        key = key.removeprefix(f"s3://{self.bucket}/")
        for prefix in (self.quarantine_prefix, self.raw_prefix):
            if key.startswith(prefix):
                return key[len(prefix) :]
        return key.lstrip("/")

    def quarantined_key(self, path: str) -> str:
        return self.quarantine_prefix + path

    def raw_key(self, path: str) -> str:
        return self.raw_prefix + path

    def url(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    def source_key(self, quarantined_key: str, report: dict[str, Any] | None) -> str:
        """Where the file came from: its report says (a name shortened to fit S3's limit does not)."""
        source = str(report.get("source_key") or "") if report else ""
        return source if source.startswith(self.raw_prefix) else self.raw_key(self.path_of(quarantined_key))


def find_area(stack: StackContext) -> QuarantineArea:
    """The bucket and prefixes as deployed (stack outputs)."""
    outputs = stack.outputs
    return QuarantineArea(outputs["DataBucketName"], outputs["RawPrefix"], outputs["QuarantinePrefix"])


@dataclass
class QuarantinedFile:
    key: str
    size_bytes: int
    last_modified: datetime
    report: dict[str, Any] | None

    @property
    def error_type(self) -> str:
        return str(self.report.get("error_type", "")) if self.report else ""

    @property
    def reason(self) -> str:
        return short_reason(self.report) if self.report else "no report"

    @property
    def quarantined_at(self) -> str:
        return str(self.report.get("quarantined_at") or "") if self.report else _iso(self.last_modified)

    @property
    def execution_arn(self) -> str:
        return str(self.report.get("execution_arn") or "") if self.report else ""

    @property
    def execution_name(self) -> str:
        return self.execution_arn.rsplit(":", 1)[-1]

    def as_json(self, area: QuarantineArea) -> dict[str, Any]:
        return {
            "quarantined_key": self.key,
            "source_key": area.source_key(self.key, self.report),
            "report_key": report_key(self.key) if self.report else None,
            "error_type": self.error_type,
            "reason": self.reason,
            "problem_count": len(self.report.get("problems", [])) if self.report else 0,
            "quarantined_at": self.quarantined_at,
            "execution_arn": self.execution_arn,
            "execution_name": self.execution_name,
            "size_bytes": self.size_bytes,
        }


def short_reason(report: dict[str, Any]) -> str:
    """The report's message on one line without the source key (shown beside it anyway), cut to REASON_WIDTH."""
    message = str(report.get("message", "")).split("\n", 1)[0]
    source = str(report.get("source_key", ""))
    if source and message.startswith(f"{source}: "):
        message = message[len(source) + 2 :]
    return message if len(message) <= REASON_WIDTH else message[: REASON_WIDTH - 1] + "…"


def list_quarantined(s3: Any, area: QuarantineArea, limit: int | None = None) -> tuple[list[QuarantinedFile], int]:
    """The `limit` most recently quarantined files with their reports, and how many there are in all."""
    objects = _objects(s3, area.bucket, area.quarantine_prefix)
    files = [item for key, item in objects.items() if not _is_report(key, objects)]
    files.sort(key=lambda item: (item["LastModified"], item["Key"]), reverse=True)
    shown = files[:limit] if limit else files

    def read(item: dict[str, Any]) -> QuarantinedFile:
        has_report = report_key(item["Key"]) in objects
        report = read_report(s3, area.bucket, item["Key"]) if has_report else None
        return QuarantinedFile(item["Key"], item["Size"], item["LastModified"], report)

    with ThreadPoolExecutor(max_workers=REPORT_READERS) as pool:
        return list(pool.map(read, shown)), len(files)


def _objects(s3: Any, bucket: str, prefix: str) -> dict[str, dict[str, Any]]:
    objects: dict[str, dict[str, Any]] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        objects.update((item["Key"], item) for item in page.get("Contents", []))
    return objects


def _is_report(key: str, keys: dict[str, Any]) -> bool:
    # A file named like a report (`x.error.json`) is told apart by its own report beside it.
    return key.endswith(REPORT_SUFFIX) and report_key(key) not in keys


def read_report(s3: Any, bucket: str, quarantined_key: str) -> dict[str, Any] | None:
    response = get_object_or_none(s3, bucket, report_key(quarantined_key))
    if response is None:
        return None
    body = response["Body"].read()
    try:
        report = json.loads(body)
    except ValueError as error:
        return {"message": f"unreadable report: {error}"}
    return report if isinstance(report, dict) else {"message": "unreadable report: not a JSON object"}


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
