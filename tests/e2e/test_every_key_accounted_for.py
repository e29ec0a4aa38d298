"""Every key of the raw area ends somewhere a user can see, and every failure can be redriven.

On the embedded AWS, through the deployed rule and state machine: an order file with an upper-case suffix is
processed; any other file is quarantined with a report saying which names are accepted; a folder marker and a
version deleted before its execution ran end SUCCEEDED with nothing to do; an event without a version reads the
latest one; a failed crawl fails in a Task state, and a redrive after the fix crawls again.
"""

from __future__ import annotations

import json
from typing import Any

from orders_etl.output_keys import order_file_suffixes, report_key
from support import Cli, Stack, order, product


def orders_file(name: str, rows: int = 2) -> bytes:
    products = [product(f"{name}-P{i}", 2.5, 1) for i in range(rows)]
    return json.dumps([order(name, "2025-05-01", *products)]).encode()


def count_rows(stack: Stack, key: str) -> int:
    (row,) = stack.query(f"SELECT count(*) FROM orders WHERE source_key = '{key}'")
    return int(row[0])


def start_by_hand(stack: Stack, name: str, key: str, **version: str) -> dict[str, Any]:
    """Start the pipeline with a hand-made event for `key` (version fields as S3 names them, or none)."""
    event = {
        "detail-type": "Object Created",
        "source": "aws.s3",
        "detail": {"bucket": {"name": stack.bucket}, "object": {"key": key, **version}},
    }
    arn = stack.client("stepfunctions").start_execution(
        stateMachineArn=stack.state_machine_arn, name=name, input=json.dumps(event)
    )["executionArn"]
    (execution,) = stack.wait_for([arn])
    return execution


def test_an_upper_case_suffix_is_an_order_file_and_is_processed(stack: Stack) -> None:
    (execution,) = stack.run({"raw/case/ORDERS.JSON": orders_file("UP", rows=3)})

    assert execution["status"] == "SUCCEEDED"
    assert count_rows(stack, "raw/case/ORDERS.JSON") == 3


def test_a_file_not_named_like_an_order_file_is_quarantined_with_a_report_saying_what_to_do(stack: Stack) -> None:
    (execution,) = stack.run({"raw/misc/notes.txt": b"call the supplier"})

    assert execution["status"] == "FAILED"
    assert stack.describe(execution)["error"] == "NotAnOrderFile"
    assert stack.keys("raw/misc/") == []
    report = json.loads(stack.get(report_key("quarantine/misc/notes.txt")))
    message = json.dumps(report)
    assert "not an order file" in message and order_file_suffixes() in message and "rename it" in message


def test_a_folder_marker_ends_succeeded_with_nothing_to_do(stack: Stack) -> None:
    (execution,) = stack.run({"raw/new-folder/": b""})

    assert execution["status"] == "SUCCEEDED"
    assert stack.states(execution)[-1] == "Nothing to do"
    output = json.loads(stack.describe(execution)["output"])
    assert "folder marker" in output["nothing_to_do"]["Cause"]
    assert stack.keys("quarantine/new-folder/") == []


def test_a_version_deleted_before_its_execution_ran_ends_succeeded_with_nothing_to_do(stack: Stack) -> None:
    # GIVEN a version written and deleted again before its execution ran (the rule is paused meanwhile)
    s3 = stack.client("s3")
    events = stack.client("events")
    rules = [rule["Name"] for rule in events.list_rules()["Rules"] if rule.get("State") == "ENABLED"]
    for rule in rules:
        events.disable_rule(Name=rule)
    try:
        written = s3.put_object(Bucket=stack.bucket, Key="raw/gone/a.json", Body=orders_file("G"))
        s3.delete_object(Bucket=stack.bucket, Key="raw/gone/a.json", VersionId=written["VersionId"])
    finally:
        for rule in rules:
            events.enable_rule(Name=rule)

    # WHEN its execution runs
    execution = start_by_hand(
        stack, "deleted-version", "raw/gone/a.json", **{"version-id": written["VersionId"], "sequencer": "0A"}
    )

    # THEN it succeeds with nothing to do (no redrive could bring the version back), nothing quarantined
    assert execution["status"] == "SUCCEEDED"
    assert stack.states(execution)[-2:] == ["Validate order file", "Nothing to do"]
    cause = json.loads(stack.describe(execution)["output"])["nothing_to_do"]["Cause"]
    assert f"version {written['VersionId']} of raw/gone/a.json was deleted" in cause
    assert stack.keys("quarantine/gone/") == []


def test_an_event_without_a_version_reads_the_latest_and_records_the_version_read(stack: Stack) -> None:
    # GIVEN a file in raw/ and a hand-made event naming only its key
    stack.run({"raw/handmade/a.json": orders_file("H", rows=2)})
    latest = stack.client("s3").head_object(Bucket=stack.bucket, Key="raw/handmade/a.json")["VersionId"]

    # WHEN the pipeline runs on that event
    execution = start_by_hand(stack, "no-version", "raw/handmade/a.json")

    # THEN it succeeds, the version read is in its output, and the rows are in the table once
    assert execution["status"] == "SUCCEEDED"
    output = json.loads(stack.describe(execution)["output"])
    assert output["validation"]["version_id"] == latest
    assert count_rows(stack, "raw/handmade/a.json") == 2


def test_a_failed_crawl_fails_in_a_task_state_and_a_redrive_after_the_fix_crawls_again(stack: Stack, cli: Cli) -> None:
    # GIVEN the crawler's role may not read the Parquet it crawls
    iam = stack.client("iam")
    role = stack.client("glue").get_crawler(Name=stack.outputs["CrawlerName"])["Crawler"]["Role"].rsplit("/", 1)[-1]
    (policy_name,) = iam.list_role_policies(RoleName=role)["PolicyNames"]
    granted = iam.get_role_policy(RoleName=role, PolicyName=policy_name)["PolicyDocument"]
    narrowed = json.loads(json.dumps(granted).replace('"s3:GetObject"', '"s3:GetObjectAcl"'))
    assert narrowed != granted
    iam.put_role_policy(RoleName=role, PolicyName=policy_name, PolicyDocument=json.dumps(narrowed))
    try:
        (execution,) = stack.run({"raw/crawl-denied/a.json": orders_file("C", rows=2)}, timeout=120)
    finally:
        iam.put_role_policy(RoleName=role, PolicyName=policy_name, PolicyDocument=json.dumps(granted))

    # THEN the execution failed in Check crawl, a Task state, with Glue's message and what to do
    assert execution["status"] == "FAILED"
    description = stack.describe(execution)
    assert description["error"] == "CrawlFailed"
    assert "redrive the execution" in description["cause"]
    assert stack.states(execution)[-1] == "Check crawl"

    # WHEN the cause is fixed (above) and the execution redriven
    code, output, _ = cli("executions", "redrive", execution["name"], "--wait")

    # THEN the redriven check crawls again, the crawl succeeds and the rows are queryable, once
    assert code == 0, output
    assert f"SUCCEEDED {execution['name']}" in output
    states = stack.states(execution)
    assert states.count("Start crawl") == 2 and states[-1] == "Table updated"
    assert count_rows(stack, "raw/crawl-denied/a.json") == 2
