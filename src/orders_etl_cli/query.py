"""SQL over the orders table through the Athena API: the same path on AWS and on the embedded AWS.

The query runs in the stack's workgroup (which enforces the results location) with the Glue database as its
context; the command waits for its end, then pages through GetQueryResults. Athena gives every value as text,
typed by the result's ColumnInfo: `python_value` turns it into a Python value, in this one place for the CLI, the
demo and the tests.
"""

from __future__ import annotations

import datetime
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from botocore.exceptions import ClientError

from orders_etl_cli.failures import CommandError

FINISHED = ("SUCCEEDED", "FAILED", "CANCELLED")
_INTEGERS = ("tinyint", "smallint", "integer", "int", "bigint")
_FLOATS = ("double", "float", "real")


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    types: list[str]  # Athena's type names, from ColumnInfo
    texts: list[tuple[str | None, ...]]  # the values as Athena gives them (None: NULL)

    @property
    def rows(self) -> list[tuple[Any, ...]]:
        """The values as Python values of their column's type (int, Decimal, date, datetime...)."""
        return [
            tuple(python_value(text, kind) for text, kind in zip(row, self.types, strict=True)) for row in self.texts
        ]

    def json_values(self) -> list[tuple[Any, ...]]:
        """For JSON: numbers and booleans as such, any other value as Athena's text (a decimal stays exact, a
        timestamp keeps its milliseconds)."""
        return [tuple(map(_json_value, row, texts)) for row, texts in zip(self.rows, self.texts, strict=True)]


def _json_value(value: Any, text: str | None) -> Any:
    return value if value is None or isinstance(value, int | float) else text


def run_query(sql: str, *, athena: Any, database: str, work_group: str, timeout: float = 300.0) -> QueryResult:
    """Run `sql` in Athena and return its rows; CommandError with Athena's reason if it does not succeed."""
    try:
        query_id: str = athena.start_query_execution(
            QueryString=sql, QueryExecutionContext={"Database": database}, WorkGroup=work_group
        )["QueryExecutionId"]
    except ClientError as error:
        if error.response.get("AthenaErrorCode") == "MALFORMED_QUERY":  # Athena refuses bad syntax at once
            raise CommandError(f"the query failed: {error.response['Error']['Message']}") from None
        raise
    status = _wait(athena, query_id, timeout)
    if status["State"] != "SUCCEEDED":
        verb = "failed" if status["State"] == "FAILED" else "was cancelled"
        raise CommandError(f"the query {verb}: {status.get('StateChangeReason', status['State'])}")
    return _results(athena, query_id)


def _wait(athena: Any, query_id: str, timeout: float) -> dict[str, Any]:
    """The query's status once it has ended; a query still running at `timeout`, or on Ctrl-C, is stopped."""
    deadline = time.monotonic() + timeout
    interval = 0.05  # a query here ends in a fraction of a second, one on AWS in seconds: poll slower and slower
    try:
        while True:
            status: dict[str, Any] = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["Status"]
            if status["State"] in FINISHED:
                return status
            if time.monotonic() > deadline:
                athena.stop_query_execution(QueryExecutionId=query_id)
                raise CommandError(f"Athena query {query_id} still {status['State']} after {timeout:g} s: stopped it")
            time.sleep(interval)
            interval = min(interval * 1.5, 1.0)
    except KeyboardInterrupt:
        athena.stop_query_execution(QueryExecutionId=query_id)
        raise


def _results(athena: Any, query_id: str) -> QueryResult:
    columns: list[str] = []
    types: list[str] = []
    texts: list[tuple[str | None, ...]] = []
    for page in athena.get_paginator("get_query_results").paginate(QueryExecutionId=query_id):
        if not columns:
            info = page["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]
            columns, types = [c["Name"] for c in info], [c["Type"] for c in info]
        texts.extend(tuple(datum.get("VarCharValue") for datum in row["Data"]) for row in page["ResultSet"]["Rows"])
    # A SELECT's first row holds the column names.
    return QueryResult(columns, types, texts[1:])


def python_value(text: str | None, athena_type: str) -> Any:
    """An Athena result value (text) as a Python value of its type; NULL is None, an unknown type stays text."""
    if text is None:
        return None
    kind = athena_type.lower()
    if kind in _INTEGERS:
        return int(text)
    if kind in _FLOATS:
        return float(text)  # Java's notation (1.0E20, Infinity, NaN) reads as it is
    if kind.startswith("decimal"):
        return Decimal(text)
    if kind == "boolean":
        return text == "true"
    if kind == "date":
        return datetime.date.fromisoformat(text)
    if kind == "timestamp":
        return datetime.datetime.fromisoformat(text)
    if kind == "timestamp with time zone":  # `2025-01-01 00:00:00.000 UTC`
        moment, _, zone = text.rpartition(" ")
        return datetime.datetime.fromisoformat(moment).replace(tzinfo=ZoneInfo(zone))
    return text
