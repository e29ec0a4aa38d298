"""`orders-etl query`: one path, the Athena API, in the stack's workgroup with its Glue database as context; the
rows as Athena gives them, and a query Athena cannot run ends in one line with Athena's reason."""

from __future__ import annotations

import json

from support import Cli, Stack, order, product

SQL = "SELECT order_id, price, quantity, order_date, dt FROM orders ORDER BY order_id"


def one_file(stack: Stack) -> None:
    body = json.dumps([order("Q-1", "2025-03-01T10:00:00Z", product("P", 2.5, quantity=2))]).encode()
    [execution] = stack.run({"raw/query/a.json": body})
    assert execution["status"] == "SUCCEEDED"


def test_a_query_runs_in_the_stack_s_workgroup_and_shows_athena_s_values(stack: Stack, cli: Cli) -> None:
    # GIVEN one file's row in the table
    one_file(stack)
    # WHEN it is queried as a table and as JSON
    code, table, _ = cli("query", SQL)
    code_json, document, _ = cli("query", SQL, "--json")
    # THEN the table shows Athena's text, and JSON has numbers as numbers and the rest as Athena's text
    assert code == code_json == 0
    assert table.splitlines()[2].split() == ["Q-1", "2.50", "2", "2025-03-01", "10:00:00.000", "2025-03-01"]
    assert json.loads(document) == [
        {"order_id": "Q-1", "price": "2.50", "quantity": 2, "order_date": "2025-03-01 10:00:00.000", "dt": "2025-03-01"}
    ]
    # AND both ran in the stack's workgroup, in its Glue database, their results where the workgroup puts them
    athena = stack.client("athena")
    ids = athena.list_query_executions(WorkGroup=stack.outputs["AthenaWorkGroupName"])["QueryExecutionIds"]
    executions = athena.batch_get_query_execution(QueryExecutionIds=ids)["QueryExecutions"]
    assert [(e["Query"], e["QueryExecutionContext"]["Database"]) for e in executions] == [
        (SQL, stack.outputs["GlueDatabaseName"])
    ] * 2
    for execution in executions:
        location = execution["ResultConfiguration"]["OutputLocation"]
        assert location == f"s3://{stack.bucket}/athena-results/{execution['QueryExecutionId']}.csv"
        assert stack.get(location.removeprefix(f"s3://{stack.bucket}/")).startswith(b'"order_id","price"')


def test_a_query_athena_cannot_run_ends_in_one_line_with_athena_s_reason(stack: Stack, cli: Cli) -> None:
    code, _, err = cli("query", "SELECT * FROM nope")
    database = stack.outputs["GlueDatabaseName"]
    assert code == 1
    assert err.strip().splitlines()[-1] == (
        f"error: the query failed: TABLE_NOT_FOUND: line 1:15: Table 'awsdatacatalog.{database}.nope' does not exist"
    )
    assert "Traceback" not in err
