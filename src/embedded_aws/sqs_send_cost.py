"""Sending a message to an SQS queue costs the same whatever the queue holds (moto's cost grew with it).

moto's SendMessage reads `queue.attributes` for one setting (ContentBasedDeduplication), and that property
counts every message of the queue three times (ApproximateNumberOf…). With the crawler's event queue holding
thousands of S3 events (a backfill writes one per Parquet object), each send took 34 ms at 3,000 messages
against 1 ms on an empty queue, and every Flatten paid it. During a send, the counts, unused there, are not
computed; everywhere else they are exact, as before.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from moto.sqs.models import Queue, SQSBackend

_COUNTS = (
    "approximate_number_of_messages",
    "approximate_number_of_messages_delayed",
    "approximate_number_of_messages_not_visible",
)
_original_counts = {name: getattr(Queue, name) for name in _COUNTS}
_original_send_message = SQSBackend.send_message
_sending = threading.local()


@contextmanager
def installed() -> Iterator[None]:
    counts: dict[str, Any] = {name: property(_uncounted_while_sending(_original_counts[name])) for name in _COUNTS}
    with mock.patch.multiple(Queue, **counts), mock.patch.object(SQSBackend, "send_message", _send_message):
        yield


def _uncounted_while_sending(count: property) -> Callable[[Queue], int]:
    def counted(queue: Queue) -> int:
        return 0 if getattr(_sending, "active", False) else int(count.fget(queue))  # type: ignore[misc]

    return counted


def _send_message(self: SQSBackend, *args: Any, **kwargs: Any) -> Any:
    _sending.active = True
    try:
        return _original_send_message(self, *args, **kwargs)
    finally:
        _sending.active = False
