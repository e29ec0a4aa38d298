"""orders_etl.notifications and failed_executions: what a failed execution's message says, within SNS's limits."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from orders_etl.failed_executions import HISTORY_PAGE_SIZE, REJECT_STATE, FailedExecution, read_failed_execution
from orders_etl.notifications import (
    CAUSE_MAX_CHARACTERS,
    MESSAGE_MAX_BYTES,
    SUBJECT_MAX_CHARACTERS,
    NotificationContext,
    cause_text,
    notification_for,
)
from orders_etl.output_keys import quarantine_key, report_key

PIPELINE = "arn:aws:states:us-east-1:123456789012:stateMachine:etl-OrderPipelineStateMachine"
BACKFILL = "arn:aws:states:us-east-1:123456789012:stateMachine:backfill-7d1460d9"
CONTEXT = NotificationContext("etl", PIPELINE, raw_prefix="raw/", quarantine_prefix="quarantine/")
KEY = "raw/2025/11/bad_orders.json"


def s3_event(key: str = KEY) -> dict[str, Any]:
    return {"source": "aws.s3", "detail": {"bucket": {"name": "data"}, "object": {"key": key, "version-id": "v1"}}}


def lambda_cause(message: str, error_type: str = "InvalidOrderFile") -> str:
    return json.dumps({"errorMessage": message, "errorType": error_type, "requestId": "r", "stackTrace": []})


def failure(**fields: Any) -> FailedExecution:
    defaults: dict[str, Any] = {
        "execution_arn": f"{PIPELINE.replace(':stateMachine:', ':execution:')}:e-1",
        "state_machine_arn": PIPELINE,
        "name": "e-1",
        "status": "FAILED",
        "error": "ConnectionResetError",
        "cause": lambda_cause("connection reset by peer", "ConnectionResetError"),
        "started": datetime(2026, 11, 25, 20, 28, 59, tzinfo=UTC),
        "redrive_count": 0,
        "failed_state": "Flatten to Parquet",
        "state_input": s3_event(),
        "execution_input": s3_event(),
        "output": {},
    }
    return FailedExecution(**(defaults | fields))


def rejected(**fields: Any) -> FailedExecution:
    state_input = s3_event() | {
        "error": {"Error": "InvalidOrderFile", "Cause": "..."},
        "quarantine": {"quarantined_key": "quarantine/2025/11/bad_orders.json", "report_key": "quarantine/r.json"},
    }
    cause = lambda_cause(f'{KEY}: 2 problems (showing 2)\n$[1].price "price": expected a number; got "x"\n...')
    defaults = {"error": "InvalidOrderFile", "cause": cause, "failed_state": REJECT_STATE, "state_input": state_input}
    return failure(**(defaults | fields))


# ---------- which message ----------
def test_a_rejected_file_is_a_quarantine_message_with_the_keys_the_quarantine_step_gave() -> None:
    # GIVEN an execution that ended in "Reject the file" after "Quarantine the file" moved the file
    # WHEN its notification is built
    notification = notification_for(rejected(), CONTEXT)

    # THEN it names the file, the error, the first line of the cause and the first problem, where the file and its
    # report are, and the execution; it offers no redrive (the file's problem is not AWS's)
    assert notification.subject == f"etl: order file quarantined: {KEY}"
    lines = notification.message.splitlines()
    assert f"file            s3://data/{KEY}" in lines
    assert "error           InvalidOrderFile" in lines
    assert f"reason          {KEY}: 2 problems (showing 2)" in lines
    assert 'first problem   $[1].price "price": expected a number; got "x"' in lines
    assert "quarantined as  s3://data/quarantine/2025/11/bad_orders.json" in lines
    assert "report          s3://data/quarantine/r.json" in lines
    assert f"execution       {failure().execution_arn}" in lines
    assert "redrive" not in notification.message


def test_without_the_quarantine_steps_output_the_keys_are_derived_by_the_pipelines_own_rules() -> None:
    # GIVEN a rejected file whose key is too long for a plain quarantine name, and no quarantine output at hand
    key = "raw/" + "deep/" * 250 + "orders.json"
    state_input = s3_event(key)
    cause = lambda_cause("too large", "FileTooLarge")
    execution = rejected(state_input=state_input, cause=cause, error="FileTooLarge")

    # WHEN its notification is built
    notification = notification_for(execution, CONTEXT)

    # THEN the quarantine and report keys are those output_keys gives (shortened with a hash)
    quarantined = quarantine_key(key, "raw/", "quarantine/")
    assert "~" in quarantined  # shortened: the start of the path and a hash of the key
    assert f"s3://data/{quarantined}" in notification.message
    assert f"s3://data/{report_key(quarantined)}" in notification.message


def test_a_failure_names_the_state_the_error_the_cause_and_the_redrive_by_name() -> None:
    notification = notification_for(failure(), CONTEXT)

    assert notification.subject == "etl: pipeline execution FAILED in Flatten to Parquet: ConnectionResetError"
    lines = notification.message.splitlines()
    assert "failed state   Flatten to Parquet" in lines
    assert "error          ConnectionResetError" in lines
    assert f"file           s3://data/{KEY}" in lines
    assert "started        2026-11-25 20:28:59 UTC" in lines
    assert "connection reset by peer" in lines
    assert "  orders-etl executions redrive e-1" in lines


def backfill_succeeded(**summary: int) -> FailedExecution:
    counts = {"files": 40, "published": 40, "quarantined": 0, "failed": 0} | summary
    return failure(
        state_machine_arn=BACKFILL,
        execution_arn=f"{BACKFILL.replace(':stateMachine:', ':execution:')}:backfill-20261128",
        name="backfill-20261128",
        status="SUCCEEDED",
        error=None,
        cause=None,
        output={
            "prefix": "raw/2024/",
            "summary": counts | {"report_key": "reports/backfills/backfill-20261128/summary.json"},
        },
    )


def test_a_backfill_that_left_files_behind_sends_one_message_with_the_counts_and_its_report() -> None:
    notification = notification_for(backfill_succeeded(published=37, quarantined=2, failed=1), CONTEXT)

    assert notification is not None
    assert notification.subject == "etl: backfill left 2 quarantined, 1 failed: backfill-20261128"
    lines = notification.message.splitlines()
    assert "quarantined  2" in lines and "failed       1" in lines and "prefix       raw/2024/" in lines
    assert "report       reports/backfills/backfill-20261128/summary.json" in lines


def test_a_backfill_that_left_nothing_behind_sends_nothing() -> None:
    assert notification_for(backfill_succeeded(), CONTEXT) is None


def test_a_backfill_failure_is_redriven_by_its_arn_the_command_names_the_pipeline_by_default() -> None:
    arn = f"{BACKFILL.replace(':stateMachine:', ':execution:')}:backfill-20261125"
    execution = failure(
        state_machine_arn=BACKFILL,
        execution_arn=arn,
        name="backfill-20261125",
        error="States.ExceedToleratedFailureThreshold",
        failed_state="Process every file",
        state_input={"prefix": "raw/2024/"},
        execution_input={"prefix": "raw/2024/"},
        redrive_count=2,
    )
    notification = notification_for(execution, CONTEXT)

    assert notification.subject.startswith("etl: backfill execution FAILED in Process every file: States.Exceed")
    assert f"  orders-etl executions redrive {arn}" in notification.message.splitlines()
    assert "redrives       2" in notification.message.splitlines()
    assert "file " not in notification.message  # no S3 event in its input


@pytest.mark.parametrize("status", ["TIMED_OUT", "ABORTED"])
def test_an_execution_stopped_without_an_error_says_so(status: str) -> None:
    notification = notification_for(failure(status=status, error=None, cause=None, failed_state="Wait"), CONTEXT)

    assert notification.subject == f"etl: pipeline execution {status} in Wait: no error"
    assert "cause:\n(none)" in notification.message


def test_an_execution_aborted_in_reject_the_file_is_not_a_quarantine() -> None:
    # Only the Fail state's own end (FAILED) is a rejection the pipeline decided
    assert notification_for(rejected(status="ABORTED"), CONTEXT).subject.startswith("etl: pipeline execution ABORTED")


# ---------- SNS's limits ----------
def test_subjects_stay_within_sns_limits_and_keep_the_end_of_a_long_key() -> None:
    # GIVEN a rejected file with a long key holding non-ASCII characters and a line break
    key = "raw/" + "ünïcode/" * 30 + "line\nbreak/orders.json"
    execution = rejected(state_input=s3_event(key) | {"quarantine": rejected().state_input["quarantine"]})

    # WHEN its notification is built
    subject = notification_for(execution, CONTEXT).subject

    # THEN the subject is under 100 characters of printable ASCII (SNS: no line breaks or control characters)
    assert len(subject) <= SUBJECT_MAX_CHARACTERS < 100
    assert all(" " <= c <= "~" for c in subject)
    assert subject.startswith("etl: order file quarantined: ...")
    assert subject.endswith("line?break/orders.json")


def test_a_long_cause_is_cut_and_the_message_stays_within_sns_limit() -> None:
    cause = lambda_cause("x" * 300_000, "RuntimeError")
    message = notification_for(failure(cause=cause, error="RuntimeError"), CONTEXT).message

    assert "x" * (CAUSE_MAX_CHARACTERS - 3) + "..." in message
    assert "x" * CAUSE_MAX_CHARACTERS not in message
    assert len(message.encode("utf-8")) <= MESSAGE_MAX_BYTES


@pytest.mark.parametrize(
    ("cause", "text"),
    [
        (lambda_cause("line one\nline two"), "line one\nline two"),
        ("crawler etl still running after 40 checks", "crawler etl still running after 40 checks"),
        ('{"no": "errorMessage"}', '{"no": "errorMessage"}'),
        (None, ""),
    ],
)
def test_the_cause_read_is_a_lambda_errors_message_or_the_cause_itself(cause: str | None, text: str) -> None:
    assert cause_text(cause) == text


# ---------- reading the execution back ----------
def history_event(event_id: int, kind: str, **details: Any) -> dict[str, Any]:
    event: dict[str, Any] = {"id": event_id, "type": kind, "timestamp": datetime(2026, 1, 1, tzinfo=UTC)}
    if kind.endswith("StateEntered"):
        event["stateEnteredEventDetails"] = details
    return event


def test_the_failed_state_is_the_last_one_entered_read_newest_first_a_page_at_a_time() -> None:
    # GIVEN an execution whose failed state retried so often that its entry is on the second page of the history
    sfn = boto3.client("stepfunctions", region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s")
    arn = failure().execution_arn
    state_input = json.dumps(s3_event())
    with Stubber(sfn) as stub:
        stub.add_response(
            "describe_execution",
            {
                "executionArn": arn,
                "stateMachineArn": PIPELINE,
                "name": "e-1",
                "status": "FAILED",
                "startDate": datetime(2026, 11, 25, tzinfo=UTC),
                "input": state_input,
                "error": "AwsServiceBusy",
                "cause": "busy",
                "redriveCount": 1,
            },
            {"executionArn": arn},
        )
        retries = [history_event(i, "TaskFailed") for i in range(40, 40 - HISTORY_PAGE_SIZE, -1)]
        first_page = {"events": retries, "nextToken": "page-2"}
        stub.add_response(
            "get_execution_history",
            first_page,
            {"executionArn": arn, "reverseOrder": True, "maxResults": HISTORY_PAGE_SIZE},
        )
        entered = history_event(20, "TaskStateEntered", name="Flatten to Parquet", input=state_input)
        second_page = {"events": [history_event(21, "TaskScheduled"), entered]}
        stub.add_response(
            "get_execution_history",
            second_page,
            {"executionArn": arn, "reverseOrder": True, "maxResults": HISTORY_PAGE_SIZE, "nextToken": "page-2"},
        )

        # WHEN it is read back
        execution = read_failed_execution(sfn, arn)

    # THEN the state, its input, the error, the cause and the redrive count are those of the execution
    assert (execution.failed_state, execution.error) == ("Flatten to Parquet", "AwsServiceBusy")
    assert execution.cause == "busy"
    assert execution.source() == ("data", KEY)
    assert execution.redrive_count == 1
    assert not execution.was_rejected
