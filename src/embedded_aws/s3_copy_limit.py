"""S3's limit on CopyObject: a source of at most 5 GiB (moto copies a source of any size).

AWS: "You create a copy of your object up to 5 GB in size in a single atomic action using this API. However, to
copy an object greater than 5 GB, you must use the multipart upload Upload Part - Copy (UploadPartCopy) API."
A larger source is refused with a 400 `InvalidRequest`, "The specified copy source is larger than the maximum
allowable size for a copy source: 5368709120". Enforcing it here makes code that moves files with CopyObject fail
locally as it would on AWS. Tests lower `MAX_COPY_SOURCE_BYTES` so that a few MiB stand for more than 5 GiB.
(moto's UploadPartCopy already copies the `CopySourceRange` of the `versionId` the copy source names.)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from moto.s3.exceptions import S3ClientError
from moto.s3.models import FakeKey, S3Backend

MAX_COPY_SOURCE_BYTES = 5 * 1024**3  # 5,368,709,120: AWS's "5 GB" is 5 GiB
_original_copy_object = S3Backend.copy_object


class CopySourceTooLarge(S3ClientError):  # type: ignore[misc]  # moto is untyped here
    code = "InvalidRequest"

    def __init__(self, limit: int) -> None:
        super().__init__(
            "InvalidRequest",
            f"The specified copy source is larger than the maximum allowable size for a copy source: {limit}",
        )


@contextmanager
def installed() -> Iterator[None]:
    with mock.patch.multiple(S3Backend, copy_object=_copy_object):
        yield


def _copy_object(self: S3Backend, src_key: FakeKey, *args: Any, **kwargs: Any) -> Any:
    if src_key.size > MAX_COPY_SOURCE_BYTES:
        raise CopySourceTooLarge(MAX_COPY_SOURCE_BYTES)
    return _original_copy_object(self, src_key, *args, **kwargs)
