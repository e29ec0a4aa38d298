"""Moving a rejected file out of raw/ into quarantine/, with a JSON report a person can act on."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from orders_etl.errors import parse_problems
from orders_etl.output_keys import quarantine_key, report_key
from orders_etl.s3_objects import head_object_or_none
from orders_etl.settings import PipelineSettings
from orders_etl.source_files import SourceVersion


def error_message(cause: str) -> str:
    """The human message inside a Step Functions Catch cause (a Lambda error document, or plain text)."""
    try:
        document = json.loads(cause)
    except (json.JSONDecodeError, TypeError):
        return str(cause)
    if isinstance(document, dict) and "errorMessage" in document:
        return str(document["errorMessage"])
    return str(cause)


def build_report(source_key: str, quarantined: str, error: dict[str, Any], execution_arn: str) -> dict[str, Any]:
    message = error_message(error.get("Cause", ""))
    problems = parse_problems(message)
    return {
        "source_key": source_key,
        "quarantined_key": quarantined,
        "error_type": error.get("Error", "Unknown"),
        "message": message.splitlines()[0] if message else "",
        "problems": [
            {"position": p.position, "field": p.field, "value": p.value, "expected": p.expected} for p in problems
        ],
        "execution_arn": execution_arn,
        "quarantined_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
    }


def quarantine_file(
    s3: Any,
    settings: PipelineSettings,
    source_key: str,
    error: dict[str, Any],
    execution_arn: str,
    version: SourceVersion | None = None,
) -> dict[str, str]:
    """Copy, report, then delete: a retry after any partial step finishes the move, and nothing is lost.

    Only the version that was checked moves: a later upload of the same key stays in raw/ for its own execution.
    """
    version = version or SourceVersion()
    bucket = settings.data_bucket
    target = quarantine_key(source_key, settings.raw_prefix, settings.quarantine_prefix)
    report = report_key(target)
    if _exists(s3, bucket, source_key, version):
        source = {"Bucket": bucket, "Key": source_key, **version.version_arguments()}
        s3.copy_object(Bucket=bucket, Key=target, CopySource=source)
        body = json.dumps(build_report(source_key, target, error, execution_arn), indent=2).encode()
        s3.put_object(Bucket=bucket, Key=report, Body=body, ContentType="application/json")
        s3.delete_object(Bucket=bucket, Key=source_key, **version.version_arguments())
    elif not _exists(s3, bucket, target):
        raise FileNotFoundError(f"s3://{bucket}/{source_key} is neither in raw/ nor in quarantine/")
    return {"quarantined_key": target, "report_key": report}


def _exists(s3: Any, bucket: str, key: str, version: SourceVersion | None = None) -> bool:
    return head_object_or_none(s3, bucket, key, version.version_id if version else None) is not None
