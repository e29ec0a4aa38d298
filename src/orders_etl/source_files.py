"""Fetching a raw order file from S3 to local scratch space, shared by validate and flatten.

The engine reads files, not bytes: the object is streamed to /tmp (the Lambda's ephemeral storage, sized by
the template) and never held in memory whole.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from orders_etl.errors import FileTooLarge


@contextmanager
def scratch_directory() -> Iterator[Path]:
    """A fresh folder under the system temp dir, removed afterwards (a warm Lambda reuses /tmp)."""
    path = Path(tempfile.mkdtemp(prefix="orders-etl-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def download_object(s3: Any, bucket: str, key: str, target: Path, *, max_bytes: int) -> int:
    """Stream the object to `target`; FileTooLarge before downloading anything over `max_bytes`."""
    size = int(s3.head_object(Bucket=bucket, Key=key)["ContentLength"])
    if size > max_bytes:
        raise FileTooLarge(key, size, max_bytes)
    s3.download_file(bucket, key, str(target))
    return size
