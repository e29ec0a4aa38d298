"""orders_etl_cli.query without a stack: Athena's text typed by ColumnInfo in one place, and a query that does not
end is stopped rather than left running."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import boto3
import pytest
from botocore.stub import Stubber

from orders_etl_cli.failures import CommandError
from orders_etl_cli.query import QueryResult, python_value, run_query


@pytest.mark.parametrize(
    ("text", "athena_type", "value"),
    [
        ("42", "bigint", 42),
        ("7", "integer", 7),
        ("2.50", "decimal", Decimal("2.50")),
        ("1.0E20", "double", 1e20),
        ("true", "boolean", True),
        ("2025-03-01", "date", datetime.date(2025, 3, 1)),
        ("2025-03-01 10:00:00.123", "timestamp", datetime.datetime(2025, 3, 1, 10, 0, 0, 123000)),
        (
            "2025-01-01 00:00:00.000 UTC",
            "timestamp with time zone",
            datetime.datetime(2025, 1, 1, tzinfo=ZoneInfo("UTC")),
        ),
        ("2025-03", "varchar", "2025-03"),
        ("[1, 2]", "array", "[1, 2]"),
        (None, "bigint", None),
    ],
)
def test_athena_s_text_becomes_a_value_of_its_column_s_type(text: str | None, athena_type: str, value: Any) -> None:
    assert python_value(text, athena_type) == value


def test_json_keeps_numbers_as_numbers_and_the_rest_as_athena_s_text() -> None:
    result = QueryResult(
        ["n", "price", "at", "missing"],
        ["bigint", "decimal", "timestamp", "varchar"],
        [("3", "2.50", "2025-03-01 10:00:00.000", None)],
    )
    assert result.json_values() == [(3, "2.50", "2025-03-01 10:00:00.000", None)]


def test_a_query_still_running_at_the_timeout_is_stopped() -> None:
    athena = boto3.client("athena", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(athena) as stubber:
        stubber.add_response("start_query_execution", {"QueryExecutionId": "q-1"})
        stubber.add_response("get_query_execution", {"QueryExecution": {"Status": {"State": "RUNNING"}}})
        stubber.add_response("stop_query_execution", {}, {"QueryExecutionId": "q-1"})
        with pytest.raises(CommandError, match="Athena query q-1 still RUNNING after 0 s: stopped it"):
            run_query("SELECT 1", athena=athena, database="db", work_group="wg", timeout=0)
        stubber.assert_no_pending_responses()


def test_a_failed_query_raises_athena_s_reason() -> None:
    athena = boto3.client("athena", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    reason = "TABLE_NOT_FOUND: line 1:15: Table 'awsdatacatalog.db.nope' does not exist"
    with Stubber(athena) as stubber:
        stubber.add_response("start_query_execution", {"QueryExecutionId": "q-1"})
        status = {"State": "FAILED", "StateChangeReason": reason}
        stubber.add_response("get_query_execution", {"QueryExecution": {"Status": status}})
        with pytest.raises(CommandError) as caught:
            run_query("SELECT * FROM nope", athena=athena, database="db", work_group="wg")
    assert str(caught.value) == f"the query failed: {reason}"
