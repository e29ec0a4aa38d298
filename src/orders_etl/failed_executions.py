"""What an execution that did not succeed met, read back from Step Functions (or a backfill that succeeded while
leaving files behind: quarantined, or failed within its tolerance).

The "Step Functions Execution Status Change" event says only that an execution ended FAILED (TIMED_OUT, ABORTED):
it carries no error, no cause and no state. DescribeExecution gives the error and the cause; the newest events of
the execution's history give the state it stopped in and that state's input, which for a rejected file holds the
S3 event, the data error and where the file went ("Quarantine the file" adds `quarantine` before "Reject the
file"). The history is read newest first, a page at a time, only until the last state entered.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

# statemachine/order_pipeline.asl.json: the Fail state a quarantined file's execution ends in.
REJECT_STATE = "Reject the file"
# A state that failed after its retries is usually the last one entered within a few events; a page this size
# holds it unless the state was retried several times (each attempt adds three events), then the next page does.
HISTORY_PAGE_SIZE = 20


@dataclass(frozen=True)
class FailedExecution:
    execution_arn: str
    state_machine_arn: str
    name: str
    status: str  # FAILED, TIMED_OUT or ABORTED; SUCCEEDED for a backfill
    error: str | None
    cause: str | None
    started: datetime
    redrive_count: int
    failed_state: str | None  # the state it stopped in (None when it stopped before entering one)
    state_input: dict[str, Any]  # that state's input, {} when unknown or not an object
    execution_input: dict[str, Any]
    output: dict[str, Any]  # a SUCCEEDED execution's output ({} otherwise)

    @property
    def was_rejected(self) -> bool:
        """The pipeline rejected the file: it is in quarantine with its report, which is not a failure to redrive."""
        return self.status == "FAILED" and self.failed_state == REJECT_STATE

    @property
    def state_machine_name(self) -> str:
        return self.state_machine_arn.rsplit(":", 1)[-1]

    def source(self) -> tuple[str, str] | None:
        """(bucket, key) of the order file the execution was started for, when its input is an S3 event."""
        for document in (self.state_input, self.execution_input):
            detail = document.get("detail")
            if isinstance(detail, dict):
                bucket, key = detail.get("bucket", {}).get("name"), detail.get("object", {}).get("key")
                if isinstance(bucket, str) and isinstance(key, str):
                    return bucket, key
        return None


def read_failed_execution(sfn: Any, execution_arn: str) -> FailedExecution:
    """DescribeExecution, then GetExecutionHistory newest first until the last state entered."""
    described = sfn.describe_execution(executionArn=execution_arn)
    failed_state, state_input = last_state_entered(sfn, execution_arn)
    return FailedExecution(
        execution_arn=execution_arn,
        state_machine_arn=described["stateMachineArn"],
        name=described["name"],
        status=described["status"],
        error=described.get("error"),
        cause=described.get("cause"),
        started=described["startDate"],
        redrive_count=int(described.get("redriveCount", 0)),
        failed_state=failed_state,
        state_input=state_input,
        execution_input=_object(described.get("input")),
        output=_object(described.get("output")),
    )


def last_state_entered(sfn: Any, execution_arn: str) -> tuple[str | None, dict[str, Any]]:
    """The state the execution was in when it stopped, and that state's input."""
    pages = sfn.get_paginator("get_execution_history").paginate(
        executionArn=execution_arn, reverseOrder=True, PaginationConfig={"PageSize": HISTORY_PAGE_SIZE}
    )
    for page in pages:
        for event in page["events"]:
            if event["type"].endswith("StateEntered"):
                details = event["stateEnteredEventDetails"]
                return str(details["name"]), _object(details.get("input"))
    return None, {}


def _object(text: str | None) -> dict[str, Any]:
    try:
        document = json.loads(text or "{}")
    except ValueError:
        return {}
    return document if isinstance(document, dict) else {}
