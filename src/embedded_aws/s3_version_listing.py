"""ListObjectVersions looks only at the keys under its prefix, as S3 does.

moto deep-copies every version of every key in the bucket (bodies included) on each call, whatever the
prefix, and tracks each copy until the next reset: the backfill's "Pin the version" (one call per file) then
costs time and memory that grow with the whole bucket for every file, and a reset after 1,000 files took
longer than a minute. Here moto's own listing runs unchanged over the keys that start with the prefix.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from moto.s3.models import S3Backend
from moto.s3.utils import _VersionedKeyStore

_original_list = S3Backend.list_object_versions
_original_iterlists = _VersionedKeyStore.iterlists
_listing = threading.local()  # the prefix of the listing this thread is running, if any


@contextmanager
def installed() -> Iterator[None]:
    with (
        mock.patch.multiple(S3Backend, list_object_versions=_list_object_versions),
        mock.patch.multiple(_VersionedKeyStore, iterlists=_iterlists),
    ):
        yield


def _list_object_versions(self: S3Backend, bucket_name: str, *args: Any, **kwargs: Any) -> Any:
    _listing.prefix = kwargs.get("prefix") or ""
    try:
        return _original_list(self, bucket_name, *args, **kwargs)
    finally:
        _listing.prefix = None


def _iterlists(self: _VersionedKeyStore) -> Iterator[tuple[str, list[Any]]]:
    prefix = getattr(_listing, "prefix", None)
    for key, versions in _original_iterlists(self):
        if prefix is None or key.startswith(prefix):
            yield key, versions
