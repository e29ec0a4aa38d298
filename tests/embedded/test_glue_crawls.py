"""embedded_aws.glue_crawls: a crawler over Parquet files creates the table and keeps its partitions in step."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from embedded_aws import iam_enforcement
from embedded_aws.glue_crawls import glue_type_of

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


@pytest.fixture
def iam_enforced() -> Iterator[None]:
    was = iam_enforcement.is_enabled()
    iam_enforcement.set_enabled(True)
    yield
    iam_enforcement.set_enabled(was)


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
