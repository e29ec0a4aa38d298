"""embedded_aws.s3_item_reader: an S3 ItemReader reads every object under the prefix, as AWS's items."""

from __future__ import annotations

import json
from typing import Any

import pytest

BUCKET = "item-reader-bucket"


def listing_map(batch: int) -> Any:
    """A Distributed Map over the objects under $.prefix, in batches, whose children just pass."""
    return {
        "StartAt": "Each batch",
        "States": {
            "Each batch": {
                "Type": "Map",
                "ItemReader": {
                    "Resource": "arn:aws:states:::s3:listObjectsV2",
                    "Parameters": {"Bucket": BUCKET, "Prefix.$": "$.prefix"},
                },
                "ItemBatcher": {"MaxItemsPerBatch": batch},
                "MaxConcurrency": 5,
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "Look",
                    "States": {"Look": {"Type": "Pass", "End": True}},
                },
                "ResultPath": "$.map",
                "End": True,
            }
        },
    }


def item_count(aws: Any, execution_arn: str) -> int:
    sfn = aws.client("stepfunctions")
    [run] = sfn.list_map_runs(executionArn=execution_arn)["mapRuns"]
    return int(sfn.describe_map_run(mapRunArn=run["mapRunArn"])["itemCounts"]["total"])


@pytest.mark.slow  # 5-8 s: in `make test-slow` and .ci/run, to keep `make test` near 4 minutes
def test_every_object_under_the_prefix_is_read_past_one_listing_page(aws: Any) -> None:
    # GIVEN 1,003 objects under the prefix (one ListObjectsV2 page holds 1,000) and one elsewhere
    s3 = aws.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    for number in range(1003):
        s3.put_object(Bucket=BUCKET, Key=f"raw/{number:05}.json", Body=b"[]")
    s3.put_object(Bucket=BUCKET, Key="elsewhere/x.json", Body=b"[]")
    machine = aws.state_machine("all-pages", listing_map(batch=500))
    # WHEN the map reads them THEN it gets all 1,003
    execution = aws.run_to_end(machine, {"prefix": "raw/"}, timeout=60)
    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    assert item_count(aws, execution["executionArn"]) == 1003


def test_an_empty_prefix_runs_an_empty_map(aws: Any) -> None:
    aws.client("s3").create_bucket(Bucket=BUCKET)
    machine = aws.state_machine("empty", listing_map(batch=10))
    execution = aws.run_to_end(machine, {"prefix": "nothing/"}, timeout=20)
    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    assert item_count(aws, execution["executionArn"]) == 0


def test_items_are_plain_json_as_aws_gives_them(aws: Any) -> None:
    # GIVEN a map without ItemSelector: each child gets the listed objects themselves
    s3 = aws.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="raw/a.json", Body=b"[1]")
    machine = aws.state_machine("plain-items", listing_map(batch=10))
    # WHEN it runs THEN each item is what AWS documents (moto's held a datetime, which failed the Map)
    execution = aws.run_to_end(machine, {"prefix": "raw/"}, timeout=20)
    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    [batch] = json.loads(execution["output"])["map"]
    [item] = batch["Items"]
    assert set(item) == {"Etag", "Key", "LastModified", "Size", "StorageClass"}
    assert (item["Key"], item["Size"], item["StorageClass"]) == ("raw/a.json", 3, "STANDARD")
    assert isinstance(item["LastModified"], int) and item["Etag"].startswith('"')
