"""Fetching a raw order file from S3 to local scratch space, shared by validate and flatten.

The engine reads files, not bytes: the object is streamed to /tmp (the Lambda's ephemeral storage, sized by
the template) and never held in memory whole.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import IncompleteReadError, ReadTimeoutError, ResponseStreamingError

from orders_etl.errors import FileTooLarge

_CHUNK_BYTES = 1024 * 1024
# What download_file retried (s3transfer: a connection that breaks or stalls while the body is read), as often.
_STREAM_ERRORS = (ResponseStreamingError, ReadTimeoutError, IncompleteReadError, ConnectionError, TimeoutError)
_DOWNLOAD_ATTEMPTS = 5


@contextmanager
def scratch_directory() -> Iterator[Path]:
    """A fresh folder under the system temp dir, removed afterwards (a warm Lambda reuses /tmp)."""
    path = Path(tempfile.mkdtemp(prefix="orders-etl-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@dataclass(frozen=True)
class SourceVersion:
    """Which write of a raw key an execution is for, from its S3 event.

    S3 delivers events at least once and in any order: an execution reads exactly the version its event
    announced, and the event's `sequencer` (hexadecimal, of varying length; see `is_older_than`) decides which
    version's rows the table keeps. Without them (an event from an unversioned bucket, a hand-made run), the
    latest version is read and published.
    """

    version_id: str | None = None
    sequencer: str | None = None

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> SourceVersion:
        return cls(event.get("version_id") or None, event.get("sequencer") or None)

    def is_older_than(self, other_sequencer: str | None) -> bool:
        """AWS: "The sequencers can be of different lengths. So, to compare these values, first right pad the
        shorter value with zeros, and then do a lexicographical comparison." (Not as numbers: those pad left.)"""
        if self.sequencer is None or other_sequencer is None:
            return False
        width = max(len(self.sequencer), len(other_sequencer))
        return self.sequencer.upper().ljust(width, "0") < other_sequencer.upper().ljust(width, "0")

    def token(self) -> str:
        """A name for this version in object keys: its version id, else its sequencer, else "latest"."""
        return self.version_id or self.sequencer or "latest"

    def version_arguments(self) -> dict[str, str]:
        return {"VersionId": self.version_id} if self.version_id else {}


@dataclass(frozen=True)
class DownloadedObject:
    size_bytes: int
    version_id: str | None  # the version read (None in a bucket that never had versioning)


def download_object(
    s3: Any, bucket: str, key: str, target: Path, *, max_bytes: int, version: SourceVersion | None = None
) -> DownloadedObject:
    """Stream the object (that version, else the latest) to `target`; FileTooLarge before downloading anything over
    `max_bytes`.

    One GetObject: its size is checked before its body is read. (A HeadObject first would cost a request, and a
    denied HEAD is a bare 403; a denied GET names the action and the resource.)
    """
    version = version or SourceVersion()
    response = s3.get_object(Bucket=bucket, Key=key, **version.version_arguments())
    downloaded = DownloadedObject(int(response["ContentLength"]), response.get("VersionId"))
    if downloaded.size_bytes > max_bytes:
        response["Body"].close()
        raise FileTooLarge(key, downloaded.size_bytes, max_bytes)
    # The same version on every attempt: the one read first, even when no version was asked for.
    arguments = {"VersionId": downloaded.version_id} if downloaded.version_id else version.version_arguments()
    for _ in range(_DOWNLOAD_ATTEMPTS - 1):
        try:
            _write_body(response["Body"], target)
            return downloaded
        except _STREAM_ERRORS:
            # The connection broke mid-body: read the same object again (If-Match: not a newer upload of the key).
            response = s3.get_object(Bucket=bucket, Key=key, IfMatch=response["ETag"], **arguments)
    _write_body(response["Body"], target)
    return downloaded


def _write_body(body: Any, target: Path) -> None:
    """The body to `target` in chunks, never whole in memory; closed even when reading fails."""
    with body, target.open("wb") as file:
        for chunk in body.iter_chunks(_CHUNK_BYTES):
            file.write(chunk)
