"""Sending a quarantined file back to raw/ without ever losing or overwriting a file, and finding its execution."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from orders_etl.output_keys import report_key
from orders_etl.s3_objects import head_object_or_none, is_precondition_failed, lost_conditional_write
from orders_etl_cli.executions import TERMINAL, source_key
from orders_etl_cli.failures import CommandError
from orders_etl_cli.quarantine_area import QuarantineArea, read_report

# S3 LastModified has whole seconds and comes from another service's clock than Step Functions' startDate.
START_TIME_SLACK = timedelta(seconds=5)
STAGING_SUFFIX = ".replaying"


class QuarantineError(CommandError):
    """A user-facing failure: printed on stderr, exit code 1."""


@dataclass(frozen=True)
class Replay:
    quarantined_key: str
    raw_key: str
    copied_at: datetime
    report_removed: bool
    notes: tuple[str, ...] = ()  # worth a reader's attention, though nothing failed


def move_back_to_raw(s3: Any, area: QuarantineArea, quarantined: str) -> Replay:
    """A quarantined file back to its raw/ key with its report removed, never over a raw file, never losing one.

    The file passes through a staging key, so that the quarantined copy and its report are gone before raw/<path>
    exists: the execution that the raw key starts may quarantine the file again at once, and nothing here may
    delete that new copy. If this stops half-way, the file is at the staging key.
    """
    bucket = area.bucket
    report = report_key(quarantined)
    raw = area.source_key(quarantined, read_report(s3, bucket, quarantined))
    source = head_object_or_none(s3, bucket, quarantined)
    if source is None:
        raise QuarantineError(f"nothing quarantined at {area.url(quarantined)}")
    if head_object_or_none(s3, bucket, raw) is not None:
        raise QuarantineError(f"{area.url(raw)} already exists: replay never overwrites a raw file")
    report_head = head_object_or_none(s3, bucket, report)
    notes = []
    if report_head is not None and source["LastModified"] <= report_head["LastModified"]:
        # Whole seconds: a fix uploaded within the second of quarantining also lands here, hence "may".
        notes.append("the file is not newer than its report, so it may not be fixed; replaying it anyway")
    staging = quarantined + STAGING_SUFFIX
    staged = _copy_unless_present(s3, area, quarantined, staging, source["ETag"])["CopyObjectResult"]["ETag"]
    if not _delete_if_unchanged(s3, bucket, quarantined, source["ETag"]):
        s3.delete_object(Bucket=bucket, Key=staging)
        raise QuarantineError(f"{area.url(quarantined)} changed during the replay; nothing moved, try again")
    report_removed = report_head is not None and _delete_if_unchanged(s3, bucket, report, report_head["ETag"])
    if report_head is not None and not report_removed:
        notes.append(f"{area.url(report)} changed during the replay and was left in place")
    try:
        copied = _copy_unless_present(s3, area, staging, raw, staged)
    except QuarantineError as error:
        raise QuarantineError(f"{area.url(raw)} appeared meanwhile; the file is kept at {area.url(staging)}") from error
    s3.delete_object(Bucket=bucket, Key=staging)
    return Replay(quarantined, raw, copied["CopyObjectResult"]["LastModified"], report_removed, tuple(notes))


def _copy_unless_present(s3: Any, area: QuarantineArea, source: str, target: str, etag: str) -> dict[str, Any]:
    try:
        copied: dict[str, Any] = s3.copy_object(
            Bucket=area.bucket,
            Key=target,
            CopySource={"Bucket": area.bucket, "Key": source},
            CopySourceIfMatch=etag,
            IfNoneMatch="*",
        )
    except ClientError as error:
        if lost_conditional_write(error):
            raise QuarantineError(
                f"{area.url(target)} appeared or {area.url(source)} changed meanwhile; nothing moved, try again"
            ) from error
        raise
    return copied


def _delete_if_unchanged(s3: Any, bucket: str, key: str, etag: str) -> bool:
    try:
        s3.delete_object(Bucket=bucket, Key=key, IfMatch=etag)
    except ClientError as error:
        if not is_precondition_failed(error):
            raise
        return False
    return True


def newest_executions(sfn: Any, machine: str) -> list[dict[str, Any]]:
    executions: list[dict[str, Any]] = sfn.list_executions(stateMachineArn=machine, maxResults=1000)["executions"]
    return executions


def wait_for_replay(
    sfn: Any, machine: str, replay: Replay, earlier: set[str], timeout: float, poll_seconds: float
) -> dict[str, Any]:
    """The replayed file's execution once it has ended; QuarantineError when it has not within `timeout`."""
    deadline = time.monotonic() + timeout
    keys: dict[str, str | None] = {}
    execution_arn: str | None = None
    while True:
        execution_arn = execution_arn or _find_execution(sfn, machine, replay, earlier, keys)
        if execution_arn is not None:
            description: dict[str, Any] = sfn.describe_execution(executionArn=execution_arn)
            if description["status"] in TERMINAL:
                return description
        if time.monotonic() >= deadline:
            raise QuarantineError(_timeout_message(replay, execution_arn, timeout))
        time.sleep(poll_seconds)


def _find_execution(
    sfn: Any, machine: str, replay: Replay, earlier: set[str], keys: dict[str, str | None]
) -> str | None:
    not_before = replay.copied_at - START_TIME_SLACK
    for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=machine):
        for execution in page["executions"]:  # newest first
            if execution["startDate"] < not_before:
                return None
            arn = str(execution["executionArn"])
            if arn in earlier:
                continue
            if arn not in keys:
                keys[arn] = source_key(sfn, arn)
            if keys[arn] == replay.raw_key:
                return arn
    return None


def _timeout_message(replay: Replay, execution_arn: str | None, timeout: float) -> str:
    if execution_arn is None:
        return (
            f"no execution started for {replay.raw_key} within {timeout:g} s "
            "(is the bucket's EventBridge notification on?); the file stays in raw/"
        )
    return f"execution {execution_arn} still running after {timeout:g} s; it goes on without us"
