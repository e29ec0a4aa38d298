"""S3's limit on key length: 1,024 bytes of UTF-8 (moto stores keys of any length).

AWS refuses a longer key with a 400 `KeyTooLongError`. Enforcing it here makes code that derives new keys from
user-chosen ones (quarantine/ and its `.error.json` beside a raw key) fail locally exactly as it would on AWS.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from moto.s3.exceptions import S3ClientError
from moto.s3.models import S3Backend

MAX_KEY_BYTES = 1024
_original_put_object = S3Backend.put_object
_original_create_multipart_upload = S3Backend.create_multipart_upload


class KeyTooLongError(S3ClientError):  # type: ignore[misc]  # moto is untyped here
    code = "KeyTooLongError"

    def __init__(self) -> None:
        super().__init__("KeyTooLongError", "Your key is too long")


@contextmanager
def installed() -> Iterator[None]:
    with mock.patch.multiple(S3Backend, put_object=_put_object, create_multipart_upload=_create_multipart_upload):
        yield


def check_key_length(key_name: str) -> None:
    if len(key_name.encode("utf-8")) > MAX_KEY_BYTES:
        raise KeyTooLongError()


# CopyObject and CompleteMultipartUpload both end in put_object.
def _put_object(self: S3Backend, bucket_name: str, key_name: str, *args: Any, **kwargs: Any) -> Any:
    check_key_length(key_name)
    return _original_put_object(self, bucket_name, key_name, *args, **kwargs)


def _create_multipart_upload(self: S3Backend, bucket_name: str, key_name: str, *args: Any, **kwargs: Any) -> Any:
    check_key_length(key_name)
    return _original_create_multipart_upload(self, bucket_name, key_name, *args, **kwargs)
