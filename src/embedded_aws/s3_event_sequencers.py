"""S3 → EventBridge events with real sequencers (moto sends the constant "617f08299329d189").

S3 delivers events at least once and in no particular order; the `sequencer` of two events for the same key
says which write came last (compare as hexadecimal numbers). Here every event gets the next value of a counter,
formatted like S3's (18 hex digits), so consumers can order events exactly as they would on AWS.
"""

from __future__ import annotations

import copy
import itertools
import logging
import threading
from typing import Any

from moto.core.utils import unix_time
from moto.s3 import notifications

logger = logging.getLogger(__name__)
_original_send = notifications._send_event_bridge_message
_counter = itertools.count(0x0055AED6DCD90281E5)
_lock = threading.Lock()


def install() -> None:
    notifications._send_event_bridge_message = _send_event_bridge_message


def uninstall() -> None:
    notifications._send_event_bridge_message = _original_send


def next_sequencer() -> str:
    with _lock:
        return f"{next(_counter):018X}"


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
        "reason": event_name.split(":")[1],
    }
    backend = events_backends[account_id][bucket.region_name]
    for event_bus in backend.event_buses.values():
        for rule in event_bus.rules.values():
            try:
                rule.send_to_targets(event, transform_input=False)
            except Exception:  # delivery is asynchronous on AWS: a failing target never fails the write
                logger.exception("EventBridge rule %s failed on an S3 event", rule.name)
