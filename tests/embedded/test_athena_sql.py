"""embedded_aws.athena_sql and athena_results: SQL written for Athena (Trino) runs on the embedded Athena with
Athena's meaning: its names for tables, its functions, its typing, its output names and its notation."""

from __future__ import annotations

from typing import Any

import pytest

from athena_support import Catalog, orders, run, select, values
from embedded_aws.athena_results import java_double


@pytest.fixture
def athena(aws: Any) -> Any:
    catalog = Catalog(aws)
    rows = orders(
        ("A-1", "2025-03-01T10:00:00", "2.50", 2, "books"), ("A-2", "2025-04-02T11:00:00", "10.00", 1, "toys")
    )
    catalog.table("orders", {"dt=2025-03-01/a.parquet": rows}, partitions=["2025-03-01"])
    return catalog.athena


@pytest.mark.parametrize(
    "table",
    [
        '"orders_etl"."orders"',
        "orders_etl.orders",
        "awsdatacatalog.orders_etl.orders",
        "AwsDataCatalog.Orders_ETL.ORDERS",
        "orders",
    ],
)
def test_a_table_is_named_as_athena_names_it(athena: Any, table: str) -> None:
    assert select(athena, f"SELECT count(*) FROM {table}")[1:] == [["2"]]


def test_athena_s_functions_give_athena_s_answers(athena: Any) -> None:
    rows = select(
        athena,
        "SELECT date_format(order_date, '%Y-%m') AS month, from_iso8601_timestamp('2025-01-01T00:00:00Z') AS start "
        "FROM orders ORDER BY 1",
    )
    assert rows == [
        ["month", "start"],
        ["2025-03", "2025-01-01 00:00:00.000 UTC"],
        ["2025-04", "2025-01-01 00:00:00.000 UTC"],
    ]


def test_athena_s_typing_where_duckdb_would_differ(athena: Any) -> None:
    execution = run(
        athena,
        "SELECT 0.1 + 0.2, 7 / 2, CAST(order_date AS VARCHAR), SUM(quantity) OVER (), order_id AS Id FROM orders "
        "WHERE order_id = 'A-1'",
    )
    query_id = execution["QueryExecutionId"]
    # THEN a decimal literal is a double, integer division stays integer, a timestamp as text keeps its milliseconds,
    # a sum of bigints is a bigint, and unnamed columns are _col0, _col1...; names are lower case
    assert values(athena, query_id) == [
        ["_col0", "_col1", "_col2", "_col3", "id"],
        ["0.30000000000000004", "3", "2025-03-01 10:00:00.000", "2", "A-1"],
    ]
    info = athena.get_query_results(QueryExecutionId=query_id)["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]
    assert [column["Type"] for column in info] == ["double", "bigint", "varchar", "bigint", "varchar"]


def test_a_with_query_s_own_names_are_not_catalog_tables(athena: Any) -> None:
    sql = "WITH books AS (SELECT * FROM orders WHERE category = 'books') SELECT order_id FROM books"
    assert select(athena, sql)[1:] == [["A-1"]]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1.5, "1.5"),
        (100.0, "100.0"),
        (0.30000000000000004, "0.30000000000000004"),
        (1e20, "1.0E20"),
        (1.5e-7, "1.5E-7"),
    ],
)
def test_doubles_are_written_in_java_s_notation_as_athena_writes_them(value: float, text: str) -> None:
    assert java_double(value) == text
    assert float(text) == value
