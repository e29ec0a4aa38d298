"""S3 event notifications for delete markers (moto sends none when a delete in a versioned bucket adds one).

On AWS, deleting an object of a versioned bucket without a version id adds a delete marker and sends
`s3:ObjectRemoved:DeleteMarkerCreated` to the configured destinations (SQS, SNS, Lambda) and EventBridge
("Object Deleted"). An event-mode crawler learns from it that a folder may have emptied; without it, a partition
whose Parquet was deleted would stay in the table. The event names the marker's version id; it has no size and
no ETag, like S3's.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from unittest import mock

from moto.s3 import notifications
from moto.s3.models import S3Backend

_original_set_delete_marker = S3Backend._set_delete_marker


@dataclass(frozen=True)
class _DeleteMarker:
    """What moto's notification code reads of an object, for a delete marker."""

    name: str
    version_id: str
    size: int = 0
    etag: str = ""


@contextmanager
def installed() -> Iterator[None]:
    with mock.patch.multiple(S3Backend, _set_delete_marker=_set_delete_marker):
        yield


def _set_delete_marker(self: S3Backend, bucket_name: str, key_name: str) -> Any:
    marker = _original_set_delete_marker(self, bucket_name, key_name)
    notifications.send_event(
        self.account_id,
        notifications.S3NotificationEvent.OBJECT_REMOVED_DELETE_MARKER_CREATED_EVENT,
        self.get_bucket(bucket_name),
        _DeleteMarker(marker.name, marker.version_id),
    )
    return marker
