"""Emulates what a Glue crawler does for Parquet targets (moto's crawl never leaves RUNNING and creates nothing).

A started crawl runs on a thread. For each S3 target it lists objects and reads Parquet footers through the S3
API, creates or updates one table named after the target's last folder, with the hive-style folders
(`dt=2025-01-01/`) as string partition keys, adds the partitions that have data and deletes those that have
none (DeleteBehavior DELETE_FROM_DATABASE). What it lists follows the crawler's RecrawlPolicy:

- CRAWL_EVERYTHING (Glue's default): every crawl lists the whole target and makes the table match it.
- CRAWL_EVENT_MODE: "The first crawl lists all Amazon S3 objects from the target"; later crawls consume the S3
  events in the target's EventQueueArn and list only "the subfolder which triggered the event" (Glue docs,
  "Accelerating crawls using Amazon S3 event notifications"): only those folders' partitions are added or
  deleted, and the columns their files bring are added. Events are received and deleted as the crawler's role
  (a message is deleted only once its crawl succeeded), at most 100,000 per crawl (the Glue docs' cap).
  A listing crawl purges the queue first: the listing covers what the queued events name (the emulator's
  reading of why Glue's docs give the role sqs:PurgeQueue).
- CRAWL_NEW_FOLDERS_ONLY is not emulated: the crawl fails saying so, rather than pretending.

How long a crawl takes is `CrawlTimeModel`: a start-up plus a cost per object listed, in AWS seconds, run at
the embedded clock's scale (`clock.scaled`). The catalog changes when the modelled time is over, as a crawl's
results appear at its end; each crawl's cost is recorded in `crawl_records`.

Like Glue's crawler it creates a partition index on the partition keys of a table it creates (its default;
`CreatePartitionIndex: false` in the crawler's Configuration turns it off); moto lacks CreatePartitionIndex, so
it is added here. The crawl signs its calls as the crawler's role (glue.amazonaws.com must be trusted), so a
permission the role lacks fails the crawl as it would on AWS. The crawl ends with `LastCrawl.Status`
SUCCEEDED, or FAILED with an ErrorMessage, as AWS reports it.
"""

from __future__ import annotations

import contextlib
import io
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest import mock
from urllib.parse import unquote_plus

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.glue.models import FakeCrawl, FakeCrawler
from moto.glue.responses import GlueResponse

from embedded_aws import clock, iam_enforcement, service_roles
from embedded_aws.credentials import admin_session

_original_start = FakeCrawler.start_crawler
_original_as_dict = FakeCrawler.as_dict
_FINISHED = ("SUCCEEDED", "FAILED", "CANCELLED", "COMPLETED", "STOPPED")
# The messages one crawl consumes at most (Glue docs, S3 event notifications: 100,000; one translation says 10,000).
MAX_EVENTS_PER_CRAWL = 100_000
# Parquet schemas by ETag (the content's digest), kept across crawls: a footer is fetched once per content.
_schemas_by_etag: dict[str, list[tuple[str, str]]] = {}


@dataclass(frozen=True)
class CrawlTimeModel:
    """How long a crawl takes on AWS, in seconds: a start-up plus a cost for every object it lists.

    The defaults are assumptions, not measurements (docs/embedded-aws.md says where they come from): about a
    minute for a crawl of almost nothing, and 5 ms per object, which puts a crawl of 1.5 million objects at
    about 2 h, inside the README's budget of 1-4 h for it.
    """

    base_seconds: float = 60.0
    seconds_per_object: float = 0.005

    def seconds(self, objects: int) -> float:
        return self.base_seconds + self.seconds_per_object * objects


@dataclass(frozen=True)
class CrawlRecord:
    """One finished crawl: what it listed and how long it took in AWS seconds (before the clock's scale)."""

    crawler: str
    mode: str  # "everything", "listing" (an event-mode crawler's full crawl), "events"; "none" if it failed early
    objects: int
    folders: int
    seconds: float
    status: str


# Newest last, like clock.retry_waits: lets tests check what a crawl cost without timing it.
crawl_records: list[CrawlRecord] = []


@dataclass
class _Settings:
    endpoint_url: str = ""
    time_model: CrawlTimeModel = field(default_factory=CrawlTimeModel)


_settings = _Settings()


@contextmanager
def installed(endpoint_url: str, time_model: CrawlTimeModel) -> Iterator[None]:
    with (
        mock.patch.multiple(_settings, endpoint_url=endpoint_url, time_model=time_model),
        mock.patch.multiple(FakeCrawler, start_crawler=_start_crawler, status=property(_status), as_dict=_as_dict),
        mock.patch.object(GlueResponse, "create_partition_index", _create_partition_index, create=True),
        mock.patch.object(GlueResponse, "get_partition_indexes", _get_partition_indexes),
    ):
        yield


def time_model() -> CrawlTimeModel:
    return _settings.time_model


def set_time_model(model: CrawlTimeModel) -> None:
    """Crawls started from now on take `model`'s time (a test may make objects dearer to keep its table small)."""
    _settings.time_model = model


def records_of(crawler_name: str) -> list[CrawlRecord]:
    return [record for record in crawl_records if record.crawler == crawler_name]


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


@dataclass
class _PreparedTarget:
    """A target crawled but not yet written: what it listed, and the catalog writes that end the crawl."""

    mode: str
    objects: int
    folders: int
    commit: Callable[[], None]


def _run_crawl(crawler: FakeCrawler, crawl: FakeCrawl) -> None:
    started = time.monotonic()
    prepared: list[_PreparedTarget] = []
    failure: Exception | None = None
    try:
        clients = _Clients(crawler.backend.region_name, crawler.role)
        prepared = [_prepare(clients, crawler, target) for target in crawler.targets.get("S3Targets", [])]
    except Exception as error:  # reported once the crawl's time is up, as Glue reports it at the end
        failure = error
    objects = sum(target.objects for target in prepared)
    seconds = _settings.time_model.seconds(objects)
    deadline = started + clock.scaled(seconds)
    while crawl.status != "STOPPING" and (remaining := deadline - time.monotonic()) > 0:
        time.sleep(min(remaining, 0.05))  # a stopped crawl ends soon, not when its time would have been up
    if crawl.status == "STOPPING":  # stop_crawler was called: Glue reports the crawl CANCELLED, catalog untouched
        _finish(crawl, "CANCELLED")
    elif failure is not None:
        _finish(crawl, "FAILED", failure)
    else:
        try:
            for target in prepared:
                target.commit()
            _finish(crawl, "SUCCEEDED")
        except Exception as error:  # a crawl that cannot complete is reported FAILED, never left RUNNING
            _finish(crawl, "FAILED", error)
    mode = "+".join(sorted({target.mode for target in prepared})) or "none"
    folders = sum(target.folders for target in prepared)
    crawl_records.append(CrawlRecord(crawler.name, mode, objects, folders, seconds, crawl.status))


def _finish(crawl: FakeCrawl, status: str, error: Exception | None = None) -> None:
    if error is not None:
        crawl.error_message = f"{type(error).__name__}: {error}"
    crawl.status = status
    crawl.end_time = utcnow()


@dataclass
class _Clients:
    region: str
    role_arn: str
    s3: Any = field(init=False)
    glue: Any = field(init=False)
    session: boto3.Session = field(init=False)

    def __post_init__(self) -> None:
        if iam_enforcement.is_enabled():
            credentials = service_roles.credentials_for(self.role_arn, service_roles.GLUE).as_client_arguments()
            self.session = boto3.Session(region_name=self.region, **credentials)
        else:
            self.session = admin_session(self.region)
        self.s3 = self.client("s3")
        self.glue = self.client("glue")

    def client(self, service: str, region: str | None = None) -> Any:
        return self.session.client(service, endpoint_url=_settings.endpoint_url, region_name=region or self.region)


def _prepare(clients: _Clients, crawler: FakeCrawler, target: dict[str, Any]) -> _PreparedTarget:
    bucket, _, prefix = target["Path"].removeprefix("s3://").partition("/")
    table = _Table(clients.glue, crawler.database_name, bucket, prefix.rstrip("/") + "/")
    behaviour = (crawler.recrawl_policy or {}).get("RecrawlBehavior", "CRAWL_EVERYTHING")
    indexed = json.loads(crawler.configuration or "{}").get("CreatePartitionIndex", True)
    if behaviour == "CRAWL_EVERYTHING":
        return _prepare_everything(clients, table, indexed, "everything")
    if behaviour != "CRAWL_EVENT_MODE":
        raise NotImplementedError(f"RecrawlBehavior {behaviour} is not emulated by the embedded AWS")
    if "EventQueueArn" not in target:
        raise ValueError(f"CRAWL_EVENT_MODE needs the EventQueueArn of S3 target {target['Path']}")
    queue = _EventQueue.of(clients, target["EventQueueArn"])
    if not any(earlier.status == "SUCCEEDED" for earlier in crawler.crawls[:-1]):
        queue.purge()
        return _prepare_everything(clients, table, indexed, "listing")
    return _prepare_events(clients, table, indexed, queue)


@dataclass
class _Table:
    """The table a target maintains: named after the target's last folder, located at the target."""

    glue: Any
    database: str
    bucket: str
    prefix: str

    @property
    def name(self) -> str:
        return self.prefix.rstrip("/").rsplit("/", 1)[-1].lower()

    @property
    def location(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def existing(self) -> dict[str, Any] | None:
        try:
            table: dict[str, Any] = self.glue.get_table(DatabaseName=self.database, Name=self.name)["Table"]
        except self.glue.exceptions.EntityNotFoundException:
            return None
        return table


def _prepare_everything(clients: _Clients, table: _Table, indexed: bool, mode: str) -> _PreparedTarget:
    listing = _list(clients.s3, table.bucket, table.prefix)
    if not listing.files:
        return _PreparedTarget(mode, listing.objects, 0, lambda: _delete_table(table))
    schema = _merged_schema(clients.s3, table.bucket, listing.files, {})
    partition_names, partitions = _partitions(table.prefix, list(listing.files))

    def commit() -> None:
        created = _put_table(table, schema, partition_names)
        if created and indexed and partition_names:
            _create_index(table, partition_names)
        _sync_partitions(table, partitions)

    return _PreparedTarget(mode, listing.objects, len(partitions), commit)


def _prepare_events(clients: _Clients, table: _Table, indexed: bool, queue: _EventQueue) -> _PreparedTarget:
    messages = queue.receive(MAX_EVENTS_PER_CRAWL)
    folders = sorted({folder for message in messages for folder in _folders_named(message, table)})
    listings = {folder: _list(clients.s3, table.bucket, folder) for folder in folders}
    files = {key: etag for listing in listings.values() for key, etag in listing.files.items()}
    existing = table.existing()
    known = {c["Name"]: c["Type"] for c in existing["StorageDescriptor"]["Columns"]} if existing else {}
    schema = _merged_schema(clients.s3, table.bucket, files, known)
    partition_names, partitions = _partitions(table.prefix, list(files))
    if existing is not None:
        table_keys = [key["Name"] for key in existing.get("PartitionKeys", [])]
        if files and partition_names != table_keys:
            raise ValueError(f"partition folders {partition_names} differ from the table's keys {table_keys}")
        partition_names = table_keys
    emptied = [
        values
        for folder, listing in listings.items()
        if not listing.files and (values := _folder_values(table.prefix, folder))
    ]

    def commit() -> None:
        if files and (existing is None or schema != known):
            created = _put_table(table, schema, partition_names)
            if created and indexed and partition_names:
                _create_index(table, partition_names)
        if existing is not None or files:
            _update_partitions(table, partitions, emptied)
        queue.delete(messages)

    objects = sum(listing.objects for listing in listings.values())
    return _PreparedTarget("events", objects, len(folders), commit)


@dataclass
class _EventQueue:
    """The S3 event queue of an event-mode target, used as the crawler's role."""

    sqs: Any
    url: str

    @classmethod
    def of(cls, clients: _Clients, arn: str) -> _EventQueue:
        _, _, _, region, account, name = arn.split(":", 5)
        sqs = clients.client("sqs", region)
        return cls(sqs, sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"])

    def purge(self) -> None:
        # A purge within 60 s of another is refused; the one before has emptied the queue anyway.
        with contextlib.suppress(self.sqs.exceptions.PurgeQueueInProgress):
            self.sqs.purge_queue(QueueUrl=self.url)

    def receive(self, limit: int) -> list[dict[str, Any]]:
        """Up to `limit` messages, until the queue has nothing new (a message seen again, its visibility timeout
        over, keeps its latest receipt handle)."""
        messages: dict[str, dict[str, Any]] = {}
        while len(messages) < limit:
            batch = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
            received = batch.get("Messages", [])
            if all(message["MessageId"] in messages for message in received):
                break
            messages.update((message["MessageId"], message) for message in received)
        return list(messages.values())

    def delete(self, messages: list[dict[str, Any]]) -> None:
        for batch in _batches(messages, 10):
            entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)]
            self.sqs.delete_message_batch(QueueUrl=self.url, Entries=entries)


def _folders_named(message: dict[str, Any], table: _Table) -> list[str]:
    """The folders of the table's objects an S3 event message names (none for S3's s3:TestEvent)."""
    body = json.loads(message["Body"])
    folders = []
    for record in body.get("Records", []):
        if record.get("s3", {}).get("bucket", {}).get("name") != table.bucket:
            continue
        key = unquote_plus(record["s3"]["object"]["key"])  # S3 form-encodes keys in event notifications
        if key.startswith(table.prefix):
            folders.append(key.rsplit("/", 1)[0] + "/")
    return folders


@dataclass
class _Listing:
    objects: int  # every object listed: what the time model counts
    files: dict[str, str]  # the Parquet files among them: key -> ETag


def _list(s3: Any, bucket: str, prefix: str) -> _Listing:
    listing = _Listing(0, {})
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            listing.objects += 1
            name = item["Key"].rsplit("/", 1)[-1]
            if item["Key"].endswith(".parquet") and not name.startswith(("_", ".")):
                listing.files[item["Key"]] = item["ETag"]
    return listing


def _merged_schema(s3: Any, bucket: str, files: dict[str, str], known: dict[str, str]) -> dict[str, str]:
    """`known` columns plus those of every file; a column typed differently anywhere fails the crawl.

    A footer is read once per distinct content (ETag): identical files have identical schemas, in this crawl and
    in the next ones. (Each crawl read every file's footer again, through the S3 API: the later crawls of a burst
    of 60 uploads took 10-15 s, while executions polled them.) Not checked for a content read before: the role's
    s3:GetObject on another key holding it.
    """
    columns = dict(known)
    for key, etag in files.items():
        if etag not in _schemas_by_etag:
            body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
            _schemas_by_etag[etag] = [(f.name, glue_type_of(f.type)) for f in pq.read_schema(io.BytesIO(body))]
        for name, glue_type in _schemas_by_etag[etag]:
            if columns.setdefault(name, glue_type) != glue_type:
                raise ValueError(f"{key}: column {name} is {glue_type}, elsewhere {columns[name]}")
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


def _folder_values(prefix: str, folder: str) -> tuple[str, ...]:
    """The partition values a folder below the table prefix stands for (`dt=2025-01-01/` -> ("2025-01-01",))."""
    return tuple(part.split("=", 1)[1] for part in folder[len(prefix) :].strip("/").split("/") if "=" in part)


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


def _put_table(table: _Table, schema: dict[str, str], partition_names: list[str]) -> bool:
    """Create or update the table; True if it was created."""
    table_input = {
        "Name": table.name,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {"classification": "parquet", "compressionType": "none", "typeOfData": "file"},
        "StorageDescriptor": _storage(table.location, [{"Name": n, "Type": t} for n, t in schema.items()]),
        "PartitionKeys": [{"Name": n, "Type": "string"} for n in partition_names],
    }
    if table.existing() is None:
        table.glue.create_table(DatabaseName=table.database, TableInput=table_input)
        return True
    table.glue.update_table(DatabaseName=table.database, TableInput=table_input)
    return False


def _create_index(table: _Table, partition_names: list[str]) -> None:
    table.glue.create_partition_index(
        DatabaseName=table.database,
        TableName=table.name,
        PartitionIndex={"Keys": partition_names, "IndexName": f"{table.name}_partition_index"},
    )


def _columns(table: _Table) -> list[dict[str, str]]:
    columns: list[dict[str, str]] = table.glue.get_table(DatabaseName=table.database, Name=table.name)["Table"][
        "StorageDescriptor"
    ]["Columns"]
    return columns


def _sync_partitions(table: _Table, partitions: dict[tuple[str, ...], str]) -> None:
    """Make the table's partitions exactly `partitions` (a crawl of the whole target)."""
    existing: set[tuple[str, ...]] = set()
    for page in table.glue.get_paginator("get_partitions").paginate(DatabaseName=table.database, TableName=table.name):
        existing.update(tuple(partition["Values"]) for partition in page["Partitions"])
    _add_partitions(table, {values: folder for values, folder in partitions.items() if values not in existing})
    _delete_partitions(table, [values for values in existing if values not in partitions])


def _update_partitions(table: _Table, partitions: dict[tuple[str, ...], str], emptied: list[tuple[str, ...]]) -> None:
    """Add the missing ones of `partitions` and delete `emptied` (a crawl of some folders only)."""
    wanted = [{"Values": list(values)} for values in [*partitions, *emptied]]
    existing: set[tuple[str, ...]] = set()
    for batch in _batches(wanted, 1000):
        found = table.glue.batch_get_partition(DatabaseName=table.database, TableName=table.name, PartitionsToGet=batch)
        existing.update(tuple(partition["Values"]) for partition in found["Partitions"])
    _add_partitions(table, {values: folder for values, folder in partitions.items() if values not in existing})
    _delete_partitions(table, [values for values in emptied if values in existing])


def _add_partitions(table: _Table, partitions: dict[tuple[str, ...], str]) -> None:
    if not partitions:
        return
    columns = _columns(table)
    to_add = [
        {"Values": list(values), "StorageDescriptor": _storage(table.location + folder, columns)}
        for values, folder in partitions.items()
    ]
    for batch in _batches(to_add, 100):
        table.glue.batch_create_partition(DatabaseName=table.database, TableName=table.name, PartitionInputList=batch)


def _delete_partitions(table: _Table, partitions: list[tuple[str, ...]]) -> None:
    for batch in _batches([{"Values": list(values)} for values in partitions], 25):
        table.glue.batch_delete_partition(DatabaseName=table.database, TableName=table.name, PartitionsToDelete=batch)


def _delete_table(table: _Table) -> None:
    with contextlib.suppress(table.glue.exceptions.EntityNotFoundException):
        table.glue.delete_table(DatabaseName=table.database, Name=table.name)


def _batches(items: list[Any], size: int) -> list[list[Any]]:
    return [items[start : start + size] for start in range(0, len(items), size)]
