"""Deterministic names for what the pipeline writes, derived from the source key alone.

Running a step twice, or re-uploading a file under the same key, therefore overwrites rather than duplicates.
"""

from __future__ import annotations

import hashlib
import re

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
# What an order file's name ends with, in any case (the content decides the format: gzip by its magic bytes, a JSON
# array or JSON Lines by its first character). The EventBridge rule starts an execution for every key under the
# raw area; Validate quarantines any other file with a report naming these (never a silent skip).
ORDER_FILE_SUFFIXES = (".json", ".jsonl", ".gz")
# What an output name drops from the source key (longest first: orders.json.gz -> orders).
_NAME_SUFFIXES = (".json.gz", ".jsonl.gz", *ORDER_FILE_SUFFIXES)
_MAX_SLUG = 100
MAX_KEY_BYTES = 1024  # S3's limit, in bytes of UTF-8


def is_order_file(key: str) -> bool:
    """True for a key named like an order file (`orders.JSON` too); folder markers and other files are not."""
    return key.lower().endswith(ORDER_FILE_SUFFIXES)


def is_folder_marker(key: str) -> bool:
    """A key ending in `/`: the empty object a console's "Create folder" writes. Nothing to process."""
    return key.endswith("/")


def order_file_suffixes() -> str:
    """The accepted suffixes in words, for messages."""
    return ", ".join(ORDER_FILE_SUFFIXES[:-1]) + f" or {ORDER_FILE_SUFFIXES[-1]}"


def relative_to(prefix: str, key: str) -> str:
    """The part of `key` below `prefix` (the whole key when it lies elsewhere)."""
    return key[len(prefix) :] if key.startswith(prefix) else key


def output_name(source_key: str, raw_prefix: str) -> str:
    """A readable, collision-free file stem: slug of the path below raw/ plus a hash of the full key."""
    relative = relative_to(raw_prefix, source_key)
    for suffix in _NAME_SUFFIXES:
        if relative.lower().endswith(suffix):
            relative = relative[: -len(suffix)]
            break
    slug = _UNSAFE.sub("_", relative.replace("/", "__")).strip("._")[:_MAX_SLUG] or "file"
    digest = hashlib.sha256(source_key.encode("utf-8")).hexdigest()[:12]
    return f"{slug}-{digest}"


def partition_prefix(parquet_prefix: str, partition_column: str, value: str) -> str:
    """The folder of one partition of the table (Hive style, which the crawler reads: dt=2025-09-01/)."""
    return f"{parquet_prefix}{partition_column}={value}/"


def parquet_key(parquet_prefix: str, partition_column: str, value: str, name: str) -> str:
    return f"{partition_prefix(parquet_prefix, partition_column, value)}{name}.parquet"


def manifest_key(manifest_prefix: str, name: str) -> str:
    return f"{manifest_prefix}{name}.json"


# Parquet waits here (beside the manifests, outside the table's location) between its upload and its publish.
STAGING_FOLDER = "staging/"


def staging_prefix(manifest_prefix: str, name: str, version_token: str) -> str:
    """Where one version of a source file's Parquet is staged: two versions never share a staged object."""
    return f"{manifest_prefix}{STAGING_FOLDER}{name}/{version_token}/"


def staged_parquet_key(prefix: str, dt: str, index: int) -> str:
    return f"{prefix}dt={dt}/part-{index}.parquet"


def validated_summary_key(prefix: str) -> str:
    return f"{prefix}validated.json"


def quarantine_key(source_key: str, raw_prefix: str, quarantine_prefix: str) -> str:
    """quarantine/<path> for raw/<path>; shortened when it or its report would pass S3's key limit.

    A shortened name keeps the start of the path and ends in a hash of the whole source key, so two long keys
    never share a name; the report beside it holds the source key, which is how replay finds its way back.
    """
    key = quarantine_prefix + relative_to(raw_prefix, source_key)
    if len(report_key(key).encode("utf-8")) <= MAX_KEY_BYTES:
        return key
    digest = "~" + hashlib.sha256(source_key.encode("utf-8")).hexdigest()[:16]
    room = MAX_KEY_BYTES - len(report_key(digest).encode("utf-8"))
    return key.encode("utf-8")[:room].decode("utf-8", errors="ignore") + digest


def report_key(quarantined_key: str) -> str:
    return f"{quarantined_key}.error.json"
