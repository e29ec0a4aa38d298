"""SQL over the orders table: on AWS through Athena; on the embedded AWS through DuckDB, as Athena would read it.

The local path follows the catalog, not the bucket: it reads the Glue table's columns and registered
partitions, fetches only the Parquet under those partitions' locations, and exposes each table of the
database as a DuckDB view with the partition columns typed as the catalog says. Data not yet crawled is
therefore invisible locally exactly as it is in Athena.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_DUCKDB_TYPES = {"string": "VARCHAR", "bigint": "BIGINT", "int": "INTEGER", "date": "DATE", "timestamp": "TIMESTAMP"}


@dataclass
class QueryResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]


def query_catalog_with_duckdb(sql: str, *, glue: Any, s3: Any, database: str) -> QueryResult:
    import duckdb  # imported here: only the local path needs it

    with tempfile.TemporaryDirectory(prefix="orders-etl-query-") as workdir:
        connection = duckdb.connect()
        connection.execute("SET TimeZone = 'UTC'")
        for table in _tables(glue, database):
            _register_table(connection, glue, s3, database, table, Path(workdir))
        cursor = connection.execute(sql)
        columns = [column[0] for column in cursor.description]
        return QueryResult(columns, [tuple(row) for row in cursor.fetchall()])


def _tables(glue: Any, database: str) -> list[dict[str, Any]]:
    tables: list[dict[str, Any]] = []
    for page in glue.get_paginator("get_tables").paginate(DatabaseName=database):
        tables.extend(page["TableList"])
    return tables


def _register_table(connection: Any, glue: Any, s3: Any, database: str, table: dict[str, Any], workdir: Path) -> None:
    name = table["Name"]
    partition_keys = [key["Name"] for key in table.get("PartitionKeys", [])]
    files: list[str] = []
    for page in glue.get_paginator("get_partitions").paginate(DatabaseName=database, TableName=name):
        for partition in page["Partitions"]:
            folder = (
                workdir / name / "/".join(f"{k}={v}" for k, v in zip(partition_keys, partition["Values"], strict=True))
            )
            files.extend(_download(s3, partition["StorageDescriptor"]["Location"], folder))
    columns = [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"] + table.get("PartitionKeys", [])]
    if not files:
        empty = ", ".join(f"CAST(NULL AS {_duckdb_type(t)}) AS {n}" for n, t in columns)
        connection.execute(f"CREATE VIEW {name} AS SELECT {empty} WHERE false")
        return
    hive_types = ", ".join(f"'{k}': '{_duckdb_type(t)}'" for k, t in columns if k in partition_keys)
    file_list = ", ".join(f"'{path}'" for path in files)
    projection = ", ".join(f"CAST({n} AS {_duckdb_type(t)}) AS {n}" for n, t in columns)
    connection.execute(
        f"CREATE VIEW {name} AS SELECT {projection} FROM read_parquet([{file_list}], "
        f"hive_partitioning = true, hive_types = {{{hive_types}}}, union_by_name = true)"
    )


def _duckdb_type(glue_type: str) -> str:
    return _DUCKDB_TYPES.get(glue_type, glue_type.upper())


def _download(s3: Any, location: str, folder: Path) -> list[str]:
    bucket, _, prefix = location.removeprefix("s3://").partition("/")
    folder.mkdir(parents=True, exist_ok=True)
    paths: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            if item["Key"].endswith(".parquet"):
                path = folder / item["Key"].rsplit("/", 1)[-1]
                s3.download_file(bucket, item["Key"], str(path))
                paths.append(str(path))
    return paths


def query_athena(sql: str, *, athena: Any, database: str, work_group: str, timeout: float = 300.0) -> QueryResult:
    """Run `sql` in Athena in the stack's workgroup (which enforces the results location)."""
    execution_id = athena.start_query_execution(
        QueryString=sql, QueryExecutionContext={"Database": database}, WorkGroup=work_group
    )["QueryExecutionId"]
    deadline = time.monotonic() + timeout
    while True:
        status = athena.get_query_execution(QueryExecutionId=execution_id)["QueryExecution"]["Status"]
        if status["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"Athena query {execution_id} still {status['State']} after {timeout}s")
        time.sleep(1)
    if status["State"] != "SUCCEEDED":
        raise RuntimeError(f"Athena query {status['State']}: {status.get('StateChangeReason', '')}")
    rows: list[tuple[Any, ...]] = []
    columns: list[str] = []
    for page in athena.get_paginator("get_query_results").paginate(QueryExecutionId=execution_id):
        columns = columns or [c["Name"] for c in page["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]]
        rows.extend(tuple(d.get("VarCharValue") for d in row["Data"]) for row in page["ResultSet"]["Rows"])
    # Athena returns the header as the first row.
    return QueryResult(columns, rows[1:])
