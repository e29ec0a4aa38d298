"""Each Lambda handler through the Lambda Invoke API of the embedded AWS, with the environment the template sets."""

from __future__ import annotations

import json
from typing import Any

import pytest

from support import Stack, order, product

GOOD = json.dumps([order("H-1", "2025-09-01T10:00:00Z", product("P", 2, 3)), order("H-2", "2025-09-02")]).encode()


@pytest.fixture(autouse=True)
def handlers_only(stack: Stack) -> None:
    """These tests call the functions themselves: uploads must not start executions that race them."""
    stack.pause_pipeline()


def invoke(stack: Stack, logical_id: str, event: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    response = stack.client("lambda").invoke(
        FunctionName=f"orders-etl-{logical_id}", Payload=json.dumps(event).encode()
    )
    return json.loads(response["Payload"].read()), response.get("FunctionError")


def test_validate_returns_counts_or_raises_the_data_error(stack: Stack) -> None:
    stack.upload({"raw/h/good.json": GOOD, "raw/h/bad.json": b'[{"order_id": 1}]'})
    # WHEN validating a good file THEN counts come back
    result, error = invoke(stack, "ValidateOrderFileFunction", {"bucket": stack.bucket, "key": "raw/h/good.json"})
    assert error is None
    assert result == {"orders": 2, "rows": 1, "size_bytes": len(GOOD)}
    # WHEN validating a bad file THEN the function error is InvalidOrderFile with positions
    result, error = invoke(stack, "ValidateOrderFileFunction", {"bucket": stack.bucket, "key": "raw/h/bad.json"})
    assert error is not None
    assert result["errorType"] == "InvalidOrderFile"
    assert "$[0].order_date" in result["errorMessage"]


def test_flatten_twice_writes_the_same_objects(stack: Stack) -> None:
    stack.upload({"raw/h/good.json": GOOD})
    event = {"bucket": stack.bucket, "key": "raw/h/good.json"}
    first, _ = invoke(stack, "FlattenOrdersFunction", event)
    s3 = stack.client("s3")
    keys = stack.keys("parquet_files/")
    bodies = [s3.get_object(Bucket=stack.bucket, Key=k)["Body"].read() for k in keys]
    # WHEN the same step runs again (a retry, a duplicate event)
    second, _ = invoke(stack, "FlattenOrdersFunction", event)
    # THEN the same objects hold the same bytes, and nothing was removed or added
    assert first["rows"] == second["rows"] == 1 and first["orders"] == 2
    assert second["removed_objects"] == 0
    assert stack.keys("parquet_files/") == keys
    assert len(keys) == 1 and keys[0].startswith("parquet_files/orders/dt=2025-09-01/h__good-")
    assert [s3.get_object(Bucket=stack.bucket, Key=k)["Body"].read() for k in keys] == bodies


def test_quarantine_is_idempotent_and_refuses_to_invent_a_file(stack: Stack) -> None:
    stack.upload({"raw/h/bad.json": b"not json"})
    event = {
        "bucket": stack.bucket,
        "key": "raw/h/bad.json",
        "error": {"Error": "InvalidOrderFile", "Cause": "{}"},
        "execution_arn": "arn:x",
    }
    first, error = invoke(stack, "QuarantineOrderFileFunction", event)
    assert error is None
    # WHEN the step runs again after the move (a retry)
    second, error = invoke(stack, "QuarantineOrderFileFunction", event)
    # THEN it reports the same keys and the quarantined file is intact
    assert error is None and first == second == {
        "quarantined_key": "quarantine/h/bad.json",
        "report_key": "quarantine/h/bad.json.error.json",
    }
    assert stack.keys("quarantine/") == ["quarantine/h/bad.json", "quarantine/h/bad.json.error.json"]
    # AND a file that is nowhere is an error, not a silent success
    result, error = invoke(stack, "QuarantineOrderFileFunction", {**event, "key": "raw/h/missing.json"})
    assert error is not None and result["errorType"] == "FileNotFoundError"


def test_start_crawl_starts_then_joins_the_running_crawl(stack: Stack) -> None:
    first, _ = invoke(stack, "StartCrawlFunction", {})
    second, _ = invoke(stack, "StartCrawlFunction", {})
    assert first == {"crawler": "etl_serverless_parquet", "started": True, "wait_seconds": 30, "poll_limit": 40}
    assert second["started"] is False
