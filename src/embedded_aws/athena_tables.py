"""The tables an Athena query reads, read as Athena reads them, for the embedded Athena (`athena_queries`).

Athena follows the Glue Data Catalog, not the bucket: a table's columns and types are the catalog's, and its data is
the objects under the locations of its registered partitions (under the table's own location when it has no
partition keys). Data not crawled yet is invisible, exactly as in Athena. Each table becomes a DuckDB view
`awsdatacatalog."<db>"."<table>"` over local copies of those Parquet objects, its columns cast to the catalog's types
and its partition columns taken from the catalog's partition values.

Catalog and objects are read with the clients of the principal who started the query (Athena reads the data with
the caller's permissions), so a denied read fails the query as it would on AWS.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from embedded_aws.athena_sql import QueryError, Schema, TableReference, database_not_found, table_not_found

_DUCKDB_TYPES = {
    "string": "VARCHAR",
    "int": "INTEGER",
    "float": "FLOAT",
    "binary": "BLOB",
}


@dataclass
class CatalogTable:
    reference: TableReference
    columns: list[tuple[str, str]]  # (name, Glue type), the partition keys last
    partition_keys: list[str]
    # (folder under which the copies go, named from the partition values; the S3 location it holds)
    locations: list[tuple[str, str]] = field(default_factory=list)

    @property
    def view(self) -> str:
        return f'awsdatacatalog."{self.reference.database}"."{self.reference.table}"'


def read_catalog(glue: Any, references: list[TableReference]) -> list[CatalogTable]:
    """Each table as the catalog describes it; SCHEMA_NOT_FOUND / TABLE_NOT_FOUND for a name it does not know."""
    tables = []
    for reference in references:
        try:
            glue.get_database(Name=reference.database)
        except glue.exceptions.EntityNotFoundException:
            raise database_not_found(reference) from None
        except ClientError as error:
            raise denied(error, "AWSGlue") from None
        try:
            table = glue.get_table(DatabaseName=reference.database, Name=reference.table)["Table"]
            tables.append(_described(glue, reference, table))
        except glue.exceptions.EntityNotFoundException:
            raise table_not_found(reference) from None
        except ClientError as error:
            raise denied(error, "AWSGlue") from None
    return tables


def schema_of(tables: list[CatalogTable]) -> Schema:
    schema: Schema = {}
    for table in tables:
        schema.setdefault(table.reference.database, {})[table.reference.table] = dict(table.columns)
    return schema


def load(connection: Any, s3: Any, tables: list[CatalogTable], workdir: Path) -> int:
    """Create each table's view over copies of its Parquet objects; the bytes read (DataScannedInBytes)."""
    scanned = 0
    for table in tables:
        files: list[str] = []
        for folder, location in table.locations:
            copied, size = _copy_objects(s3, location, workdir / folder)
            files.extend(copied)
            scanned += size
        connection.execute(f'CREATE SCHEMA IF NOT EXISTS awsdatacatalog."{table.reference.database}"')
        connection.execute(f"CREATE VIEW {table.view} AS {_select(table, files)}")
    return scanned


def denied(error: ClientError, service: str) -> QueryError:
    """A read the caller may not make, in Athena's words: practitioners report these from Athena engine 3 (its error
    catalog gives only the types, 1500 permission error and 1501 Amazon S3 permission error); another failure of
    the read is the engine's."""
    details = error.response.get("Error", {})
    if details.get("Code") not in ("AccessDenied", "AccessDeniedException", "403"):
        return QueryError("GENERIC_INTERNAL_ERROR", f"{details.get('Code')}: {details.get('Message', error)}")
    if service == "S3":
        return QueryError("PERMISSION_DENIED", "Access Denied (Service: S3, Status Code: 403)")
    return QueryError("PERMISSION_DENIED", f"{details.get('Message', error)} (Service: AWSGlue, Status Code: 400)")


def _described(glue: Any, reference: TableReference, table: dict[str, Any]) -> CatalogTable:
    keys = table.get("PartitionKeys", [])
    columns = [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"] + keys]
    described = CatalogTable(reference, columns, [key["Name"] for key in keys])
    base = f"{reference.database}/{reference.table}"
    if not keys:
        described.locations.append((base, table["StorageDescriptor"]["Location"]))
        return described
    pages = glue.get_paginator("get_partitions").paginate(DatabaseName=reference.database, TableName=reference.table)
    for page in pages:
        for partition in page["Partitions"]:
            pairs = zip(described.partition_keys, partition["Values"], strict=True)
            folder = "/".join(f"{key}={value}" for key, value in pairs)
            described.locations.append((f"{base}/{folder}", partition["StorageDescriptor"]["Location"]))
    return described


def _select(table: CatalogTable, files: list[str]) -> str:
    projection = ", ".join(f'CAST("{name}" AS {duckdb_type(kind)}) AS "{name}"' for name, kind in table.columns)
    if not files:
        empty = ", ".join(f'CAST(NULL AS {duckdb_type(kind)}) AS "{name}"' for name, kind in table.columns)
        return f"SELECT {empty} WHERE false"
    file_list = ", ".join("'" + path.replace("'", "''") + "'" for path in files)
    if not table.partition_keys:
        return f"SELECT {projection} FROM read_parquet([{file_list}], union_by_name = true)"
    # The partition columns come from the folders named after the catalog's values, typed as the catalog says.
    hive_types = ", ".join(f"'{k}': '{duckdb_type(t)}'" for k, t in table.columns if k in table.partition_keys)
    return (
        f"SELECT {projection} FROM read_parquet([{file_list}], hive_partitioning = true, "
        f"hive_types = {{{hive_types}}}, union_by_name = true)"
    )


def duckdb_type(glue_type: str) -> str:
    base = glue_type.split("(", 1)[0].lower()
    if base in ("varchar", "char"):
        return "VARCHAR"
    return _DUCKDB_TYPES.get(glue_type.lower(), glue_type.upper())


def _copy_objects(s3: Any, location: str, folder: Path) -> tuple[list[str], int]:
    """Local copies of the objects under `location`, subfolders included ("Athena reads all data stored under the
    prefix", Athena user guide, Table location in Amazon S3); as Hive, names starting `_` or `.` are not data."""
    bucket, _, prefix = location.removeprefix("s3://").partition("/")
    prefix = prefix.rstrip("/") + "/" if prefix else ""
    paths: list[str] = []
    size = 0
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                relative = item["Key"][len(prefix) :]
                if not relative or relative.endswith("/") or relative.rsplit("/", 1)[-1].startswith(("_", ".")):
                    continue
                path = folder / relative
                path.parent.mkdir(parents=True, exist_ok=True)
                s3.download_file(bucket, item["Key"], str(path))
                paths.append(str(path))
                size += item["Size"]
    except ClientError as error:
        raise denied(error, "S3") from None
    return paths, size
