"""A Distributed Map's S3 ItemReader (`arn:aws:states:::s3:listObjectsV2`) reads every object under the prefix,
as AWS's does.

moto's reader made one ListObjectsV2 call: it took the first 1,000 objects only (a backfill of more files
silently left the rest out), failed the Map with `States.Runtime … 'Contents'` on an empty prefix (AWS runs an
empty map), and passed botocore's items on, whose `LastModified` is a datetime that no state can serialise.
Here it pages through the listing and gives each object as AWS's documentation shows the items: `Etag`, `Key`,
`LastModified` (epoch seconds), `Size`, `StorageClass`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from moto.stepfunctions.parser.asl.component.state.exec.state_map.item_reader.eval.resource_eval_s3 import (
    ResourceEvalS3,
)


@contextmanager
def installed() -> Iterator[None]:
    with mock.patch.multiple(ResourceEvalS3, _handle_list_objects_v2=staticmethod(_handle_list_objects_v2)):
        yield


def _handle_list_objects_v2(env: Any, resource_runtime_part: Any, state_credentials: Any) -> None:
    s3 = ResourceEvalS3._get_s3_client(resource_runtime_part=resource_runtime_part, state_credentials=state_credentials)
    parameters = env.stack.pop()
    items = [
        item_of(listed)
        for page in s3.get_paginator("list_objects_v2").paginate(**parameters)
        for listed in page.get("Contents", [])
    ]
    env.stack.append(items)


def item_of(listed: dict[str, Any]) -> dict[str, Any]:
    """One object of a ListObjectsV2 page as the ItemReader hands it to the Map."""
    return {
        "Etag": listed["ETag"],
        "Key": listed["Key"],
        "LastModified": int(listed["LastModified"].timestamp()),
        "Size": listed["Size"],
        "StorageClass": listed.get("StorageClass", "STANDARD"),
    }
