"""S3 → EventBridge events with real sequencers (moto sends the constant "617f08299329d189") and S3's `reason`.

S3 delivers events at least once and in no particular order; the `sequencer` of two events for the same key
says which write came last. AWS: "The sequencers can be of different lengths. So, to compare these values,
first right pad the shorter value with zeros, and then do a lexicographical comparison." Here every event gets
the next value of a counter (16 hex digits) followed by 0, 1 or 2 zeros in turn: lengths vary from 16 to 18 (S3's
are about 18), the right-padded order is the order of the writes, and a consumer comparing them as numbers
(which pads on the left) gets some pairs backwards, as it would on AWS.
"""

from __future__ import annotations

import copy
import itertools
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from moto.core.utils import unix_time
from moto.s3 import notifications

logger = logging.getLogger(__name__)
_counter = itertools.count(0x0055AED6DCD90281)
_lock = threading.Lock()


@contextmanager
def installed() -> Iterator[None]:
    with mock.patch.multiple(notifications, _send_event_bridge_message=_send_event_bridge_message):
        yield


# S3's `reason` for each notification event (S3 user guide, "EventBridge event message structure"); moto sent
# "ObjectCreated" or "ObjectRemoved" for all of them.
_REASONS = {
    "Put": "PutObject",
    "Post": "POST Object",
    "Copy": "CopyObject",
    "CompleteMultipartUpload": "CompleteMultipartUpload",
    "Delete": "DeleteObject",
    "DeleteMarkerCreated": "DeleteObject",
}


def event_reason(event_name: str) -> str:
    """`s3:ObjectCreated:Put` -> `PutObject`; an event S3 names otherwise keeps moto's word for it."""
    return _REASONS.get(event_name.rsplit(":", 1)[-1], event_name.split(":")[1])


def next_sequencer() -> str:
    with _lock:
        value = next(_counter)
        return f"{value:016X}" + "0" * (value % 3)


def _send_event_bridge_message(account_id: str, bucket: Any, event_name: str, key: Any) -> None:
    # Imported here, as moto does: the events backend imports S3's models.
    from moto.events.models import events_backends
    from moto.events.utils import _BASE_EVENT_MESSAGE

    event = copy.deepcopy(_BASE_EVENT_MESSAGE)
    event["detail-type"] = notifications._detail_type(event_name)
    event["source"] = "aws.s3"
    event["account"] = account_id
    event["time"] = unix_time()
    event["region"] = bucket.region_name
    event["resources"] = [bucket.arn]
    event["detail"] = {
        "version": "0",
        "bucket": {"name": bucket.name},
        "object": {
            "key": key.name,
            "size": key.size,
            "etag": key.etag.replace('"', ""),
            "version-id": key.version_id,
            "sequencer": next_sequencer(),
        },
        "request-id": "N4N7GDK58NMKJ12R",
        "requester": account_id,
        "source-ip-address": "127.0.0.1",
        "reason": event_reason(event_name),
    }
    backend = events_backends[account_id][bucket.region_name]
    for event_bus in backend.event_buses.values():
        for rule in event_bus.rules.values():
            try:
                rule.send_to_targets(event, transform_input=False)
            except Exception:  # delivery is asynchronous on AWS: a failing target never fails the write
                logger.exception("EventBridge rule %s failed on an S3 event", rule.name)
