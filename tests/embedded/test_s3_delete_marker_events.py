"""embedded_aws.s3_delete_marker_events: a delete that adds a delete marker sends its S3 event, as S3 does."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote_plus

from embedded_aws.cfn_template import ACCOUNT_ID

BUCKET = "versioned-events"


def test_a_delete_in_a_versioned_bucket_sends_delete_marker_created(aws: Any) -> None:
    # GIVEN a versioned bucket sending its removal events to a queue, and an object in it
    s3, sqs = aws.client("s3"), aws.client("sqs")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    url = sqs.create_queue(QueueName="removals")["QueueUrl"]
    configuration = {"QueueArn": f"arn:aws:sqs:us-east-1:{ACCOUNT_ID}:removals", "Events": ["s3:ObjectRemoved:*"]}
    s3.put_bucket_notification_configuration(
        Bucket=BUCKET, NotificationConfiguration={"QueueConfigurations": [configuration]}
    )
    sqs.purge_queue(QueueUrl=url)  # S3's s3:TestEvent
    s3.put_object(Bucket=BUCKET, Key="folder/a file.parquet", Body=b"x")

    # WHEN it is deleted without a version id (S3 adds a delete marker; the version stays)
    s3.delete_object(Bucket=BUCKET, Key="folder/a file.parquet")

    # THEN the queue gets ObjectRemoved:DeleteMarkerCreated for the key, form-encoded as S3 sends keys (moto
    # encodes the slashes too, S3 does not: decoded, both give the key)
    (message,) = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    (record,) = json.loads(message["Body"])["Records"]
    assert record["eventName"] == "ObjectRemoved:DeleteMarkerCreated"
    assert unquote_plus(record["s3"]["object"]["key"]) == "folder/a file.parquet"
    assert len(s3.list_object_versions(Bucket=BUCKET)["Versions"]) == 1
