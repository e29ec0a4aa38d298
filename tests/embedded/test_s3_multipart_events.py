"""embedded_aws.s3_multipart_events: a completed multipart upload sends one Object Created event, as S3 does."""

from __future__ import annotations

import json
from typing import Any

BUCKET = "multipart-events-test"
PART_BYTES = 5 * 1024 * 1024  # S3's smallest part but the last


def created_events(aws: Any) -> tuple[Any, str]:
    """A bucket sending its events to EventBridge, and a queue receiving its Object Created events."""
    s3, sqs, events = aws.client("s3"), aws.client("sqs"), aws.client("events")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_notification_configuration(Bucket=BUCKET, NotificationConfiguration={"EventBridgeConfiguration": {}})
    url = sqs.create_queue(QueueName="object-created")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pattern = {"source": ["aws.s3"], "detail-type": ["Object Created"], "detail": {"bucket": {"name": [BUCKET]}}}
    events.put_rule(Name="created", EventPattern=json.dumps(pattern), State="ENABLED")
    events.put_targets(Rule="created", Targets=[{"Id": "queue", "Arn": arn}])
    return sqs, url


def received(sqs: Any, url: str) -> list[dict[str, Any]]:
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(message["Body"])["detail"] for message in messages]


def test_a_multipart_upload_sends_one_event_whose_reason_is_complete_multipart_upload(aws: Any) -> None:
    # GIVEN Object Created events of the bucket delivered to a queue
    sqs, url = created_events(aws)
    s3 = aws.client("s3")

    # WHEN an object is uploaded in two parts, as the AWS CLI uploads a file from 8 MB
    upload = s3.create_multipart_upload(Bucket=BUCKET, Key="raw/big.json")["UploadId"]
    parts = [
        {
            "PartNumber": n,
            "ETag": s3.upload_part(Bucket=BUCKET, Key="raw/big.json", UploadId=upload, PartNumber=n, Body=body)["ETag"],
        }
        for n, body in ((1, b"[" + b" " * (PART_BYTES - 1)), (2, b"]"))
    ]
    s3.complete_multipart_upload(Bucket=BUCKET, Key="raw/big.json", UploadId=upload, MultipartUpload={"Parts": parts})

    # THEN exactly one event announces it, with S3's reason
    (detail,) = received(sqs, url)
    assert (detail["object"]["key"], detail["reason"]) == ("raw/big.json", "CompleteMultipartUpload")

    # AND a plain put still sends its own one
    s3.put_object(Bucket=BUCKET, Key="raw/small.json", Body=b"[]")
    (detail,) = received(sqs, url)
    assert (detail["object"]["key"], detail["reason"]) == ("raw/small.json", "PutObject")
