"""Emulates what a Glue crawler does for Parquet targets (moto's crawl never leaves RUNNING and creates nothing).

A started crawl runs on a thread for `crawl_seconds`, then, for each S3 target, reads the Parquet footers
under it through the S3 API, creates or updates one table named after the target's last folder, with the
hive-style folders (`dt=2025-01-01/`) as string partition keys, adds the partitions that have data and
deletes those that have none (DeleteBehavior DELETE_FROM_DATABASE). Like Glue's crawler it creates a
partition index on the partition keys of a table it creates (its default; `CreatePartitionIndex: false` in
the crawler's Configuration turns it off); moto lacks CreatePartitionIndex, so it is added here. The crawl
signs its calls as the crawler's role (glue.amazonaws.com must be trusted), so a permission the role lacks
fails the crawl as it would on AWS. The crawl ends with `LastCrawl.Status` SUCCEEDED, or FAILED with an
ErrorMessage, as AWS reports it.
"""

from __future__ import annotations

import contextlib
import io
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.glue.models import FakeCrawl, FakeCrawler
from moto.glue.responses import GlueResponse

from embedded_aws import iam_enforcement, service_roles
from embedded_aws.credentials import admin_session

_original_start = FakeCrawler.start_crawler
_original_status = FakeCrawler.status
_original_as_dict = FakeCrawler.as_dict
_original_get_partition_indexes = GlueResponse.get_partition_indexes
_settings: dict[str, Any] = {"endpoint_url": "", "crawl_seconds": 0.5}
_FINISHED = ("SUCCEEDED", "FAILED", "CANCELLED", "COMPLETED", "STOPPED")


def install(endpoint_url: str, crawl_seconds: float) -> None:
    _settings.update(endpoint_url=endpoint_url, crawl_seconds=crawl_seconds)
    FakeCrawler.start_crawler = _start_crawler
    FakeCrawler.status = property(_status)
    FakeCrawler.as_dict = _as_dict
    GlueResponse.create_partition_index = _create_partition_index
    GlueResponse.get_partition_indexes = _get_partition_indexes


def uninstall() -> None:
    FakeCrawler.start_crawler = _original_start
    FakeCrawler.status = _original_status
    FakeCrawler.as_dict = _original_as_dict
    del GlueResponse.create_partition_index
    GlueResponse.get_partition_indexes = _original_get_partition_indexes


def _create_partition_index(self: GlueResponse) -> ActionResult:
    table = self.glue_backend.get_table(self.parameters["DatabaseName"], self.parameters["TableName"])
    index = self.parameters["PartitionIndex"]
    table.partition_indexes = [*getattr(table, "partition_indexes", []), index]
    return ActionResult({})


def _get_partition_indexes(self: GlueResponse) -> ActionResult:
    table = self.glue_backend.get_table(self.parameters["DatabaseName"], self.parameters["TableName"])
    descriptors = [
        {
            "IndexName": index["IndexName"],
            "Keys": [{"Name": key, "Type": "string"} for key in index["Keys"]],
            "IndexStatus": "ACTIVE",
        }
        for index in getattr(table, "partition_indexes", [])
    ]
    return ActionResult({"PartitionIndexDescriptorList": descriptors})


def _start_crawler(self: FakeCrawler) -> None:
    _original_start(self)  # raises CrawlerRunningException while a crawl runs, as Glue does
    crawl: FakeCrawl = self.crawls[-1]
    crawl._transitions = []  # only the emulated crawl decides when it ends, not moto's state manager
    threading.Thread(target=_run_crawl, args=(self, crawl), name=f"crawl-{self.name}", daemon=True).start()


def _status(self: FakeCrawler) -> str:
    if not self.crawls or self.crawls[-1].status in _FINISHED:
        return "READY"
    return "STOPPING" if self.crawls[-1].status == "STOPPING" else "RUNNING"


def _as_dict(self: FakeCrawler) -> dict[str, Any]:
    data: dict[str, Any] = _original_as_dict(self)
    if self.crawls and getattr(self.crawls[-1], "error_message", None):
        data["LastCrawl"]["ErrorMessage"] = self.crawls[-1].error_message
    return data


def _run_crawl(crawler: FakeCrawler, crawl: FakeCrawl) -> None:
    time.sleep(_settings["crawl_seconds"])
    if crawl.status == "STOPPING":  # stop_crawler was called: Glue reports the crawl CANCELLED, catalog untouched
        crawl.status = "CANCELLED"
        crawl.end_time = utcnow()
        return
    try:
        clients = _Clients(crawler.backend.region_name, crawler.role)
        indexed = json.loads(crawler.configuration or "{}").get("CreatePartitionIndex", True)
        for target in crawler.targets.get("S3Targets", []):
            _crawl_target(clients, crawler.database_name, target["Path"], indexed)
        crawl.status = "SUCCEEDED"
    except Exception as error:  # a crawl that cannot complete is reported FAILED, never left RUNNING
        crawl.error_message = f"{type(error).__name__}: {error}"
        crawl.status = "FAILED"
    crawl.end_time = utcnow()


@dataclass
class _Clients:
    region: str
    role_arn: str
    s3: Any = field(init=False)
    glue: Any = field(init=False)

    def __post_init__(self) -> None:
        if iam_enforcement.is_enabled():
            credentials = service_roles.credentials_for(self.role_arn, service_roles.GLUE).as_client_arguments()
            session = boto3.Session(region_name=self.region, **credentials)
        else:
            session = admin_session(self.region)
        self.s3 = session.client("s3", endpoint_url=_settings["endpoint_url"])
        self.glue = session.client("glue", endpoint_url=_settings["endpoint_url"])


def _crawl_target(clients: _Clients, database: str, path: str, indexed: bool) -> None:
    bucket, _, prefix = path.removeprefix("s3://").partition("/")
    prefix = prefix.rstrip("/") + "/"
    table_name = prefix.rstrip("/").rsplit("/", 1)[-1].lower()
    files = _parquet_files(clients.s3, bucket, prefix)
    if not files:
        _delete_table(clients.glue, database, table_name)
        return
    schema = _merged_schema(clients.s3, bucket, files)
    partition_names, partitions = _partitions(prefix, files)
    location = f"s3://{bucket}/{prefix}"
    created = _put_table(clients.glue, database, table_name, location, schema, partition_names)
    if created and indexed and partition_names:
        clients.glue.create_partition_index(
            DatabaseName=database,
            TableName=table_name,
            PartitionIndex={"Keys": partition_names, "IndexName": f"{table_name}_partition_index"},
        )
    _sync_partitions(clients.glue, database, table_name, location, partitions)


def _parquet_files(s3: Any, bucket: str, prefix: str) -> list[str]:
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            name = item["Key"].rsplit("/", 1)[-1]
            if item["Key"].endswith(".parquet") and not name.startswith(("_", ".")):
                keys.append(item["Key"])
    return keys


def _merged_schema(s3: Any, bucket: str, keys: list[str]) -> dict[str, str]:
    columns: dict[str, str] = {}
    for key in keys:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        for arrow_field in pq.read_schema(io.BytesIO(body)):
            glue_type = glue_type_of(arrow_field.type)
            if columns.setdefault(arrow_field.name, glue_type) != glue_type:
                raise ValueError(
                    f"{key}: column {arrow_field.name} is {glue_type}, elsewhere {columns[arrow_field.name]}"
                )
    return columns


def glue_type_of(arrow_type: pa.DataType) -> str:
    """The Hive/Glue type name a crawler records for a Parquet column."""
    if pa.types.is_decimal(arrow_type):
        return f"decimal({arrow_type.precision},{arrow_type.scale})"
    if pa.types.is_timestamp(arrow_type):
        return "timestamp"
    simple = {
        pa.string(): "string",
        pa.large_string(): "string",
        pa.int64(): "bigint",
        pa.int32(): "int",
        pa.int16(): "smallint",
        pa.int8(): "tinyint",
        pa.bool_(): "boolean",
        pa.float64(): "double",
        pa.float32(): "float",
        pa.date32(): "date",
        pa.binary(): "binary",
    }
    if arrow_type in simple:
        return simple[arrow_type]
    raise ValueError(f"no Glue type for Parquet column type {arrow_type}")


def _partitions(prefix: str, keys: list[str]) -> tuple[list[str], dict[tuple[str, ...], str]]:
    """Partition key names and, per partition value tuple, its folder below the table prefix."""
    names: list[str] | None = None
    partitions: dict[tuple[str, ...], str] = {}
    for key in keys:
        folders = key[len(prefix) :].split("/")[:-1]
        pairs = [folder.split("=", 1) for folder in folders if "=" in folder]
        if names is None:
            names = [name for name, _ in pairs]
        if [name for name, _ in pairs] != names or len(pairs) != len(folders):
            raise ValueError(f"{key}: partition folders {folders} differ from {names}")
        partitions[tuple(value for _, value in pairs)] = "/".join(folders) + "/"
    if not names:  # files straight under the table prefix: a table without partitions
        return [], {}
    return names, partitions


def _storage(location: str, columns: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "Columns": columns,
        "Location": location,
        "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
        "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
        "SerdeInfo": {
            "SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
            "Parameters": {"serialization.format": "1"},
        },
    }


def _put_table(
    glue: Any, database: str, name: str, location: str, schema: dict[str, str], partition_names: list[str]
) -> bool:
    """Create or update the table; True if it was created."""
    table_input = {
        "Name": name,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {"classification": "parquet", "compressionType": "none", "typeOfData": "file"},
        "StorageDescriptor": _storage(location, [{"Name": n, "Type": t} for n, t in schema.items()]),
        "PartitionKeys": [{"Name": n, "Type": "string"} for n in partition_names],
    }
    try:
        glue.get_table(DatabaseName=database, Name=name)
    except glue.exceptions.EntityNotFoundException:
        glue.create_table(DatabaseName=database, TableInput=table_input)
        return True
    glue.update_table(DatabaseName=database, TableInput=table_input)
    return False


def _sync_partitions(
    glue: Any, database: str, table: str, location: str, partitions: dict[tuple[str, ...], str]
) -> None:
    existing: dict[tuple[str, ...], Any] = {}
    for page in glue.get_paginator("get_partitions").paginate(DatabaseName=database, TableName=table):
        for partition in page["Partitions"]:
            existing[tuple(partition["Values"])] = partition
    columns = glue.get_table(DatabaseName=database, Name=table)["Table"]["StorageDescriptor"]["Columns"]
    to_add = [
        {"Values": list(values), "StorageDescriptor": _storage(location + folder, columns)}
        for values, folder in partitions.items()
        if values not in existing
    ]
    to_delete = [{"Values": list(values)} for values in existing if values not in partitions]
    for batch in _batches(to_add, 100):
        glue.batch_create_partition(DatabaseName=database, TableName=table, PartitionInputList=batch)
    for batch in _batches(to_delete, 25):
        glue.batch_delete_partition(DatabaseName=database, TableName=table, PartitionsToDelete=batch)


def _delete_table(glue: Any, database: str, name: str) -> None:
    with contextlib.suppress(glue.exceptions.EntityNotFoundException):
        glue.delete_table(DatabaseName=database, Name=name)


def _batches(items: list[Any], size: int) -> list[list[Any]]:
    return [items[start : start + size] for start in range(0, len(items), size)]
