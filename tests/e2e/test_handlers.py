"""Each Lambda handler through the Lambda Invoke API of the embedded AWS, with the environment the template sets."""

from __future__ import annotations

import io
import json
from typing import Any

import pyarrow.parquet as pq
import pytest

from embedded_aws.server import EmbeddedAws
from orders_etl.file_steps import STAGE_FROM_BYTES
from support import Stack, order, product

GOOD = json.dumps([order("H-1", "2025-09-01T10:00:00Z", product("P", 2, 3)), order("H-2", "2025-09-02")]).encode()
# GOOD's one row, and enough orders without products to be staged (STAGE_FROM_BYTES) rather than read again
LARGE = json.dumps(
    [order("H-1", "2025-09-01T10:00:00Z", product("P", 2, 3))] + [order(f"H-{n}", "2025-09-02") for n in range(2, 900)]
).encode()


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
    # (no version asked for: no hand-off, and the version read comes back to be recorded)
    latest = stack.client("s3").head_object(Bucket=stack.bucket, Key="raw/h/good.json")["VersionId"]
    assert result == {"orders": 2, "rows": 1, "size_bytes": len(GOOD), "staged": False, "version_id": latest}
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


def versioned_event(stack: Stack, key: str) -> dict[str, Any]:
    version_id = stack.client("s3").head_object(Bucket=stack.bucket, Key=key)["VersionId"]
    return {"bucket": stack.bucket, "key": key, "version_id": version_id}


STAGING = "manifests/orders/staging/"


def published_rows(stack: Stack) -> list[tuple[Any, ...]]:
    """(order_id, product_id, quantity) of every Parquet object in the table's location (no crawl needed)."""
    rows = []
    for key in stack.keys("parquet_files/"):
        table = pq.read_table(io.BytesIO(stack.get(key)), columns=["order_id", "product_id", "quantity"])
        rows += [tuple(row.values()) for row in table.to_pylist()]
    return rows


def test_flatten_publishes_what_validate_staged_without_reading_the_file(
    stack: Stack, embedded_aws: EmbeddedAws
) -> None:
    # GIVEN a file validated for the version an event names: Validate stages its Parquet and a summary
    assert len(LARGE) >= STAGE_FROM_BYTES
    stack.upload({"raw/h/good.json": LARGE})
    event = versioned_event(stack, "raw/h/good.json")
    validated, error = invoke(stack, "ValidateOrderFileFunction", event)
    assert error is None and validated["staged"] is True
    staged = stack.keys(STAGING)
    assert [key.rsplit("/", 2)[-2:] for key in staged] == [
        ["dt=2025-09-01", "part-0.parquet"],
        [event["version_id"], "validated.json"],
    ]
    assert stack.keys("parquet_files/") == []  # Validate makes no row visible
    # WHEN Flatten runs while any read of the raw file would fail
    embedded_aws.api_faults.fail("s3", "GetObject", "InternalError", path_contains="/raw/h/good.json")
    try:
        result, error = invoke(stack, "FlattenOrdersFunction", event)
    finally:
        embedded_aws.api_faults.clear()
    # THEN it published Validate's Parquet (the same bytes) without reading the file, and removed what was staged
    assert error is None, result
    assert (result["rows"], result["orders"], result["partition_dates"]) == (1, 899, ["2025-09-01"])
    (published,) = stack.keys("parquet_files/")
    assert stack.keys(STAGING) == []
    assert published_rows(stack) == [("H-1", "P", 3)]
    assert published.startswith("parquet_files/orders/dt=2025-09-01/h__good-")


def test_a_tiny_file_is_not_staged_and_flatten_reads_it_again(stack: Stack) -> None:
    # GIVEN a tiny file's version WHEN it is validated THEN nothing is staged (checking it again costs less)
    stack.upload({"raw/h/good.json": GOOD})
    event = versioned_event(stack, "raw/h/good.json")
    validated, error = invoke(stack, "ValidateOrderFileFunction", event)
    assert error is None and validated["staged"] is False
    assert stack.keys(STAGING) == []
    # AND Flatten publishes its rows from the file
    result, error = invoke(stack, "FlattenOrdersFunction", event)
    assert error is None and result["rows"] == 1
    assert published_rows(stack) == [("H-1", "P", 3)]


def test_flatten_reads_the_file_when_the_staged_parquet_is_gone(stack: Stack) -> None:
    # GIVEN a validated version whose staged objects are gone (expired before a redrive; published by a twin)
    stack.upload({"raw/h/good.json": LARGE})
    event = versioned_event(stack, "raw/h/good.json")
    invoke(stack, "ValidateOrderFileFunction", event)
    s3 = stack.client("s3")
    part = next(key for key in stack.keys(STAGING) if key.endswith(".parquet"))
    s3.delete_object(Bucket=stack.bucket, Key=part)  # the summary stays: the copy finds the part missing
    # WHEN Flatten runs
    result, error = invoke(stack, "FlattenOrdersFunction", event)
    # THEN it read and flattened the file itself, and the rows are in the table once
    assert error is None, result
    assert result["rows"] == 1
    assert published_rows(stack) == [("H-1", "P", 3)]
    # AND with nothing staged at all, the same
    for key in stack.keys(STAGING):
        s3.delete_object(Bucket=stack.bucket, Key=key)
    again, error = invoke(stack, "FlattenOrdersFunction", event)
    assert error is None and again["rows"] == 1 and again["removed_objects"] == 0
    assert published_rows(stack) == [("H-1", "P", 3)]


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
    assert first == {
        "crawler": "etl_serverless_parquet",
        "started": True,
        "wait_seconds": 30,
        "poll_limit": 40,
        "redrive_count": 0,
    }
    assert second["started"] is False
