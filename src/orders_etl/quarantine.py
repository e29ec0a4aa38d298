"""Moving a rejected file out of raw/ into quarantine/, with a JSON report a person can act on."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Final

from boto3.s3.transfer import TransferConfig

from orders_etl.errors import parse_problems
from orders_etl.output_keys import quarantine_key, report_key
from orders_etl.s3_objects import head_object_or_none
from orders_etl.settings import PipelineSettings
from orders_etl.source_files import SourceVersion

# CopyObject copies a source of at most 5 GiB; S3 refuses a larger one (400 InvalidRequest): it moves in parts.
COPY_OBJECT_MAX_BYTES: Final = 5 * 1024**3
# UploadPartCopy parts (S3: 5 MiB to 5 GiB, at most 10,000; s3transfer enlarges them past 2.5 TiB), copied server
# side 10 at a time: at ~50 MB/s per copy request one part takes ~5 s, well within the SDK's 60 s read timeout.
MULTIPART_COPY_PART_BYTES: Final = 256 * 1024**2
MULTIPART_COPY_CONCURRENCY: Final = 10  # botocore's default connection pool holds 10


def error_message(cause: str) -> str:
    """The human message inside a Step Functions Catch cause (a Lambda error document, or plain text)."""
    try:
        document = json.loads(cause)
    except (json.JSONDecodeError, TypeError):
        return str(cause)
    if isinstance(document, dict) and "errorMessage" in document:
        return str(document["errorMessage"])
    return str(cause)


# Lambda's error for a call past the function's Timeout; validate and flatten retry it once, then quarantine.
TIMED_OUT = "Sandbox.Timedout"
TIMED_OUT_ADVICE = (
    "Validate and flatten are sized so that the slowest path finishes a file of MaxFileBytes within 2/3 of their "
    "Timeout (docs/limits.md); this file did not, twice. Give the function more CPU (ValidateMemorySize "
    "or FlattenMemorySize: CPU grows with memory) or split the file, then replay it unchanged."
)


def build_report(source_key: str, quarantined: str, error: dict[str, Any], execution_arn: str) -> dict[str, Any]:
    message = error_message(error.get("Cause", ""))
    problems = parse_problems(message)
    error_type = error.get("Error", "Unknown")
    if error_type == TIMED_OUT:  # Lambda's message starts with "RequestId: <id> Error: "
        message = f"timed out twice: {message.rpartition('Error: ')[2]}. {TIMED_OUT_ADVICE}"
    return {
        "source_key": source_key,
        "quarantined_key": quarantined,
        "error_type": error_type,
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
    head = head_object_or_none(s3, bucket, source_key, version.version_id)
    if head is not None:
        source = {"Bucket": bucket, "Key": source_key, **version.version_arguments()}
        copy_any_size(s3, source, bucket, target, int(head["ContentLength"]))
        body = json.dumps(build_report(source_key, target, error, execution_arn), indent=2).encode()
        s3.put_object(Bucket=bucket, Key=report, Body=body, ContentType="application/json")
        s3.delete_object(Bucket=bucket, Key=source_key, **version.version_arguments())
    elif not _exists(s3, bucket, target):
        raise FileNotFoundError(f"s3://{bucket}/{source_key} is neither in raw/ nor in quarantine/")
    return {"quarantined_key": target, "report_key": report}


def copy_any_size(s3: Any, source: dict[str, str], bucket: str, key: str, size: int) -> None:
    """Copy `source` (bucket, key, version) of `size` bytes to `key`: one CopyObject up to S3's limit, else a
    multipart copy of that version (boto3's managed copy: UploadPartCopy of each byte range in parallel, each
    guarded by the source's ETag; a failure aborts the upload, so no incomplete upload keeps its parts)."""
    if size <= COPY_OBJECT_MAX_BYTES:
        s3.copy_object(Bucket=bucket, Key=key, CopySource=source)
        return
    config = TransferConfig(
        multipart_threshold=COPY_OBJECT_MAX_BYTES,
        multipart_chunksize=MULTIPART_COPY_PART_BYTES,
        max_concurrency=MULTIPART_COPY_CONCURRENCY,
    )
    s3.copy(source, bucket, key, Config=config)


def _exists(s3: Any, bucket: str, key: str) -> bool:
    return head_object_or_none(s3, bucket, key) is not None
