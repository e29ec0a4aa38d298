"""embedded_aws.athena_queries: Athena runs the queries it is given over the Glue catalog's tables, and answers as
the Athena API does: the states, the result files, the pages of GetQueryResults, the errors."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from athena_support import BUCKET, DATABASE, RESULTS, WORK_GROUP, Catalog, orders, run, select, start, values, wait
from embedded_aws import athena_queries, athena_tables

REGISTERED = {
    "dt=2025-03-01/a.parquet": orders(
        ("A-1", "2025-03-01T10:00:00", "2.50", 2, "books"), ("A-2", "2025-03-01T11:00:00", "10.00", 1, "toys")
    ),
    "dt=2025-03-02/b.parquet": orders(("B-1", "2025-03-02T01:30:00.123", "1.25", 4, None)),
}
NOT_CRAWLED = {"dt=2025-03-03/late.parquet": orders(("L-1", "2025-03-03T09:00:00", "9.99", 1, "books"))}


@pytest.fixture
def catalog(aws: Any) -> Catalog:
    """Table orders: two registered partitions, and a third folder the crawler has not seen yet."""
    built = Catalog(aws)
    built.table("orders", REGISTERED | NOT_CRAWLED, partitions=["2025-03-01", "2025-03-02"])
    return built


@pytest.fixture
def athena(catalog: Catalog) -> Any:
    return catalog.athena


def athena_error(call: Any, **arguments: Any) -> tuple[str, str, str | None]:
    """(Code, Message, AthenaErrorCode) of the error `call` answers."""
    with pytest.raises(ClientError) as caught:
        call(**arguments)
    response = caught.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response.get("AthenaErrorCode")


def result_keys(catalog: Catalog) -> list[str]:
    listing = catalog.s3.list_objects_v2(Bucket=BUCKET, Prefix="athena-results/")
    return sorted(item["Key"] for item in listing.get("Contents", []))


@pytest.fixture
def blocked_reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """One query runs at a time, and a running query waits to read its tables until the event is set."""
    release = threading.Event()
    real_load = athena_tables.load

    def load_when_released(*arguments: Any) -> int:
        release.wait(30)
        return real_load(*arguments)

    monkeypatch.setattr(athena_queries, "RUNNING_AT_ONCE", 1)
    monkeypatch.setattr(athena_tables, "load", load_when_released)
    yield release
    release.set()


def state_of(athena: Any, query_id: str) -> str:
    state: str = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["Status"]["State"]
    return state


# ---------- what a query reads, and what it answers ----------
def test_a_query_reads_the_registered_partitions_only_typed_as_the_catalog_says(athena: Any, catalog: Catalog) -> None:
    # WHEN the table is queried
    query_id = start(athena, "SELECT order_id, order_date, price, quantity, category, dt FROM orders ORDER BY 1")
    execution = wait(athena, query_id)
    # THEN the rows are those of the registered partitions, not of the folder nobody crawled, as Athena's text
    assert execution["Status"]["State"] == "SUCCEEDED"
    assert values(athena, query_id) == [
        ["order_id", "order_date", "price", "quantity", "category", "dt"],
        ["A-1", "2025-03-01 10:00:00.000", "2.50", "2", "books", "2025-03-01"],
        ["A-2", "2025-03-01 11:00:00.000", "10.00", "1", "toys", "2025-03-01"],
        ["B-1", "2025-03-02 01:30:00.123", "1.25", "4", None, "2025-03-02"],
    ]
    # AND each column is described with Athena's type names
    info = athena.get_query_results(QueryExecutionId=query_id)["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]
    assert [(c["Name"], c["Type"], c["Precision"], c["Scale"], c["CaseSensitive"]) for c in info] == [
        ("order_id", "varchar", 2147483647, 0, True),
        ("order_date", "timestamp", 3, 0, False),
        ("price", "decimal", 18, 2, False),
        ("quantity", "bigint", 19, 0, False),
        ("category", "varchar", 2147483647, 0, True),
        ("dt", "varchar", 2147483647, 0, True),
    ]
    assert {(c["CatalogName"], c["SchemaName"], c["TableName"], c["Nullable"]) for c in info} == {
        ("hive", "", "", "UNKNOWN")
    }
    # AND the statistics count the bytes of the registered partitions' objects only
    sizes = [catalog.s3.head_object(Bucket=BUCKET, Key=f"orders/{key}")["ContentLength"] for key in REGISTERED]
    statistics = execution["Statistics"]
    assert statistics["DataScannedInBytes"] == sum(sizes)
    assert statistics["TotalExecutionTimeInMillis"] >= statistics["EngineExecutionTimeInMillis"]
    assert execution["StatementType"] == "DML" and execution["WorkGroup"] == WORK_GROUP
    assert execution["QueryExecutionContext"] == {"Database": DATABASE}


def test_the_results_are_written_as_athena_writes_them_before_the_query_succeeds(athena: Any, catalog: Catalog) -> None:
    # WHEN a query returns a NULL, an empty string and a value with a quote
    sql = "SELECT order_id, category, '' AS empty, 'say \"hi\"' AS quoted FROM orders WHERE dt = '2025-03-02'"
    execution = run(athena, sql)
    query_id = execution["QueryExecutionId"]
    # THEN GetQueryExecution names the CSV in the workgroup's output location
    assert execution["ResultConfiguration"]["OutputLocation"] == f"{RESULTS}{query_id}.csv"
    # AND the CSV quotes the header and every value, doubles quotes, and leaves NULL an empty unquoted field
    csv = catalog.s3.get_object(Bucket=BUCKET, Key=f"athena-results/{query_id}.csv")
    assert csv["Body"].read() == b'"order_id","category","empty","quoted"\n"B-1",,"","say ""hi"""\n'
    assert csv["ContentType"] == "application/octet-stream"
    # AND the metadata file holds the query's id and each column's ColumnInfo, as Athena's protobuf
    metadata = catalog.s3.get_object(Bucket=BUCKET, Key=f"athena-results/{query_id}.csv.metadata")["Body"].read()
    fields = protobuf_fields(metadata)
    assert fields[0] == (1, query_id.encode())
    columns = [dict(protobuf_fields(payload)) for number, payload in fields[1:] if number == 4]
    info = athena.get_query_results(QueryExecutionId=query_id)["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]
    assert [(c[4].decode(), c[6].decode(), c.get(7, 0), c.get(10, 0)) for c in columns] == [
        (i["Name"], i["Type"], i["Precision"], int(i["CaseSensitive"])) for i in info
    ]


def protobuf_fields(data: bytes) -> list[tuple[int, Any]]:
    """(field number, bytes or int) of a protobuf message: enough of the format to read Athena's metadata file."""

    def varint(position: int) -> tuple[int, int]:
        value, shift = 0, 0
        while True:
            byte = data[position]
            value |= (byte & 0x7F) << shift
            position, shift = position + 1, shift + 7
            if not byte & 0x80:
                return value, position

    fields: list[tuple[int, Any]] = []
    position = 0
    while position < len(data):
        tag, position = varint(position)
        if tag & 7 == 0:
            value, position = varint(position)
            fields.append((tag >> 3, value))
        else:
            length, position = varint(position)
            fields.append((tag >> 3, data[position : position + length]))
            position += length
    return fields


# ---------- the states ----------
def test_a_query_waits_queued_then_runs_then_succeeds(athena: Any, aws: Any, blocked_reads: threading.Event) -> None:
    # GIVEN one query running (it waits to read its table) and a second one submitted after it
    first = start(athena, "SELECT count(*) FROM orders")
    aws.wait_for(lambda: state_of(athena, first) == "RUNNING")
    second = start(athena, "SELECT count(*) FROM orders WHERE dt = '2025-03-01'")
    # THEN the second waits in QUEUED, without a completion time
    status = athena.get_query_execution(QueryExecutionId=second)["QueryExecution"]["Status"]
    assert status["State"] == "QUEUED" and "CompletionDateTime" not in status
    # AND neither has results yet, as Athena answers
    running = athena_error(athena.get_query_results, QueryExecutionId=first)
    assert running == (
        "InvalidRequestException",
        "Query has not yet finished. Current state: RUNNING",
        "INVALID_QUERY_EXECUTION_STATE",
    )
    queued = athena_error(athena.get_query_results, QueryExecutionId=second)
    assert queued[1] == "Query has not yet finished. Current state: QUEUED"
    # WHEN the first may read its table
    blocked_reads.set()
    # THEN both succeed, in turn
    assert wait(athena, first)["Status"]["State"] == "SUCCEEDED"
    assert wait(athena, second)["Status"]["State"] == "SUCCEEDED"
    assert values(athena, first)[1:] == [["3"]] and values(athena, second)[1:] == [["2"]]


def test_a_stopped_query_is_cancelled_whether_queued_or_running_and_writes_no_results(
    athena: Any, aws: Any, catalog: Catalog, blocked_reads: threading.Event
) -> None:
    # GIVEN a running query and a queued one
    running = start(athena, "SELECT count(*) FROM orders")
    aws.wait_for(lambda: state_of(athena, running) == "RUNNING")
    queued = start(athena, "SELECT count(*) FROM orders")
    # WHEN both are stopped, and the running one could then go on
    for query_id in (queued, running):
        athena.stop_query_execution(QueryExecutionId=query_id)
    blocked_reads.set()
    # THEN both are CANCELLED by the user, and stay so
    for query_id in (queued, running):
        status = wait(athena, query_id)["Status"]
        assert (status["State"], status["StateChangeReason"]) == ("CANCELLED", "Query cancelled by user")
        assert "CompletionDateTime" in status and "AthenaError" not in status
        assert athena_error(athena.get_query_results, QueryExecutionId=query_id) == (
            "InvalidRequestException",
            "Could not find results",
            "RESULT_NOT_FOUND",
        )
    # AND neither wrote a result file
    assert result_keys(catalog) == []


def test_stopping_a_query_that_has_ended_changes_nothing(athena: Any) -> None:
    query_id = run(athena, "SELECT count(*) FROM orders")["QueryExecutionId"]
    athena.stop_query_execution(QueryExecutionId=query_id)
    assert state_of(athena, query_id) == "SUCCEEDED"
    assert values(athena, query_id)[1:] == [["3"]]


# ---------- pages ----------
def test_get_query_results_pages_at_most_1000_rows_the_header_first(athena: Any, catalog: Catalog) -> None:
    # GIVEN a table of 2,500 rows
    rows = [(f"R-{n:04d}", "2025-01-01T00:00:00", "1.00", 1, "misc") for n in range(2500)]
    catalog.table("many", {"all.parquet": orders(*rows)})
    query_id = run(athena, "SELECT order_id FROM many ORDER BY order_id")["QueryExecutionId"]
    # WHEN its results are read without MaxResults THEN pages hold 1,000 rows, the header counted in the first
    first = athena.get_query_results(QueryExecutionId=query_id)
    second = athena.get_query_results(QueryExecutionId=query_id, NextToken=first["NextToken"])
    third = athena.get_query_results(QueryExecutionId=query_id, NextToken=second["NextToken"])
    assert [len(page["ResultSet"]["Rows"]) for page in (first, second, third)] == [1000, 1000, 501]
    assert "NextToken" not in third
    # AND the pages joined are the header and every row in order
    assert values(athena, query_id) == [["order_id"]] + [[row[0]] for row in rows]
    # AND a page may be smaller, but not larger than 1,000 rows
    small = athena.get_query_results(QueryExecutionId=query_id, MaxResults=2)["ResultSet"]["Rows"]
    assert [row["Data"][0]["VarCharValue"] for row in small] == ["order_id", "R-0000"]
    assert athena_error(athena.get_query_results, QueryExecutionId=query_id, MaxResults=1001) == (
        "InvalidRequestException",
        "MaxResults is more than maximum allowed length 1000",
        "INVALID_INPUT",
    )
    # AND a token of another query's results is refused
    other = run(athena, "SELECT order_id FROM many")["QueryExecutionId"]
    token = first["NextToken"]
    assert athena_error(athena.get_query_results, QueryExecutionId=other, NextToken=token)[1:] == (
        f"Malformed nextPageToken {token}",
        "INVALID_INPUT",
    )


# ---------- errors ----------
@pytest.mark.parametrize(
    ("sql", "reason", "error_type"),
    [
        (
            "SELECT * FROM nope",
            "TABLE_NOT_FOUND: line 1:15: Table 'awsdatacatalog.orders_etl.nope' does not exist",
            1301,
        ),
        ("SELECT * FROM elsewhere.orders", "SCHEMA_NOT_FOUND: line 1:15: Schema 'elsewhere' does not exist", 1301),
        (
            "SELECT order_id,\n  nope FROM orders",
            "COLUMN_NOT_FOUND: line 2:3: Column 'nope' cannot be resolved or requester is not authorized to access "
            "requested resources",
            1006,
        ),
        (
            "SELECT no_such_function(order_id) FROM orders",
            "FUNCTION_NOT_FOUND: line 1:8: Function 'no_such_function' not registered",
            1303,
        ),
        ("SHOW TABLES", "NOT_SUPPORTED: line 1:1: the embedded Athena runs queries only, not SHOW TABLES", 1200),
    ],
    ids=["table", "database", "column", "function", "not-a-query"],
)
def test_a_query_athena_cannot_run_fails_with_its_reason_and_no_results(
    athena: Any, catalog: Catalog, sql: str, reason: str, error_type: int
) -> None:
    # WHEN the query runs
    execution = run(athena, sql)
    # THEN it FAILED, saying why, with the AthenaError of a user error that a retry would not mend
    status = execution["Status"]
    assert (status["State"], status["StateChangeReason"]) == ("FAILED", reason)
    assert status["AthenaError"] == {
        "ErrorCategory": 2,
        "ErrorType": error_type,
        "Retryable": False,
        "ErrorMessage": reason,
    }
    # AND it has no results, which GetQueryResults says as Athena does
    assert athena_error(athena.get_query_results, QueryExecutionId=execution["QueryExecutionId"]) == (
        "InvalidRequestException",
        "Query did not finish successfully. Final query state: FAILED",
        "INVALID_QUERY_EXECUTION_STATE",
    )
    assert result_keys(catalog) == []


def test_a_syntax_error_is_refused_by_start_query_execution_itself(athena: Any) -> None:
    code, message, athena_code = athena_error(athena.start_query_execution, QueryString="SELEC 1", WorkGroup=WORK_GROUP)
    assert (code, athena_code) == ("InvalidRequestException", "MALFORMED_QUERY")
    assert message.startswith("line 1:")
    assert athena.list_query_executions(WorkGroup=WORK_GROUP)["QueryExecutionIds"] == []


def test_an_unknown_workgroup_or_query_is_refused(athena: Any) -> None:
    assert athena_error(athena.start_query_execution, QueryString="SELECT 1", WorkGroup="nope") == (
        "InvalidRequestException",
        "WorkGroup is not found.",
        "INVALID_INPUT",
    )
    for call in (athena.get_query_execution, athena.get_query_results, athena.stop_query_execution):
        assert athena_error(call, QueryExecutionId="nope") == (
            "InvalidRequestException",
            "QueryExecution nope was not found",
            "QUERY_EXECUTION_NOT_FOUND",
        )


# ---------- where the results go ----------
def test_a_workgroup_that_enforces_its_configuration_overrides_the_request_s_output_location(
    athena: Any, catalog: Catalog
) -> None:
    elsewhere = {"OutputLocation": f"s3://{BUCKET}/elsewhere/"}
    # WHEN the request names a location in the workgroup that enforces its own THEN the workgroup's is used
    enforced = run(athena, "SELECT 1", ResultConfiguration=elsewhere)
    assert enforced["ResultConfiguration"]["OutputLocation"].startswith(RESULTS)
    # AND a workgroup that does not enforce it uses the request's, or its own when the request names none
    catalog.work_group("loose", f"s3://{BUCKET}/loose/", enforce=False)
    requested = run(athena, "SELECT 1", work_group="loose", ResultConfiguration=elsewhere)
    assert (
        requested["ResultConfiguration"]["OutputLocation"]
        == f"s3://{BUCKET}/elsewhere/{requested['QueryExecutionId']}.csv"
    )
    own = run(athena, "SELECT 1", work_group="loose")
    assert own["ResultConfiguration"]["OutputLocation"] == f"s3://{BUCKET}/loose/{own['QueryExecutionId']}.csv"
    # AND with no location at all the query is refused
    catalog.athena.create_work_group(Name="nowhere", Configuration={"EnforceWorkGroupConfiguration": False})
    code, message, athena_code = athena_error(athena.start_query_execution, QueryString="SELECT 1", WorkGroup="nowhere")
    assert (code, athena_code) == ("InvalidRequestException", "INVALID_INPUT")
    assert message.startswith("No output location provided.")


# ---------- listing ----------
def test_executions_are_listed_per_workgroup_newest_first_and_fetched_in_batches(athena: Any, catalog: Catalog) -> None:
    catalog.work_group("other", f"s3://{BUCKET}/other/")
    ids = [run(athena, f"SELECT {n}")["QueryExecutionId"] for n in range(3)]
    run(athena, "SELECT 1", work_group="other")
    assert athena.list_query_executions(WorkGroup=WORK_GROUP)["QueryExecutionIds"] == ids[::-1]
    page = athena.list_query_executions(WorkGroup=WORK_GROUP, MaxResults=2)
    assert page["QueryExecutionIds"] == ids[:0:-1]
    rest = athena.list_query_executions(WorkGroup=WORK_GROUP, MaxResults=2, NextToken=page["NextToken"])
    assert rest["QueryExecutionIds"] == ids[:1] and "NextToken" not in rest
    batch = athena.batch_get_query_execution(QueryExecutionIds=[ids[0], "nope"])
    assert [e["QueryExecutionId"] for e in batch["QueryExecutions"]] == [ids[0]]
    assert batch["QueryExecutions"][0]["Status"]["State"] == "SUCCEEDED"
    assert [u["QueryExecutionId"] for u in batch["UnprocessedQueryExecutionIds"]] == ["nope"]


def test_a_retried_start_with_the_same_client_request_token_is_the_same_query(athena: Any) -> None:
    token = "t" * 32
    first = start(athena, "SELECT count(*) FROM orders", ClientRequestToken=token)
    assert start(athena, "SELECT count(*) FROM orders", ClientRequestToken=token) == first
    assert athena_error(
        athena.start_query_execution, QueryString="SELECT 2", WorkGroup=WORK_GROUP, ClientRequestToken=token
    ) == ("InvalidRequestException", "Idempotent parameters do not match", "IDEMPOTENT_PARAMETER_MISMATCH")
    assert select(athena, "SELECT count(*) FROM orders")[1:] == [["3"]]
