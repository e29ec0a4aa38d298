"""The message sent to the notification topic when an execution does not succeed: one per execution.

A backfill that succeeds with files left behind (quarantined, or failed within its tolerated percentage) sends one
message too, with the counts and its report: per file would flood an inbox for a backfill of thousands.

An execution of the pipeline that rejected its file ends FAILED in "Reject the file", after "Quarantine the file"
moved it: that is a "file quarantined" message (what to fix, where the file and its report are). Any other end
(FAILED elsewhere, TIMED_OUT, ABORTED, of either state machine) is an "execution failed" message naming the state,
the error and the command that redrives it. Text only, for email: SNS sends the subject line to email endpoints.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from orders_etl.failed_executions import FailedExecution
from orders_etl.output_keys import quarantine_key, report_key
from orders_etl.quarantine import error_message

# SNS Publish: a subject is "UTF-8 text with no line breaks or control characters, and less than 100 characters
# long"; it is kept to printable ASCII too, which every mail client shows as is.
SUBJECT_MAX_CHARACTERS = 99
# SNS Publish: a message is at most 256 KiB of UTF-8 (a topic's MaximumMessageSize may allow more, never less).
MESSAGE_MAX_BYTES = 256 * 1024
# A cause can be a whole stack trace: the first part says what happened, the execution's history keeps the rest.
CAUSE_MAX_CHARACTERS = 2000
_CUT = "..."


@dataclass(frozen=True)
class Notification:
    subject: str
    message: str


@dataclass(frozen=True)
class NotificationContext:
    """What the messages name besides the execution: the stack, which state machine is the per-file pipeline (its
    executions are redriven by name), and the prefixes quarantine keys derive from."""

    stack_name: str
    pipeline_state_machine_arn: str
    raw_prefix: str
    quarantine_prefix: str

    @classmethod
    def from_env(cls) -> NotificationContext:
        """Read at call time (template.yaml sets these for the notifier)."""
        env = os.environ
        return cls(
            stack_name=env["STACK_NAME"],
            pipeline_state_machine_arn=env["PIPELINE_STATE_MACHINE_ARN"],
            raw_prefix=env.get("RAW_PREFIX", "raw/"),
            quarantine_prefix=env.get("QUARANTINE_PREFIX", "quarantine/"),
        )


def notification_for(failure: FailedExecution, stack: NotificationContext) -> Notification | None:
    """The message for this execution; None for a backfill that succeeded with nothing left behind."""
    if failure.status == "SUCCEEDED":
        return _backfill_left_files(failure, stack)
    if failure.was_rejected:
        return _file_quarantined(failure, stack)
    return _execution_failed(failure, stack)


def publish(sns: Any, topic_arn: str, notification: Notification) -> str:
    """Publish to the topic; returns SNS's MessageId."""
    response = sns.publish(TopicArn=topic_arn, Subject=notification.subject, Message=notification.message)
    return str(response["MessageId"])


def _file_quarantined(failure: FailedExecution, stack: NotificationContext) -> Notification:
    bucket, key = failure.source() or ("", "")
    moved = failure.state_input.get("quarantine")
    moved = moved if isinstance(moved, dict) else {}
    quarantined = moved.get("quarantined_key") or quarantine_key(key, stack.raw_prefix, stack.quarantine_prefix)
    report = moved.get("report_key") or report_key(quarantined)
    reason = cause_text(failure.cause).splitlines() or [""]
    lines = [
        f"An order file was rejected: it is in quarantine with a report of what is wrong (stack {stack.stack_name}).",
        "",
        *_table(
            [
                ("file", f"s3://{bucket}/{key}"),
                ("error", failure.error or ""),
                ("reason", reason[0]),
                ("first problem", reason[1] if len(reason) > 1 else ""),
                ("quarantined as", f"s3://{bucket}/{quarantined}"),
                ("report", f"s3://{bucket}/{report}"),
                ("execution", failure.execution_arn),
            ]
        ),
        "",
        "Read the report:           orders-etl quarantine show " + key,
        "Once the file is fixed:    orders-etl quarantine replay " + quarantined,
    ]
    return Notification(_subject(f"{stack.stack_name}: order file quarantined: ", key), _message(lines))


def _execution_failed(failure: FailedExecution, stack: NotificationContext) -> Notification:
    is_pipeline = failure.state_machine_arn == stack.pipeline_state_machine_arn
    which = "pipeline" if is_pipeline else "backfill"
    source = failure.source()
    where = failure.failed_state or "(no state)"
    lines = [
        f'An execution of the {which} ended {failure.status} in state "{where}" (stack {stack.stack_name}).',
        "",
        *_table(
            [
                ("state machine", failure.state_machine_name),
                ("execution", failure.execution_arn),
                ("status", failure.status),
                ("failed state", where),
                ("error", failure.error or ""),
                ("file", f"s3://{source[0]}/{source[1]}" if source else ""),
                ("started", failure.started.strftime("%Y-%m-%d %H:%M:%S UTC")),
                ("redrives", str(failure.redrive_count) if failure.redrive_count else ""),
            ]
        ),
        "",
        "cause:",
        _cut(cause_text(failure.cause), CAUSE_MAX_CHARACTERS) or "(none)",
        "",
        "Once the cause is fixed, redrive it: it resumes in that state, the states that succeeded do not run again.",
        "  orders-etl executions redrive " + (failure.name if is_pipeline else failure.execution_arn),
        "  orders-etl executions show " + (failure.name if is_pipeline else failure.execution_arn),
    ]
    subject = f"{stack.stack_name}: {which} execution {failure.status} in {where}: {failure.error or 'no error'}"
    return Notification(_subject(subject, ""), _message(lines))


def _backfill_left_files(backfill: FailedExecution, stack: NotificationContext) -> Notification | None:
    summary = backfill.output.get("summary")
    summary = summary if isinstance(summary, dict) else {}
    quarantined, failed = int(summary.get("quarantined") or 0), int(summary.get("failed") or 0)
    if not quarantined and not failed:
        return None
    lines = [
        f"A backfill succeeded but left files behind (stack {stack.stack_name}).",
        "",
        *_table(
            [
                ("backfill", backfill.name),
                ("prefix", str(backfill.output.get("prefix") or "")),
                ("files", str(summary.get("files", ""))),
                ("published", str(summary.get("published", ""))),
                ("quarantined", str(quarantined)),
                ("failed", str(failed)),
                ("report", str(summary.get("report_key") or "")),
                ("execution", backfill.execution_arn),
            ]
        ),
        "",
        "Quarantined files are in quarantine/ with their reports:  orders-etl quarantine list",
        "Failed files are still in raw/ (within the tolerated percentage): back them up with another backfill",
        "  of their prefix once the cause is fixed; the report lists them.",
    ]
    subject = f"{stack.stack_name}: backfill left {quarantined} quarantined, {failed} failed: {backfill.name}"
    return Notification(_subject(subject, ""), _message(lines))


def cause_text(cause: str | None) -> str:
    """A Lambda error's cause is its JSON error document: the message is what a person reads."""
    return error_message(cause or "")


def _table(rows: list[tuple[str, str]]) -> list[str]:
    width = max(len(label) for label, _ in rows)
    return [f"{label.ljust(width)}  {value}" for label, value in rows if value]


def _subject(text: str, tail: str) -> str:
    """`text` + `tail` as one line of printable ASCII within SNS's limit; a long tail (a key) keeps its end."""
    text, tail = _printable_ascii(text), _printable_ascii(tail)
    room = SUBJECT_MAX_CHARACTERS - len(text)
    if len(tail) > room:
        tail = _CUT + tail[len(tail) - (room - len(_CUT)) :] if room > len(_CUT) else ""
    return (text + tail)[:SUBJECT_MAX_CHARACTERS].strip()


def _printable_ascii(text: str) -> str:
    return "".join(c if " " <= c <= "~" else "?" for c in text)


def _cut(text: str, characters: int) -> str:
    return text if len(text) <= characters else text[: characters - len(_CUT)] + _CUT


def _message(lines: list[str]) -> str:
    message = "\n".join(lines)
    encoded = message.encode("utf-8")
    if len(encoded) <= MESSAGE_MAX_BYTES:
        return message
    # Only a key of up to 1,024 bytes and a cut cause vary: this cannot happen, but SNS would refuse the message.
    return encoded[: MESSAGE_MAX_BYTES - len(_CUT)].decode("utf-8", errors="ignore") + _CUT
