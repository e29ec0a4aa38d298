"""The executions commands against the Step Functions API contract (botocore Stubber: real request/response models).

The embedded AWS runs the same code end to end (tests/e2e/test_operating.py); these pin what it sends to AWS,
including RedriveExecution and the paging that the embedded endpoint does not exercise.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from orders_etl_cli import execution_search
from orders_etl_cli.execution_commands import console_url, execution_arn
from orders_etl_cli.execution_redrive import redrive_executions
from orders_etl_cli.execution_search import ExecutionRow, find_executions, parse_since
from orders_etl_cli.failures import CommandError

MACHINE = "arn:aws:states:eu-west-1:111122223333:stateMachine:orders-etl-order-pipeline"
NOW = datetime(2025, 11, 3, 12, 0, tzinfo=UTC)


def arn(name: str) -> str:
    return execution_arn(MACHINE, name)


@pytest.fixture
def sfn() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client("stepfunctions", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def listed(name: str, status: str, minutes_ago: int) -> dict[str, Any]:
    return {
        "executionArn": arn(name),
        "stateMachineArn": MACHINE,
        "name": name,
        "status": status,
        "startDate": NOW - timedelta(minutes=minutes_ago),
    }


def described(name: str, status: str, key: str, **extra: Any) -> dict[str, Any]:
    return {
        **listed(name, status, 10),
        "input": f'{{"detail": {{"object": {{"key": "{key}"}}}}}}',
        **extra,
    }


def test_list_since_stops_paging_at_the_first_older_execution_and_describes_only_candidates(
    sfn: tuple[Any, Stubber], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, stubber = sfn
    monkeypatch.setattr(execution_search, "DESCRIBE_THREADS", 1)  # Stubber answers in order
    # GIVEN a first page, newest first, whose third execution is older than --since, and more pages after it
    page = [listed("new", "FAILED", 10), listed("older", "FAILED", 100), listed("old", "FAILED", 180)]
    stubber.add_response(
        "list_executions",
        {"executions": page, "nextToken": "more"},
        {"stateMachineArn": MACHINE, "statusFilter": "FAILED", "maxResults": execution_search.LIST_PAGE},
    )
    for name, key in (("new", "raw/a.json"), ("older", "raw/b.json")):
        stubber.add_response(
            "describe_execution",
            described(name, "FAILED", key, error="Lambda.ServiceException", redriveCount=0),
            {"executionArn": arn(name)},
        )
        history = [
            {"id": 9, "timestamp": NOW, "type": "ExecutionFailed", "executionFailedEventDetails": {}},
            {"id": 8, "timestamp": NOW, "type": "TaskFailed"},
            {
                "id": 7,
                "timestamp": NOW,
                "type": "TaskStateEntered",
                "stateEnteredEventDetails": {"name": "Flatten to Parquet"},
            },
        ]
        stubber.add_response(
            "get_execution_history",
            {"events": history},
            {"executionArn": arn(name), "reverseOrder": True, "maxResults": 50},
        )

    # WHEN listing failed executions of the last 2 hours
    rows = find_executions(client, MACHINE, status="FAILED", since=NOW - timedelta(hours=2))

    # THEN only the two recent ones are described (no second page, no describe of "old"), newest first
    assert [(r.name, r.source_key, r.failed_state) for r in rows] == [
        ("new", "raw/a.json", "Flatten to Parquet"),
        ("older", "raw/b.json", "Flatten to Parquet"),
    ]


def row(name: str, error: str | None = "Lambda.ServiceException", state: str = "Flatten to Parquet") -> ExecutionRow:
    return ExecutionRow(name, arn(name), "FAILED", f"raw/{name}.json", state, error, "cause", NOW, NOW, 0)


def expect_redrivable(stubber: Stubber, name: str) -> None:
    described_execution = described(name, "FAILED", f"raw/{name}.json", redriveStatus="REDRIVABLE")
    stubber.add_response("describe_execution", described_execution, {"executionArn": arn(name)})


def test_redrive_calls_redrive_execution_only_where_it_can_succeed(sfn: tuple[Any, Stubber]) -> None:
    client, stubber = sfn
    # GIVEN one redrivable execution, one AWS says is not, one whose redrive is refused, a quarantined file and a
    # failure in a Fail state (these two are left out without calling AWS)
    expect_redrivable(stubber, "ok")
    stubber.add_response("redrive_execution", {"redriveDate": NOW}, {"executionArn": arn("ok")})
    stubber.add_response(
        "describe_execution",
        described(
            "expired",
            "FAILED",
            "raw/e.json",
            redriveStatus="NOT_REDRIVABLE",
            redriveStatusReason="Execution redrivable period exceeded",
        ),
        {"executionArn": arn("expired")},
    )
    expect_redrivable(stubber, "racing")
    stubber.add_client_error(
        "redrive_execution",
        service_error_code="ExecutionNotRedrivable",
        service_message="Execution is RUNNING and cannot be redriven",
        expected_params={"executionArn": arn("racing")},
    )
    rows = [
        row("ok"),
        row("expired"),
        row("racing"),
        row("bad", error="InvalidOrderFile", state="Reject the file"),
        row("crawl", error="CrawlFailed", state="Crawl failed"),
    ]

    # WHEN redriving them
    summary = redrive_executions(client, rows, fail_states={"Reject the file", "Crawl failed"}, per_second=1000)

    # THEN each outcome is reported with its reason
    assert summary.redriven == ["ok"]
    assert summary.not_redrivable == {
        "expired": "Execution redrivable period exceeded",
        "bad": "InvalidOrderFile: the file is in quarantine; fix it, then `orders-etl quarantine replay`",
        "crawl": "ended in the Fail state 'Crawl failed' (CrawlFailed): a redrive would fail again",
    }
    assert summary.errors == {"racing": "ExecutionNotRedrivable: Execution is RUNNING and cannot be redriven"}


def test_dry_run_never_calls_redrive_execution(sfn: tuple[Any, Stubber]) -> None:
    client, stubber = sfn
    expect_redrivable(stubber, "ok")
    summary = redrive_executions(client, [row("ok")], fail_states=set(), dry_run=True)
    assert summary.redriven == ["ok"]


def test_names_console_urls_and_since() -> None:
    assert arn("abc") == "arn:aws:states:eu-west-1:111122223333:execution:orders-etl-order-pipeline:abc"
    assert execution_arn(MACHINE, arn("abc")) == arn("abc")
    assert console_url(arn("abc")) == (
        "https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/" + arn("abc")
    )
    assert parse_since("2h", NOW) == NOW - timedelta(hours=2)
    assert parse_since("45m", NOW) == NOW - timedelta(minutes=45)
    assert parse_since("2025-11-01", NOW) == datetime(2025, 11, 1, tzinfo=UTC)
    with pytest.raises(CommandError, match=r"expected e\.g\. 2h"):
        parse_since("yesterday", NOW)


def test_a_timeout_is_left_out_once_it_quarantined_the_file_and_redriven_where_it_failed_in_place(
    sfn: tuple[Any, Stubber],
) -> None:
    client, stubber = sfn
    # GIVEN a file validate timed out on twice (quarantined, then the Fail state) and a crawl start that timed out
    expect_redrivable(stubber, "stuck")
    stubber.add_response("redrive_execution", {"redriveDate": NOW}, {"executionArn": arn("stuck")})
    rows = [
        row("slow", error="Sandbox.Timedout", state="Reject the file"),
        row("stuck", error="Sandbox.Timedout", state="Start crawl"),
    ]

    # WHEN redriving them
    summary = redrive_executions(client, rows, fail_states={"Reject the file"}, per_second=1000)

    # THEN the quarantined file is left to its report and a replay; the failure in place is redriven
    assert summary.not_redrivable == {
        "slow": "Sandbox.Timedout twice: the file is in quarantine; its report says what to do before a replay"
    }
    assert summary.redriven == ["stuck"]
