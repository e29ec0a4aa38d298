"""One Object Created event per completed multipart upload, as S3 sends (moto sent two).

moto's CompleteMultipartUpload stores the object through its PutObject path, which announces an
`ObjectCreated:Put`, then announces `ObjectCreated:CompleteMultipartUpload` itself: an upload the AWS CLI splits
into parts (from 8 MB) started two executions. AWS sends one event, whose EventBridge `reason` is
`CompleteMultipartUpload`. Here the PutObject inside the completion announces nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from moto.s3.models import S3Backend

_completing = threading.local()
_replaced: dict[str, Any] = {}


@contextmanager
def installed() -> Iterator[None]:
    """Wraps the methods as they are now (other patches may have wrapped put_object already)."""
    _replaced.update(put_object=S3Backend.put_object, complete=S3Backend.complete_multipart_upload)
    with mock.patch.multiple(S3Backend, put_object=_put_object, complete_multipart_upload=_complete_multipart_upload):
        yield


def _put_object(self: S3Backend, *args: Any, **kwargs: Any) -> Any:
    if getattr(_completing, "active", False):
        kwargs["disable_notification"] = True  # the completion announces the object itself
    return _replaced["put_object"](self, *args, **kwargs)


def _complete_multipart_upload(self: S3Backend, *args: Any, **kwargs: Any) -> Any:
    _completing.active = True
    try:
        return _replaced["complete"](self, *args, **kwargs)
    finally:
        _completing.active = False
