"""embedded_aws.function_logs: what a function logs goes to its CloudWatch log group, not to the caller's stdout."""

from __future__ import annotations

import json
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
