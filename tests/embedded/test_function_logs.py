"""embedded_aws.function_logs: what a function logs goes to its CloudWatch log group, not to the caller's stdout."""

from __future__ import annotations

import json
import threading
import time
import uuid
from typing import Any

import pytest

LOGGING_HANDLER = """
import logging
import sys

logger = logging.getLogger("function")
logger.addHandler(logging.StreamHandler(sys.stdout))  # as Powertools' Logger does: bound at import
logger.setLevel(logging.INFO)
logger.propagate = False


def lambda_handler(event, context):
    logger.info("hello %s", event["who"])
    logger.info("second line")
    return {"ok": True}
"""


def test_a_functions_log_lines_land_in_its_log_group_framed_as_lambda_frames_them(
    aws: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a function that logs through a handler bound to stdout at import
    name = f"logs-{uuid.uuid4().hex[:8]}"
    aws.function(name, {"app.py": LOGGING_HANDLER})
    capsys.readouterr()

    # WHEN it is invoked
    response = aws.client("lambda").invoke(FunctionName=name, Payload=json.dumps({"who": "world"}).encode())

    # THEN its lines are in /aws/lambda/<name>, between START and END/REPORT lines of one request id
    assert json.loads(response["Payload"].read()) == {"ok": True}
    events = aws.client("logs").filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
    messages = [event["message"] for event in events]
    assert messages[1:3] == ["hello world", "second line"]
    assert messages[0].startswith("START RequestId: ") and messages[3].startswith("END RequestId: ")
    assert messages[4].startswith("REPORT RequestId: ") and "\tDuration: " in messages[4]
    assert len({m.split()[2] for m in (messages[0], messages[3], messages[4])}) == 1
    # AND none of them reached the stdout of the process that runs the embedded AWS
    assert "hello world" not in capsys.readouterr().out


WAITING_HANDLER = """
import logging
import sys
import time
from pathlib import Path

logger = logging.getLogger("waiting")
logger.addHandler(logging.StreamHandler(sys.stdout))
logger.setLevel(logging.INFO)
logger.propagate = False


def lambda_handler(event, context):
    Path(event["started"]).touch()
    while not Path(event["go"]).exists():
        time.sleep(0.01)
    logger.info("done")
    return {}
"""


def test_a_call_that_outlives_its_function_leaves_no_log_group_behind(aws: Any, tmp_path: Any) -> None:
    # GIVEN a call still running when its function is deleted (as a reset of the embedded AWS deletes them all,
    # before the next deploy creates the function's log group again)
    name = f"outlived-{uuid.uuid4().hex[:8]}"
    aws.function(name, {"app.py": WAITING_HANDLER})
    started, go = tmp_path / "started", tmp_path / "go"
    event = json.dumps({"started": str(started), "go": str(go)}).encode()
    lambda_client = aws.client("lambda")
    call = threading.Thread(target=lambda: lambda_client.invoke(FunctionName=name, Payload=event))
    call.start()
    while not started.exists():
        time.sleep(0.01)
    aws.client("lambda").delete_function(FunctionName=name)

    # WHEN the call ends
    go.touch()
    call.join(timeout=30)

    # THEN its lines went nowhere: no log group appeared for a function that is gone
    groups = aws.client("logs").describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{name}")["logGroups"]
    assert groups == []
