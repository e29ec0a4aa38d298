"""The embedded Athena as its clients see it: a principal's own permissions decide what its queries read and write
(embedded_aws.athena_queries, athena_tables), a client reading the result file as awswrangler does, and the stack's
named query answering with the demo's rows."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import boto3
import pandas as pd
import pytest

from athena_support import BUCKET, RESULTS, SAMPLES, WORK_GROUP, Catalog, orders, revenue_by_category, run, wait
from embedded_aws import iam_enforcement, service_roles
from support import Stack

ALLOW_QUERIES = [
    {"Effect": "Allow", "Action": "athena:*", "Resource": "*"},
    {"Effect": "Allow", "Action": ["glue:GetDatabase", "glue:GetTable", "glue:GetPartitions"], "Resource": "*"},
    {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{BUCKET}"},
]
READ_DATA = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET}/orders/*"}
WRITE_RESULTS = {"Effect": "Allow", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{BUCKET}/athena-results/*"}


# IAM enforced in every test here, whatever EMBEDDED_AWS_IAM says (conftest's fixture restores the setting).
pytestmark = pytest.mark.usefixtures("iam_enforced")


@pytest.fixture
def catalog(aws: Any) -> Catalog:
    built = Catalog(aws)
    rows = orders(("A-1", "2025-03-01T10:00:00", "2.50", 2, "books"), ("A-2", "2025-03-01T11:00:00", "10.00", 1, None))
    built.table("orders", {"dt=2025-03-01/a.parquet": rows}, partitions=["2025-03-01"])
    return built


def athena_as(aws: Any, *statements: dict[str, Any]) -> Any:
    """An Athena client signing as a role (a function's, say) that holds exactly `statements`."""
    role = aws.role("lambda.amazonaws.com", policy={"Version": "2012-10-17", "Statement": list(statements)})
    credentials = service_roles.credentials_for(role, "lambda.amazonaws.com")
    session = boto3.Session(region_name="us-east-1", **credentials.as_client_arguments())
    return session.client("athena", endpoint_url=aws.endpoint_url)


# ---------- the caller's permissions ----------
def test_a_query_reads_and_writes_with_the_permissions_of_the_principal_who_started_it(
    aws: Any, catalog: Catalog
) -> None:
    execution = run(athena_as(aws, *ALLOW_QUERIES, READ_DATA, WRITE_RESULTS), "SELECT count(*) FROM orders")
    assert execution["Status"]["State"] == "SUCCEEDED"


def test_a_principal_that_may_not_read_the_data_gets_a_failed_query(aws: Any, catalog: Catalog) -> None:
    status = run(athena_as(aws, *ALLOW_QUERIES, WRITE_RESULTS), "SELECT count(*) FROM orders")["Status"]
    assert (status["State"], status["StateChangeReason"]) == (
        "FAILED",
        "PERMISSION_DENIED: Access Denied (Service: S3, Status Code: 403)",
    )
    assert (status["AthenaError"]["ErrorCategory"], status["AthenaError"]["ErrorType"]) == (2, 1501)


def test_a_principal_that_may_not_read_the_catalog_gets_a_failed_query_naming_the_permission(
    aws: Any, catalog: Catalog
) -> None:
    without_get_table = [*ALLOW_QUERIES[:1], {**ALLOW_QUERIES[1], "Action": ["glue:GetDatabase"]}, *ALLOW_QUERIES[2:]]
    status = run(athena_as(aws, *without_get_table, READ_DATA, WRITE_RESULTS), "SELECT 1 FROM orders")["Status"]
    assert status["State"] == "FAILED"
    assert status["StateChangeReason"].startswith("PERMISSION_DENIED: User: ")
    assert "is not authorized to perform: glue:GetTable" in status["StateChangeReason"]
    assert status["AthenaError"]["ErrorType"] == 1500


def test_a_principal_that_may_not_write_the_results_gets_a_failed_query_and_no_file(aws: Any, catalog: Catalog) -> None:
    execution = run(athena_as(aws, *ALLOW_QUERIES, READ_DATA), "SELECT count(*) FROM orders")
    status = execution["Status"]
    assert status["State"] == "FAILED"
    csv = f"{RESULTS}{execution['QueryExecutionId']}.csv"
    assert status["StateChangeReason"].startswith(f"PERMISSION_DENIED: Access denied when writing output to url: {csv}")
    assert catalog.s3.list_objects_v2(Bucket=BUCKET, Prefix="athena-results/").get("KeyCount") == 0


def test_with_iam_off_any_signed_query_runs(aws: Any, catalog: Catalog) -> None:
    iam_enforcement.set_enabled(False)  # restored by iam_enforced
    session = boto3.Session(region_name="us-east-1", aws_access_key_id="nobody", aws_secret_access_key="x")
    athena = session.client("athena", endpoint_url=aws.endpoint_url)
    assert run(athena, "SELECT count(*) FROM orders")["Status"]["State"] == "SUCCEEDED"


# ---------- a client of its own ----------
def test_a_client_polling_and_reading_the_result_file_as_awswrangler_does_gets_the_rows(catalog: Catalog) -> None:
    athena, s3 = catalog.athena, catalog.s3
    # WHEN a client starts a query, polls until it ends, and reads the CSV that GetQueryExecution names
    query_id = athena.start_query_execution(
        QueryString="SELECT order_id, price, quantity, category, order_date FROM orders ORDER BY order_id",
        QueryExecutionContext={"Database": "orders_etl"},
        WorkGroup=WORK_GROUP,
    )["QueryExecutionId"]
    execution = wait(athena, query_id)
    bucket, key = execution["ResultConfiguration"]["OutputLocation"].removeprefix("s3://").split("/", 1)
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    info = athena.get_query_results(QueryExecutionId=query_id, MaxResults=1)["ResultSet"]["ResultSetMetadata"]
    types = {column["Name"]: column["Type"] for column in info["ColumnInfo"]}
    frame = pd.read_csv(
        io.BytesIO(body),
        dtype={name: "string" for name, kind in types.items() if kind == "varchar"} | {"quantity": "Int64"},
        converters={name: Decimal for name, kind in types.items() if kind == "decimal"},
        parse_dates=[name for name, kind in types.items() if kind == "timestamp"],
    )
    # THEN it has the rows, typed by the column types Athena gave
    assert frame.to_dict("records") == [
        {
            "order_id": "A-1",
            "price": Decimal("2.50"),
            "quantity": 2,
            "category": "books",
            "order_date": pd.Timestamp("2025-03-01 10:00:00"),
        },
        {
            "order_id": "A-2",
            "price": Decimal("10.00"),
            "quantity": 1,
            "category": None,  # NULL: an empty unquoted field
            "order_date": pd.Timestamp("2025-03-01 11:00:00"),
        },
    ]


# ---------- the stack's named query ----------


def test_the_stack_s_named_query_answers_with_the_rows_of_the_demo_s_files(stack: Stack) -> None:
    # GIVEN the demo's sample files went through the pipeline
    samples = sorted(path for path in SAMPLES.iterdir() if path.is_file())
    stack.run({f"raw/demo/{path.name}": path.read_bytes() for path in samples})
    # WHEN the workgroup's named query runs through the Athena API
    athena = stack.client("athena")
    work_group = stack.outputs["AthenaWorkGroupName"]
    [query_id] = athena.list_named_queries(WorkGroup=work_group)["NamedQueryIds"]
    named = athena.get_named_query(NamedQueryId=query_id)["NamedQuery"]
    assert named["Name"] == "revenue-by-category"
    # THEN it answers revenue, units and orders per category of the files' valid orders, largest revenue first
    assert stack.query(named["QueryString"]) == revenue_by_category(samples)
