"""Sending or receiving an SQS message costs the same whatever the queue holds (moto's cost grew with it).

moto's SendMessage reads `queue.attributes` for one setting (ContentBasedDeduplication), and its ReceiveMessage
reads them for another (MessageRetentionPeriod) once per message it returns; that property counts every message
of the queue three times (ApproximateNumberOf…). With the crawler's event queue holding thousands of S3 events
(a backfill writes one per Parquet object), each send took 34 ms at 3,000 messages against 1 ms on an empty queue,
every Flatten paid it, and a crawl receiving N events paid N counts of the whole queue (11% of the CPU of a burst
of 200 files). During a send or a receive, the counts, unused there, are not computed; everywhere else they are
exact, as before.
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
_original_receive_message = SQSBackend.receive_message
_uncounted = threading.local()


@contextmanager
def installed() -> Iterator[None]:
    counts: dict[str, Any] = {name: property(_uncounted_in_messaging(_original_counts[name])) for name in _COUNTS}
    with (
        mock.patch.multiple(Queue, **counts),
        mock.patch.multiple(
            SQSBackend,
            send_message=_uncounting(_original_send_message),
            receive_message=_uncounting(_original_receive_message),
        ),
    ):
        yield


def _uncounted_in_messaging(count: property) -> Callable[[Queue], int]:
    def counted(queue: Queue) -> int:
        return 0 if getattr(_uncounted, "active", False) else int(count.fget(queue))  # type: ignore[misc]

    return counted


def _uncounting(operation: Callable[..., Any]) -> Callable[..., Any]:
    def uncounted(self: SQSBackend, *args: Any, **kwargs: Any) -> Any:
        _uncounted.active = True
        try:
            return operation(self, *args, **kwargs)
        finally:
            _uncounted.active = False

    return uncounted
