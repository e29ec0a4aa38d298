"""embedded_aws.s3_key_limit: keys longer than 1,024 bytes of UTF-8 are refused, as S3 refuses them."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

BUCKET = "key-limit-test"


def bucket(aws: Any) -> Any:
    s3 = aws.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    return s3


def test_a_key_of_exactly_1024_bytes_is_stored(aws: Any) -> None:
    s3 = bucket(aws)
    key = "k/" + "é" * 511  # 2 + 1,022 bytes
    s3.put_object(Bucket=BUCKET, Key=key, Body=b"x")
    assert s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == b"x"


@pytest.mark.parametrize("how", ["put", "copy", "multipart"])
def test_a_key_of_1025_bytes_is_refused_as_aws_refuses_it(aws: Any, how: str) -> None:
    s3 = bucket(aws)
    s3.put_object(Bucket=BUCKET, Key="short", Body=b"x")
    key = "k/" + "é" * 511 + "x"  # 1,025 bytes, 514 characters
    with pytest.raises(ClientError) as raised:
        if how == "put":
            s3.put_object(Bucket=BUCKET, Key=key, Body=b"x")
        elif how == "copy":
            s3.copy_object(Bucket=BUCKET, Key=key, CopySource={"Bucket": BUCKET, "Key": "short"})
        else:
            s3.create_multipart_upload(Bucket=BUCKET, Key=key)
    assert raised.value.response["Error"]["Code"] == "KeyTooLongError"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert [item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET)["Contents"]] == ["short"]
