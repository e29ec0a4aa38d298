"""Test support for the embedded Athena: Glue tables over Parquet objects, and queries run to their end."""

from __future__ import annotations

import io
import time
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from orders_etl.contract import read_order_file
from orders_etl.errors import InvalidOrderFile

# The demo's order files (make demo uploads them).
SAMPLES = Path(__file__).resolve().parents[1] / "events" / "orders"
BUCKET = "athena-test"
DATABASE = "orders_etl"
WORK_GROUP = "reports"
RESULTS = f"s3://{BUCKET}/athena-results/"
ORDERS_COLUMNS = [
    ("order_id", "string"),
    ("order_date", "timestamp"),
    ("price", "decimal(18,2)"),
    ("quantity", "bigint"),
    ("category", "string"),
]
ORDERS_SCHEMA = pa.schema(
    [
        ("order_id", pa.string()),
        ("order_date", pa.timestamp("us", tz="UTC")),
        ("price", pa.decimal128(18, 2)),
        ("quantity", pa.int64()),
        ("category", pa.string()),
    ]
)


def parquet(table: pa.Table) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def orders(*rows: tuple[str, str, str, int, str | None]) -> bytes:
    """Parquet of (order_id, ISO order date, price, quantity, category) rows, typed as the pipeline writes them."""
    columns: dict[str, list[Any]] = {name: [] for name in ORDERS_SCHEMA.names}
    for order_id, order_date, price, quantity, category in rows:
        columns["order_id"].append(order_id)
        columns["order_date"].append(datetime.fromisoformat(order_date).replace(tzinfo=UTC))
        columns["price"].append(Decimal(price))
        columns["quantity"].append(quantity)
        columns["category"].append(category)
    return parquet(pa.table(columns, schema=ORDERS_SCHEMA))


class Catalog:
    """Glue tables and Athena workgroups on the embedded endpoint, built as a crawler and the template build them."""

    def __init__(self, aws: Any) -> None:
        self.aws = aws
        self.s3, self.glue, self.athena = aws.client("s3"), aws.client("glue"), aws.client("athena")
        self.s3.create_bucket(Bucket=BUCKET)
        self.glue.create_database(DatabaseInput={"Name": DATABASE})
        self.work_group(WORK_GROUP, RESULTS)

    def work_group(self, name: str, output_location: str, enforce: bool = True) -> None:
        configuration = {"ResultConfiguration": {"OutputLocation": output_location}}
        self.athena.create_work_group(
            Name=name, Configuration=configuration | {"EnforceWorkGroupConfiguration": enforce}
        )

    def table(
        self,
        name: str,
        files: dict[str, bytes],
        columns: list[tuple[str, str]] = ORDERS_COLUMNS,
        partitions: list[str] | None = None,
    ) -> None:
        """Table `name` at s3://BUCKET/<name>/ holding `files` (key below the table -> body). Partitioned by `dt`
        when `partitions` lists the dt values registered (a folder not listed is not crawled yet)."""
        location = f"s3://{BUCKET}/{name}/"
        for key, body in files.items():
            self.s3.put_object(Bucket=BUCKET, Key=f"{name}/{key}", Body=body)
        storage = {"Columns": [{"Name": n, "Type": t} for n, t in columns], "Location": location}
        keys = [{"Name": "dt", "Type": "string"}] if partitions is not None else []
        self.glue.create_table(
            DatabaseName=DATABASE, TableInput={"Name": name, "StorageDescriptor": storage, "PartitionKeys": keys}
        )
        for value in partitions or []:
            self.glue.create_partition(
                DatabaseName=DATABASE,
                TableName=name,
                PartitionInput={
                    "Values": [value],
                    "StorageDescriptor": storage | {"Location": f"{location}dt={value}/"},
                },
            )


def wait(athena: Any, query_id: str, timeout: float = 30.0) -> dict[str, Any]:
    """The query's QueryExecution once it has ended (a test that waits longer than `timeout` fails)."""
    deadline = time.monotonic() + timeout
    while True:
        execution: dict[str, Any] = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
        if execution["Status"]["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            return execution
        assert time.monotonic() < deadline, f"query {query_id} still {execution['Status']['State']}"
        time.sleep(0.02)


def start(athena: Any, sql: str, database: str | None = DATABASE, work_group: str = WORK_GROUP, **extra: Any) -> str:
    context = {"QueryExecutionContext": {"Database": database}} if database else {}
    query_id: str = athena.start_query_execution(QueryString=sql, WorkGroup=work_group, **context, **extra)[
        "QueryExecutionId"
    ]
    return query_id


def run(athena: Any, sql: str, **arguments: Any) -> dict[str, Any]:
    """The QueryExecution of `sql` once it has ended."""
    return wait(athena, start(athena, sql, **arguments))


def values(athena: Any, query_id: str) -> list[list[str | None]]:
    """Every row GetQueryResults gives, pages joined (a SELECT's header first), NULL as None."""
    rows = []
    for page in athena.get_paginator("get_query_results").paginate(QueryExecutionId=query_id):
        rows.extend([datum.get("VarCharValue") for datum in row["Data"]] for row in page["ResultSet"]["Rows"])
    return rows


def select(athena: Any, sql: str, **arguments: Any) -> list[list[str | None]]:
    """The rows of a query that must succeed, header first."""
    execution = run(athena, sql, **arguments)
    assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
    return values(athena, execution["QueryExecutionId"])


def revenue_by_category(paths: list[Path]) -> list[tuple[str, Decimal, int, int]]:
    """What revenue-by-category must answer for these order files, from the data contract's reading of them."""
    revenue: dict[str, Decimal] = defaultdict(Decimal)
    units: dict[str, int] = defaultdict(int)
    order_ids: dict[str, set[str]] = defaultdict(set)
    for path in paths:
        try:
            file_orders = read_order_file(path.read_bytes(), source_key=path.name)
        except InvalidOrderFile:
            continue  # quarantined: not in the table
        for order in file_orders:
            for product in order.rows:
                category = str(product["category"])
                revenue[category] += product["price"] * product["quantity"]
                units[category] += product["quantity"]
                order_ids[category].add(order.values["order_id"])
    rows = [(category, revenue[category], units[category], len(order_ids[category])) for category in revenue]
    return sorted(rows, key=lambda row: row[1], reverse=True)
