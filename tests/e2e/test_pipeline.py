"""The whole pipeline on the embedded AWS: upload to raw/, EventBridge, state machine, Lambdas, crawl, table."""

from __future__ import annotations

import gzip
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from orders_etl_cli.executions import wait_for_executions
from support import FIRST_STATE, Stack, order, product

HAPPY_STATES = [
    FIRST_STATE,
    "Validate order file",
    "Flatten to Parquet",
    "Start crawl",
    "Wait for the crawl",
    "Count the check",
    "Check crawl",
    "Crawl finished?",
]


def as_array(*orders: dict[str, Any]) -> bytes:
    return json.dumps(list(orders)).encode()


def as_lines(*orders: dict[str, Any]) -> bytes:
    return "\n".join(json.dumps(o) for o in orders).encode()


def test_good_file_gives_exactly_its_rows_in_a_partitioned_table(stack: Stack) -> None:
    # GIVEN a file of three orders over two UTC dates, one without products
    body = as_array(
        order("A-1", "2025-03-01T10:00:00Z", product("P-1", 2.5, 2, "books"), product(9, 10, 1, "toys")),
        order(2, "2025-03-01T23:30:00-02:00", product("P-1", 2.5, 4, "books"), total_amount=10),
        order("A-3", "2025-03-02", total_amount=0),
    )
    # WHEN it is uploaded under raw/
    [execution] = stack.run({"raw/shop/march.json": body})
    # THEN the execution ran the happy path and succeeded
    assert execution["status"] == "SUCCEEDED"
    states = stack.states(execution)
    assert states[: len(HAPPY_STATES)] == HAPPY_STATES
    assert states[-1] == "Table updated"
    output = json.loads(stack.describe(execution)["output"])
    # (too small for Validate to stage its Parquet: Flatten reads it again; the version the event named)
    latest = stack.client("s3").head_object(Bucket=stack.bucket, Key="raw/shop/march.json")["VersionId"]
    assert output["validation"] == {
        "orders": 3,
        "rows": 3,
        "size_bytes": len(body),
        "staged": False,
        "version_id": latest,
    }
    assert output["flatten"]["orders_without_products"] == 1
    # AND the table holds exactly one row per product, typed, in the partition of the UTC order date
    # (a timestamp cast to varchar keeps its milliseconds, as Athena's timestamp(3) does)
    rows = stack.query(
        "SELECT order_id, CAST(order_date AS VARCHAR), price, quantity, product_id, category, dt, source_key "
        "FROM orders ORDER BY order_id, product_id"
    )
    assert rows == [
        ("2", "2025-03-02 01:30:00.000", Decimal("2.50"), 4, "P-1", "books", "2025-03-02", "raw/shop/march.json"),
        ("A-1", "2025-03-01 10:00:00.000", Decimal("10.00"), 1, "9", "toys", "2025-03-01", "raw/shop/march.json"),
        ("A-1", "2025-03-01 10:00:00.000", Decimal("2.50"), 2, "P-1", "books", "2025-03-01", "raw/shop/march.json"),
    ]
    table = stack.client("glue").get_table(DatabaseName=stack.outputs["GlueDatabaseName"], Name="orders")["Table"]
    assert [k["Name"] for k in table["PartitionKeys"]] == ["dt"]
    types = {c["Name"]: c["Type"] for c in table["StorageDescriptor"]["Columns"]}
    assert types["total_amount"] == "decimal(18,2)" and types["order_date"] == "timestamp"
    assert types["quantity"] == "bigint"
    # AND the raw file stays where it was
    assert stack.keys("raw/") == ["raw/shop/march.json"]


def test_json_lines_gzip_file_is_processed(stack: Stack) -> None:
    # GIVEN a gzipped JSON Lines file
    body = gzip.compress(as_lines(order("L-1", "2025-04-01T00:00:00Z", product("P", 1.25, 3))))
    # WHEN it is uploaded
    [execution] = stack.run({"raw/lines/day.jsonl.gz": body})
    # THEN its row is in the table
    assert execution["status"] == "SUCCEEDED"
    assert stack.query("SELECT order_id, price * quantity FROM orders") == [("L-1", Decimal("3.75"))]


def test_bad_file_is_quarantined_with_a_report_and_the_execution_fails_with_the_data_error(stack: Stack) -> None:
    # GIVEN a file with a bad price in the second order's first product and a missing customer_id
    body = as_array(
        order("B-1", "2025-03-01T10:00:00Z", product("P-1", 1)),
        order("B-2", "2025-03-01T10:00:00Z", product("P-1", 1.005), customer={"name": "no id"}),
    )
    # WHEN it is uploaded
    [execution] = stack.run({"raw/bad/orders.json": body})
    # THEN the execution failed with the data error, through the quarantine branch
    description = stack.describe(execution)
    assert execution["status"] == "FAILED"
    assert description["error"] == "InvalidOrderFile"
    assert "$[1].products[0].price" in description["cause"]
    assert stack.states(execution) == [FIRST_STATE, "Validate order file", "Quarantine the file", "Reject the file"]
    # AND the file moved to quarantine/ unchanged, with a report beside it; nothing was written to the table
    assert stack.keys("raw/") == []
    assert stack.keys("quarantine/") == ["quarantine/bad/orders.json", "quarantine/bad/orders.json.error.json"]
    s3 = stack.client("s3")
    assert s3.get_object(Bucket=stack.bucket, Key="quarantine/bad/orders.json")["Body"].read() == body
    report = json.loads(s3.get_object(Bucket=stack.bucket, Key="quarantine/bad/orders.json.error.json")["Body"].read())
    assert report["error_type"] == "InvalidOrderFile"
    assert report["source_key"] == "raw/bad/orders.json"
    assert report["execution_arn"] == execution["executionArn"]
    assert {(p["position"], p["field"]) for p in report["problems"]} == {
        ("$[1].products[0].price", "price"),
        ("$[1].customer.customer_id", "customer_id"),
    }
    assert report["quarantined_at"].endswith("Z")
    assert stack.keys("parquet_files/") == []


def test_file_over_the_size_limit_is_quarantined_as_file_too_large(stack: Stack, embedded_aws: Any) -> None:
    # GIVEN a stack whose maximum file size is 200 bytes
    embedded_aws.reset()
    stack.outputs = embedded_aws.deploy(parameter_overrides={"MaxFileBytes": "200"})
    body = as_array(*(order(f"S-{i}", "2025-03-01", product("P", 1)) for i in range(5)))
    assert len(body) > 200
    # WHEN a larger file arrives
    [execution] = stack.run({"raw/big.json": body})
    # THEN it is quarantined with FileTooLarge
    assert stack.describe(execution)["error"] == "FileTooLarge"
    assert stack.keys("quarantine/") == ["quarantine/big.json", "quarantine/big.json.error.json"]


@pytest.mark.slow  # 5-8 s: in `make test-slow` and .ci/run, to keep `make test` near 4 minutes
def test_twenty_files_at_once_all_land_in_the_table_with_no_execution_stuck(stack: Stack) -> None:
    # GIVEN 20 files of 3 orders each, over 5 dates
    files = {
        f"raw/burst/file-{n:02d}.json": as_array(
            *(order(f"F{n}-{i}", f"2025-05-0{1 + (n + i) % 5}T12:00:00Z", product("P", 1, 2)) for i in range(3))
        )
        for n in range(20)
    }
    # WHEN they are uploaded together
    executions = stack.run(files, timeout=120)
    # THEN every execution succeeded and every row is in the table once
    assert [e["status"] for e in executions] == ["SUCCEEDED"] * 20
    assert stack.query("SELECT COUNT(*), COUNT(DISTINCT order_id), COUNT(DISTINCT dt) FROM orders") == [(60, 60, 5)]
    # AND crawls were shared: Glue ran far fewer crawls than there were files
    crawls = stack.client("glue").list_crawls(CrawlerName=stack.outputs["CrawlerName"])["Crawls"]
    print(f"20 files -> {len(crawls)} crawls")
    assert 1 <= len(crawls) < 20


def test_a_duplicated_event_leaves_no_duplicate_rows(stack: Stack) -> None:
    # GIVEN a file processed once
    body = as_array(order("D-1", "2025-06-01T08:00:00Z", product("P", 3, 1), product("Q", 4, 1)))
    [first] = stack.run({"raw/dup.json": body})
    # WHEN EventBridge delivers the same event again (at-least-once delivery)
    sfn = stack.client("stepfunctions")
    sfn.start_execution(
        stateMachineArn=stack.state_machine_arn, name="redelivery", input=stack.describe(first)["input"]
    )
    executions = wait_for_executions(sfn, stack.state_machine_arn, 2)
    # THEN both executions succeed and the table holds the file's rows once
    assert {e["status"] for e in executions} == {"SUCCEEDED"}
    assert stack.query("SELECT order_id, product_id FROM orders ORDER BY product_id") == [("D-1", "P"), ("D-1", "Q")]
    assert len(stack.keys("parquet_files/")) == 1


def test_a_reupload_replaces_the_earlier_rows_including_partitions_that_no_longer_apply(stack: Stack) -> None:
    # GIVEN a file whose orders fall on two dates, beside another file on one of those dates
    stack.run(
        {
            "raw/re/upload.json": as_array(
                order("R-1", "2025-07-01T10:00:00Z", product("P", 1)),
                order("R-2", "2025-07-02T10:00:00Z", product("P", 1)),
            ),
            "raw/re/other.json": as_array(order("O-1", "2025-07-02T11:00:00Z", product("P", 1))),
        }
    )
    # WHEN the first file is uploaded again with one order on a third date only
    stack.run({"raw/re/upload.json": as_array(order("R-3", "2025-07-03T10:00:00Z", product("P", 7)))})
    # THEN only its new rows remain, the other file's rows are untouched, and the emptied partition is gone
    rows = stack.query("SELECT order_id, dt FROM orders ORDER BY order_id")
    assert rows == [("O-1", "2025-07-02"), ("R-3", "2025-07-03")]
    partitions = stack.client("glue").get_partitions(DatabaseName=stack.outputs["GlueDatabaseName"], TableName="orders")
    assert sorted(p["Values"][0] for p in partitions["Partitions"]) == ["2025-07-02", "2025-07-03"]


def test_a_system_error_fails_the_execution_at_that_state_and_keeps_the_raw_file(
    stack: Stack, fault_injector: Any
) -> None:
    # GIVEN flatten fails with a system error on every attempt
    fault_injector.fail("FlattenOrders", "ConnectionResetError")
    body = as_array(order("X-1", "2025-08-01", product("P", 1)))
    # WHEN a good file arrives
    [execution] = stack.run({"raw/sys/error.json": body})
    # THEN the execution fails at "Flatten to Parquet" with that error: not caught, nothing quarantined
    description = stack.describe(execution)
    assert execution["status"] == "FAILED"
    assert description["error"] == "ConnectionResetError"
    assert stack.states(execution) == [FIRST_STATE, "Validate order file", "Flatten to Parquet"]
    assert stack.keys("raw/") == ["raw/sys/error.json"]
    assert stack.keys("quarantine/") == []
    assert stack.keys("parquet_files/") == []


def test_lambda_throttling_is_retried_and_the_execution_succeeds(stack: Stack, fault_injector: Any) -> None:
    # GIVEN validate is throttled twice
    fault_injector.fail("ValidateOrderFile", "Lambda.TooManyRequestsException", count=2)
    # WHEN a good file arrives
    [execution] = stack.run({"raw/retry.json": as_array(order("T-1", "2025-08-02", product("P", 1)))})
    # THEN the Retry block absorbed the throttling: three attempts, then success
    assert execution["status"] == "SUCCEEDED"
    events = stack.client("stepfunctions").get_execution_history(executionArn=execution["executionArn"])["events"]
    failures = [e for e in events if e["type"] == "TaskFailed"]
    assert [f["taskFailedEventDetails"]["error"] for f in failures] == ["Lambda.TooManyRequestsException"] * 2
    assert stack.query("SELECT order_id FROM orders") == [("T-1",)]


def test_the_sample_event_in_events_drives_a_full_execution(stack: Stack) -> None:
    # GIVEN the sample file and the sample EventBridge event shipped in events/
    event = json.loads(Path("events/s3_object_created.json").read_text())
    assert event["detail"]["bucket"]["name"] == stack.bucket
    key = event["detail"]["object"]["key"]
    written = stack.client("s3").put_object(
        Bucket=stack.bucket, Key=key, Body=Path("events/orders/good_orders.json").read_bytes()
    )
    event["detail"]["object"]["version-id"] = written["VersionId"]  # the sample's is an example
    sfn = stack.client("stepfunctions")
    wait_for_executions(sfn, stack.state_machine_arn, 1)  # the upload's own execution
    # WHEN the state machine is started with the sample event (as `aws stepfunctions start-execution` would)
    sfn.start_execution(stateMachineArn=stack.state_machine_arn, name="sample-event", input=json.dumps(event))
    executions = wait_for_executions(sfn, stack.state_machine_arn, 2)
    # THEN it succeeds and the sample's 4 rows are in the table once
    assert {e["status"] for e in executions} == {"SUCCEEDED"}
    assert stack.query("SELECT COUNT(*) FROM orders") == [(4,)]
