"""embedded_aws.s3_copy_limit: CopyObject refuses a source over 5 GiB as S3 does; UploadPartCopy copies beyond it."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from embedded_aws import s3_copy_limit

BUCKET = "copy-limit-bucket"
MiB = 1024**2


@pytest.fixture
def s3(aws: Any) -> Any:
    client = aws.client("s3")
    client.create_bucket(Bucket=BUCKET)
    client.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    return client


def test_the_limit_is_s3s_5_gib() -> None:
    # AWS: "The specified copy source is larger than the maximum allowable size for a copy source: 5368709120"
    assert s3_copy_limit.MAX_COPY_SOURCE_BYTES == 5 * 1024**3 == 5368709120


def test_copy_object_refuses_a_source_over_the_limit_with_s3s_error(s3: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN the limit lowered to 1 MiB, and a source one byte over it
    monkeypatch.setattr(s3_copy_limit, "MAX_COPY_SOURCE_BYTES", MiB)
    s3.put_object(Bucket=BUCKET, Key="big", Body=b"x" * (MiB + 1))

    # WHEN it is copied with CopyObject
    with pytest.raises(ClientError) as refused:
        s3.copy_object(Bucket=BUCKET, Key="copy", CopySource={"Bucket": BUCKET, "Key": "big"})

    # THEN S3's error comes back: 400 InvalidRequest, naming the limit; nothing was written
    error = refused.value.response
    assert (error["ResponseMetadata"]["HTTPStatusCode"], error["Error"]["Code"]) == (400, "InvalidRequest")
    assert error["Error"]["Message"] == (
        f"The specified copy source is larger than the maximum allowable size for a copy source: {MiB}"
    )
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET, Prefix="copy")


def test_a_source_of_exactly_the_limit_is_copied(s3: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(s3_copy_limit, "MAX_COPY_SOURCE_BYTES", MiB)
    s3.put_object(Bucket=BUCKET, Key="big", Body=b"x" * MiB)
    s3.copy_object(Bucket=BUCKET, Key="copy", CopySource={"Bucket": BUCKET, "Key": "big"})
    assert s3.head_object(Bucket=BUCKET, Key="copy")["ContentLength"] == MiB


def test_upload_part_copy_copies_the_range_of_the_version_named(s3: Any) -> None:
    # GIVEN two versions of a key, the older one the source
    old = bytes(range(256)) * (24 * 1024)  # 6 MiB, every offset distinguishable
    old_version = s3.put_object(Bucket=BUCKET, Key="source", Body=old)["VersionId"]
    s3.put_object(Bucket=BUCKET, Key="source", Body=b"newer")
    source = {"Bucket": BUCKET, "Key": "source", "VersionId": old_version}

    # WHEN it is copied in two parts, each a byte range of that version
    upload = s3.create_multipart_upload(Bucket=BUCKET, Key="copy")["UploadId"]
    ranges = [(0, 5 * MiB - 1), (5 * MiB, len(old) - 1)]
    parts = [
        {
            "PartNumber": number,
            "ETag": s3.upload_part_copy(
                Bucket=BUCKET,
                Key="copy",
                UploadId=upload,
                PartNumber=number,
                CopySource=source,
                CopySourceRange=f"bytes={first}-{last}",
            )["CopyPartResult"]["ETag"],
        }
        for number, (first, last) in enumerate(ranges, start=1)
    ]
    s3.complete_multipart_upload(Bucket=BUCKET, Key="copy", UploadId=upload, MultipartUpload={"Parts": parts})

    # THEN the copy is that version's bytes, in order
    assert s3.get_object(Bucket=BUCKET, Key="copy")["Body"].read() == old
