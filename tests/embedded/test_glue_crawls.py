"""embedded_aws.glue_crawls: a crawler over Parquet files creates the table and keeps its partitions in step."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from moto.s3.models import s3_backends

from embedded_aws import glue_crawls
from embedded_aws.cfn_template import ACCOUNT_ID
from embedded_aws.glue_crawls import CrawlTimeModel, glue_type_of

BUCKET = "crawl-test"
TABLE_PREFIX = "some/prefix/orders/"
TARGET = f"s3://{BUCKET}/{TABLE_PREFIX}"
DATABASE = "crawl_db"
CRAWLER = "orders_crawler"
SCHEMA = pa.schema(
    [
        ("order_id", pa.string()),
        ("quantity", pa.int64()),
        ("price", pa.decimal128(18, 2)),
        ("ordered_at", pa.timestamp("us", tz="UTC")),
    ]
)
EXPECTED_COLUMNS = [
    {"Name": "order_id", "Type": "string"},
    {"Name": "quantity", "Type": "bigint"},
    {"Name": "price", "Type": "decimal(18,2)"},
    {"Name": "ordered_at", "Type": "timestamp"},
]


def parquet(table: pa.Table) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def orders(order_id: str) -> bytes:
    row = {
        "order_id": [order_id],
        "quantity": [2],
        "price": [Decimal("19.99")],
        "ordered_at": [datetime(2025, 1, 1, 12, tzinfo=UTC)],
    }
    return parquet(pa.table(row, schema=SCHEMA))


def crawl(aws: Any) -> dict[str, Any]:
    """Starts the crawler and returns get_crawler's Crawler once it is READY again."""
    glue = aws.client("glue")
    glue.start_crawler(Name=CRAWLER)

    def ready() -> dict[str, Any] | None:
        crawler: dict[str, Any] = glue.get_crawler(Name=CRAWLER)["Crawler"]
        return crawler if crawler["State"] == "READY" else None

    return aws.wait_for(ready, timeout=10)


def partitions(aws: Any) -> dict[str, str]:
    found = aws.client("glue").get_partitions(DatabaseName=DATABASE, TableName="orders")["Partitions"]
    return {p["Values"][0]: p["StorageDescriptor"]["Location"] for p in found}


@pytest.fixture
def crawler(aws: Any) -> None:
    """Two days of Parquet, files a crawler must skip, a database and a crawler on the table prefix."""
    s3 = aws.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key=f"{TABLE_PREFIX}dt=2025-01-01/part-0.parquet", Body=orders("a"))
    s3.put_object(Bucket=BUCKET, Key=f"{TABLE_PREFIX}dt=2025-01-01/part-1.parquet", Body=orders("b"))
    s3.put_object(Bucket=BUCKET, Key=f"{TABLE_PREFIX}dt=2025-01-02/part-0.parquet", Body=orders("c"))
    # Not Parquet, or marker/temporary files: reading any of them as Parquet would fail the crawl.
    s3.put_object(Bucket=BUCKET, Key=f"{TABLE_PREFIX}dt=2025-01-01/notes.txt", Body=b"not parquet")
    s3.put_object(Bucket=BUCKET, Key=f"{TABLE_PREFIX}_SUCCESS", Body=b"")
    s3.put_object(Bucket=BUCKET, Key=f"{TABLE_PREFIX}dt=2025-01-02/_SUCCESS", Body=b"")
    s3.put_object(Bucket=BUCKET, Key=f"{TABLE_PREFIX}dt=2025-01-02/_temporary.parquet", Body=b"half written")
    glue = aws.client("glue")
    glue.create_database(DatabaseInput={"Name": DATABASE})
    glue.create_crawler(
        Name=CRAWLER,
        Role=aws.role("glue.amazonaws.com"),
        DatabaseName=DATABASE,
        Targets={"S3Targets": [{"Path": TARGET}]},
        SchemaChangePolicy={"UpdateBehavior": "UPDATE_IN_DATABASE", "DeleteBehavior": "DELETE_FROM_DATABASE"},
    )


def test_crawl_runs_once_at_a_time_and_ends_ready_and_succeeded(aws: Any, crawler: None) -> None:
    glue = aws.client("glue")
    # GIVEN a crawler that has never run
    assert glue.get_crawler(Name=CRAWLER)["Crawler"]["State"] == "READY"

    # WHEN it is started
    glue.start_crawler(Name=CRAWLER)

    # THEN it is RUNNING and a second start is refused while it runs
    assert glue.get_crawler(Name=CRAWLER)["Crawler"]["State"] == "RUNNING"
    with pytest.raises(glue.exceptions.CrawlerRunningException):
        glue.start_crawler(Name=CRAWLER)
    # AND it ends READY with a successful last crawl
    finished = aws.wait_for(lambda: (c := glue.get_crawler(Name=CRAWLER)["Crawler"])["State"] == "READY" and c)
    assert finished["LastCrawl"]["Status"] == "SUCCEEDED"
    assert "ErrorMessage" not in finished["LastCrawl"]


def test_crawl_creates_the_table_and_its_partitions(aws: Any, crawler: None) -> None:
    # GIVEN Parquet under dt=2025-01-01/ and dt=2025-01-02/
    # WHEN the crawler runs
    assert crawl(aws)["LastCrawl"]["Status"] == "SUCCEEDED"

    # THEN the table is named after the target's last folder, with the Parquet columns in Glue types
    table = aws.client("glue").get_table(DatabaseName=DATABASE, Name="orders")["Table"]
    assert table["StorageDescriptor"]["Columns"] == EXPECTED_COLUMNS
    assert table["PartitionKeys"] == [{"Name": "dt", "Type": "string"}]
    assert table["StorageDescriptor"]["Location"] == TARGET
    assert table["Parameters"]["classification"] == "parquet"
    assert "ParquetHiveSerDe" in table["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"]
    # AND exactly one partition per dt folder, at that folder
    assert partitions(aws) == {
        "2025-01-01": f"{TARGET}dt=2025-01-01/",
        "2025-01-02": f"{TARGET}dt=2025-01-02/",
    }


def test_recrawl_deletes_partitions_without_data(aws: Any, crawler: None) -> None:
    # GIVEN a crawled table with two partitions
    crawl(aws)
    assert set(partitions(aws)) == {"2025-01-01", "2025-01-02"}

    # WHEN the only Parquet of dt=2025-01-02 is deleted and the crawler runs again
    aws.client("s3").delete_object(Bucket=BUCKET, Key=f"{TABLE_PREFIX}dt=2025-01-02/part-0.parquet")
    assert crawl(aws)["LastCrawl"]["Status"] == "SUCCEEDED"

    # THEN that partition is gone and the other one kept
    assert partitions(aws) == {"2025-01-01": f"{TARGET}dt=2025-01-01/"}


def test_recrawl_adds_new_partitions(aws: Any, crawler: None) -> None:
    # GIVEN a crawled table
    crawl(aws)

    # WHEN a new day arrives and the crawler runs again
    aws.client("s3").put_object(Bucket=BUCKET, Key=f"{TABLE_PREFIX}dt=2025-01-03/part-0.parquet", Body=orders("d"))
    assert crawl(aws)["LastCrawl"]["Status"] == "SUCCEEDED"

    # THEN its partition is added
    assert set(partitions(aws)) == {"2025-01-01", "2025-01-02", "2025-01-03"}


def test_conflicting_column_types_fail_the_crawl_and_leave_the_table(aws: Any, crawler: None) -> None:
    # GIVEN a crawled table, then a file whose price column is a string instead of decimal(18,2)
    crawl(aws)
    other = pa.table({"order_id": ["e"], "price": ["19.99"]})
    aws.client("s3").put_object(Bucket=BUCKET, Key=f"{TABLE_PREFIX}dt=2025-01-03/part-0.parquet", Body=parquet(other))

    # WHEN the crawler runs
    finished = crawl(aws)

    # THEN the crawl FAILED with a message naming the column, and the crawler is usable again (READY)
    assert finished["State"] == "READY"
    assert finished["LastCrawl"]["Status"] == "FAILED"
    assert "price" in finished["LastCrawl"]["ErrorMessage"]
    # AND the catalog is unchanged
    table = aws.client("glue").get_table(DatabaseName=DATABASE, Name="orders")["Table"]
    assert table["StorageDescriptor"]["Columns"] == EXPECTED_COLUMNS
    assert set(partitions(aws)) == {"2025-01-01", "2025-01-02"}


def test_crawl_of_an_emptied_prefix_deletes_the_table(aws: Any, crawler: None) -> None:
    # GIVEN a crawled table
    crawl(aws)
    glue = aws.client("glue")
    assert [t["Name"] for t in glue.get_tables(DatabaseName=DATABASE)["TableList"]] == ["orders"]

    # WHEN every Parquet file is deleted and the crawler runs again
    s3 = aws.client("s3")
    for key in s3.list_objects_v2(Bucket=BUCKET, Prefix=TABLE_PREFIX)["Contents"]:
        if key["Key"].endswith(".parquet"):
            s3.delete_object(Bucket=BUCKET, Key=key["Key"])
    assert crawl(aws)["LastCrawl"]["Status"] == "SUCCEEDED"

    # THEN the table is gone
    assert glue.get_tables(DatabaseName=DATABASE)["TableList"] == []


def test_file_outside_the_partition_folders_fails_the_crawl(aws: Any, crawler: None) -> None:
    # GIVEN Parquet at the table root, which lists after the dt=... folders, beside the partitioned files
    aws.client("s3").put_object(Bucket=BUCKET, Key=f"{TABLE_PREFIX}z-stray.parquet", Body=orders("z"))

    # WHEN the crawler runs
    finished = crawl(aws)

    # THEN the crawl FAILED: the folders do not give every file the same partition keys
    assert finished["LastCrawl"]["Status"] == "FAILED"
    assert "partition folders" in finished["LastCrawl"]["ErrorMessage"]


def test_file_outside_the_partition_folders_fails_the_crawl_whatever_its_name(aws: Any, crawler: None) -> None:
    # GIVEN Parquet at the table root, which lists before the dt=... folders
    aws.client("s3").put_object(Bucket=BUCKET, Key=f"{TABLE_PREFIX}a-stray.parquet", Body=orders("z"))

    # WHEN the crawler runs
    finished = crawl(aws)

    # THEN the crawl FAILED as it does when the stray file lists last
    assert finished["LastCrawl"]["Status"] == "FAILED"


def test_stopped_crawl_is_cancelled(aws: Any, crawler: None) -> None:
    glue = aws.client("glue")
    # GIVEN a running crawl
    glue.start_crawler(Name=CRAWLER)

    # WHEN it is stopped
    glue.stop_crawler(Name=CRAWLER)
    finished = aws.wait_for(lambda: (c := glue.get_crawler(Name=CRAWLER)["Crawler"])["State"] == "READY" and c)

    # THEN the last crawl is CANCELLED, as Glue reports it
    assert finished["LastCrawl"]["Status"] == "CANCELLED"


@pytest.mark.parametrize(
    ("arrow_type", "glue_type"),
    [
        (pa.string(), "string"),
        (pa.large_string(), "string"),
        (pa.int64(), "bigint"),
        (pa.int32(), "int"),
        (pa.int16(), "smallint"),
        (pa.int8(), "tinyint"),
        (pa.bool_(), "boolean"),
        (pa.float64(), "double"),
        (pa.float32(), "float"),
        (pa.date32(), "date"),
        (pa.binary(), "binary"),
        (pa.decimal128(18, 2), "decimal(18,2)"),
        (pa.decimal128(38, 10), "decimal(38,10)"),
        (pa.timestamp("us", tz="UTC"), "timestamp"),
        (pa.timestamp("ms"), "timestamp"),
        (pa.timestamp("ns", tz="Europe/Paris"), "timestamp"),
    ],
    ids=str,
)
def test_glue_type_of_maps_parquet_types(arrow_type: pa.DataType, glue_type: str) -> None:
    # GIVEN a Parquet column type / WHEN mapped / THEN it gets the Glue type a crawler records
    assert glue_type_of(arrow_type) == glue_type


@pytest.mark.parametrize("arrow_type", [pa.list_(pa.int64()), pa.struct([("a", pa.int64())]), pa.uint64()], ids=str)
def test_glue_type_of_rejects_unsupported_types(arrow_type: pa.DataType) -> None:
    # GIVEN a type the emulator has no Glue name for / WHEN mapped / THEN it is an error, not a guess
    with pytest.raises(ValueError, match="no Glue type"):
        glue_type_of(arrow_type)


def test_a_created_table_gets_a_partition_index_as_glue_crawlers_make_by_default(aws: Any, crawler: None) -> None:
    # GIVEN a crawler without CreatePartitionIndex in its Configuration (Glue's default is true)
    # WHEN it creates the table
    crawl(aws)
    # THEN the table has an index on its partition keys
    indexes = aws.client("glue").get_partition_indexes(DatabaseName=DATABASE, TableName="orders")
    (index,) = indexes["PartitionIndexDescriptorList"]
    assert [key["Name"] for key in index["Keys"]] == ["dt"]
    assert index["IndexStatus"] == "ACTIVE"


def test_the_crawl_acts_as_the_crawlers_role_and_fails_on_what_it_may_not_do(aws: Any, iam_enforced: None) -> None:
    # GIVEN a crawler whose role may read the Parquet and write the catalog, but not create a partition index
    s3 = aws.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key=f"{TABLE_PREFIX}dt=2025-01-01/part-0.parquet", Body=orders("a"))
    catalog = "arn:aws:glue:us-east-1:123456789012"
    actions = ["glue:GetDatabase", "glue:GetTable", "glue:CreateTable", "glue:UpdateTable", "glue:GetPartitions"]
    statements = [
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{BUCKET}"},
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET}/{TABLE_PREFIX}*"},
        {
            "Effect": "Allow",
            "Action": actions,
            "Resource": [f"{catalog}:catalog", f"{catalog}:database/*", f"{catalog}:table/*"],
        },
    ]
    role = aws.role("glue.amazonaws.com", policy={"Version": "2012-10-17", "Statement": statements})
    glue = aws.client("glue")
    glue.create_database(DatabaseInput={"Name": DATABASE})
    glue.create_crawler(Name=CRAWLER, Role=role, DatabaseName=DATABASE, Targets={"S3Targets": [{"Path": TARGET}]})

    # WHEN it runs
    finished = crawl(aws)

    # THEN the crawl fails, saying which permission its role lacks
    assert finished["LastCrawl"]["Status"] == "FAILED"
    assert "glue:CreatePartitionIndex on resource" in finished["LastCrawl"]["ErrorMessage"]


# ---------- how long a crawl takes, and event mode ----------
QUEUE = "crawl-events"
QUEUE_ARN = f"arn:aws:sqs:us-east-1:{ACCOUNT_ID}:{QUEUE}"
TIME_SCALE = 0.01  # the tests' embedded clock (tests/conftest.py)


@pytest.fixture
def crawl_time() -> Iterator[CrawlTimeModel]:
    """Crawls cost 10 AWS seconds plus 0.05 s per object listed (10 x the model's per-object cost, so that 2,000
    objects stand for 20,000 and make a difference of 100 AWS seconds: 1 s at the tests' time scale)."""
    model = CrawlTimeModel(base_seconds=10, seconds_per_object=0.05)
    previous = glue_crawls.time_model()
    glue_crawls.set_time_model(model)
    yield model
    glue_crawls.set_time_model(previous)


def put_many(count: int, body: bytes) -> None:
    """`count` Parquet objects over 20 dt= folders, written straight into moto's S3 backend: milliseconds instead
    of 12 s through the API. Without event notifications: moto's SQS recounts a queue on every message it takes,
    so 2,000 events would take half a minute; a listing crawl covers these objects anyway."""
    backend = s3_backends[ACCOUNT_ID]["aws"]
    for n in range(count):
        key = f"{TABLE_PREFIX}dt=2024-12-{n % 20 + 1:02d}/part-{n}.parquet"
        backend.put_object(BUCKET, key, body, disable_notification=True)


def timed_crawl(aws: Any) -> tuple[dict[str, Any], float, glue_crawls.CrawlRecord]:
    """Runs a crawl; returns the crawler once READY, the crawl's real seconds and what it recorded."""
    started = time.monotonic()
    finished = crawl(aws)
    return finished, time.monotonic() - started, glue_crawls.records_of(CRAWLER)[-1]


@pytest.fixture
def event_crawler(aws: Any) -> str:
    """A crawler in CRAWL_EVENT_MODE on the table prefix, and the bucket sending that prefix's object events to
    its queue; returns the queue's URL."""
    s3, sqs, glue = aws.client("s3"), aws.client("sqs"), aws.client("glue")
    s3.create_bucket(Bucket=BUCKET)
    url: str = sqs.create_queue(QueueName=QUEUE)["QueueUrl"]
    prefix_filter = {"Key": {"FilterRules": [{"Name": "prefix", "Value": TABLE_PREFIX}]}}
    events = ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]
    configurations = [{"QueueArn": QUEUE_ARN, "Events": [e], "Filter": prefix_filter} for e in events]
    s3.put_bucket_notification_configuration(
        Bucket=BUCKET, NotificationConfiguration={"QueueConfigurations": configurations}
    )
    glue.create_database(DatabaseInput={"Name": DATABASE})
    glue.create_crawler(
        Name=CRAWLER,
        Role=aws.role("glue.amazonaws.com"),
        DatabaseName=DATABASE,
        Targets={"S3Targets": [{"Path": TARGET, "EventQueueArn": QUEUE_ARN}]},
        SchemaChangePolicy={"UpdateBehavior": "UPDATE_IN_DATABASE", "DeleteBehavior": "DELETE_FROM_DATABASE"},
        RecrawlPolicy={"RecrawlBehavior": "CRAWL_EVENT_MODE"},
    )
    return url


def test_a_crawl_of_everything_takes_longer_the_more_objects_the_table_holds(
    aws: Any, crawler: None, crawl_time: CrawlTimeModel
) -> None:
    # GIVEN a crawler of everything over a table of 3 Parquet objects (and 4 other objects)
    _, small_seconds, small = timed_crawl(aws)

    # WHEN 2,000 more Parquet objects arrive and it crawls again
    put_many(2000, orders("x"))
    finished, large_seconds, large = timed_crawl(aws)

    # THEN each crawl lists the whole table and costs 10 s plus 0.05 s per object, in AWS seconds
    assert finished["LastCrawl"]["Status"] == "SUCCEEDED"
    assert (small.mode, small.objects, small.seconds) == ("everything", 7, 10.35)
    assert (large.mode, large.objects) == ("everything", 2007)
    assert large.seconds == pytest.approx(10 + 0.05 * 2007)
    # AND lasts at least that long at the embedded clock's scale (an upper bound would time the machine, not the
    # model: under load it fails)
    assert small_seconds >= small.seconds * TIME_SCALE
    assert large_seconds >= large.seconds * TIME_SCALE
    assert set(partitions(aws)) == {"2025-01-01", "2025-01-02"} | {f"2024-12-{d:02d}" for d in range(1, 21)}


def test_an_event_mode_crawl_lists_only_the_folders_its_events_name(
    aws: Any, event_crawler: str, crawl_time: CrawlTimeModel
) -> None:
    # GIVEN an event-mode crawler over a table of 2,002 objects: its first crawl lists them all and purges the
    # queue of the events they sent (the listing saw their objects)
    put_many(2000, orders("x"))
    for day in ("01", "02"):
        aws.client("s3").put_object(Bucket=BUCKET, Key=f"{TABLE_PREFIX}dt=2024-12-{day}/more.parquet", Body=orders(day))
    finished, _, first = timed_crawl(aws)
    assert finished["LastCrawl"]["Status"] == "SUCCEEDED"
    assert (first.mode, first.objects) == ("listing", 2002)
    assert aws.client("sqs").receive_message(QueueUrl=event_crawler).get("Messages", []) == []

    # WHEN one file arrives in a new folder and the crawler runs again
    aws.client("s3").put_object(Bucket=BUCKET, Key=f"{TABLE_PREFIX}dt=2025-02-01/part-0.parquet", Body=orders("n"))
    finished, real_seconds, second = timed_crawl(aws)

    # THEN the crawl lists that folder only and takes about the base time, not the table's
    assert finished["LastCrawl"]["Status"] == "SUCCEEDED"
    assert (second.mode, second.objects, second.folders) == ("events", 1, 1)
    assert second.seconds == pytest.approx(10.05) and second.seconds < first.seconds / 10
    assert real_seconds >= second.seconds * TIME_SCALE
    # AND the new partition is in the table beside the others, and the event is consumed
    assert set(partitions(aws)) == {"2025-02-01"} | {f"2024-12-{d:02d}" for d in range(1, 21)}
    assert aws.client("sqs").receive_message(QueueUrl=event_crawler).get("Messages", []) == []
    # AND a crawl without new events lists nothing
    _, _, idle = timed_crawl(aws)
    assert (idle.mode, idle.objects, idle.seconds) == ("events", 0, 10)


def test_an_event_mode_crawl_deletes_the_partition_of_an_emptied_folder_and_adds_new_columns(
    aws: Any, event_crawler: str
) -> None:
    s3 = aws.client("s3")
    # GIVEN an event-mode crawler that has crawled two partitions
    s3.put_object(Bucket=BUCKET, Key=f"{TABLE_PREFIX}dt=2025-01-01/part-0.parquet", Body=orders("a"))
    s3.put_object(Bucket=BUCKET, Key=f"{TABLE_PREFIX}dt=2025-01-02/part-0.parquet", Body=orders("b"))
    crawl(aws)

    # WHEN the only file of one is deleted and a file with one more column arrives in the other, then it crawls
    s3.delete_object(Bucket=BUCKET, Key=f"{TABLE_PREFIX}dt=2025-01-02/part-0.parquet")
    wider = pa.table({"order_id": ["c"], "quantity": [1], "coupon": ["SPRING"]})
    s3.put_object(Bucket=BUCKET, Key=f"{TABLE_PREFIX}dt=2025-01-01/part-1.parquet", Body=parquet(wider))
    finished = crawl(aws)

    # THEN the emptied partition is gone and the table has the new column after the known ones
    assert finished["LastCrawl"]["Status"] == "SUCCEEDED"
    assert partitions(aws) == {"2025-01-01": f"{TARGET}dt=2025-01-01/"}
    table = aws.client("glue").get_table(DatabaseName=DATABASE, Name="orders")["Table"]
    assert table["StorageDescriptor"]["Columns"] == [*EXPECTED_COLUMNS, {"Name": "coupon", "Type": "string"}]


def test_a_failed_event_mode_crawl_leaves_its_events_for_the_next(aws: Any, event_crawler: str) -> None:
    s3 = aws.client("s3")
    # GIVEN an event-mode crawler that has crawled, then a file whose price is a string
    s3.put_object(Bucket=BUCKET, Key=f"{TABLE_PREFIX}dt=2025-01-01/part-0.parquet", Body=orders("a"))
    crawl(aws)
    bad = pa.table({"order_id": ["e"], "price": ["19.99"]})
    s3.put_object(Bucket=BUCKET, Key=f"{TABLE_PREFIX}dt=2025-01-03/part-0.parquet", Body=parquet(bad))

    # WHEN a crawl fails on it
    assert crawl(aws)["LastCrawl"]["Status"] == "FAILED"

    # THEN its event is still in the queue (received, not deleted: visible again after the visibility timeout)
    attributes = aws.client("sqs").get_queue_attributes(QueueUrl=event_crawler, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "1"
    # AND once the file is replaced by a good one, the next crawl adds its partition
    s3.put_object(Bucket=BUCKET, Key=f"{TABLE_PREFIX}dt=2025-01-03/part-0.parquet", Body=orders("e"))
    assert crawl(aws)["LastCrawl"]["Status"] == "SUCCEEDED"
    assert set(partitions(aws)) == {"2025-01-01", "2025-01-03"}


def test_an_event_mode_crawl_reads_its_queue_as_the_crawlers_role(
    aws: Any, event_crawler: str, iam_enforced: None
) -> None:
    # GIVEN an event-mode crawler whose role may do everything but receive messages (sqs:ReceiveMessage)
    glue = aws.client("glue")
    statements = [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": "sqs:ReceiveMessage", "Resource": QUEUE_ARN},
    ]
    role = aws.role("glue.amazonaws.com", policy={"Version": "2012-10-17", "Statement": statements})
    glue.delete_crawler(Name=CRAWLER)
    glue.create_crawler(
        Name=CRAWLER,
        Role=role,
        DatabaseName=DATABASE,
        Targets={"S3Targets": [{"Path": TARGET, "EventQueueArn": QUEUE_ARN}]},
        RecrawlPolicy={"RecrawlBehavior": "CRAWL_EVENT_MODE"},
    )
    aws.client("s3").put_object(Bucket=BUCKET, Key=f"{TABLE_PREFIX}dt=2025-01-01/part-0.parquet", Body=orders("a"))

    # WHEN it crawls twice: a listing crawl (which purges the queue), then one that reads the events
    first = crawl(aws)
    second = crawl(aws)

    # THEN the first succeeds and the second fails, saying which permission the role lacks
    assert first["LastCrawl"]["Status"] == "SUCCEEDED"
    assert second["LastCrawl"]["Status"] == "FAILED"
    assert f"sqs:ReceiveMessage on resource: {QUEUE_ARN}" in second["LastCrawl"]["ErrorMessage"]


def test_crawl_new_folders_only_is_not_emulated_and_says_so(aws: Any, crawler: None) -> None:
    # GIVEN a crawler of new folders only (which Glue forces to log schema changes instead of applying them)
    glue = aws.client("glue")
    glue.delete_crawler(Name=CRAWLER)
    glue.create_crawler(
        Name=CRAWLER,
        Role=aws.role("glue.amazonaws.com"),
        DatabaseName=DATABASE,
        Targets={"S3Targets": [{"Path": TARGET}]},
        RecrawlPolicy={"RecrawlBehavior": "CRAWL_NEW_FOLDERS_ONLY"},
    )
    # WHEN it runs THEN the crawl fails rather than pretend
    finished = crawl(aws)
    assert finished["LastCrawl"]["Status"] == "FAILED"
    assert "CRAWL_NEW_FOLDERS_ONLY is not emulated" in finished["LastCrawl"]["ErrorMessage"]


def test_an_s3_event_for_a_key_with_spaces_names_its_folder(aws: Any, event_crawler: str) -> None:
    # GIVEN an event-mode crawler that has crawled once
    s3 = aws.client("s3")
    s3.put_object(Bucket=BUCKET, Key=f"{TABLE_PREFIX}dt=2025-01-01/part-0.parquet", Body=orders("a"))
    crawl(aws)
    # WHEN a file whose folder has a space and a plus arrives (S3 form-encodes keys in event notifications)
    s3.put_object(Bucket=BUCKET, Key=f"{TABLE_PREFIX}dt=2025 01+02/part-0.parquet", Body=orders("b"))
    crawl(aws)
    # THEN its partition value is the folder's, decoded
    assert set(partitions(aws)) == {"2025-01-01", "2025 01+02"}
