"""A missing object answers 403, not 404, to a caller who may not list the bucket, as S3 does.

AWS (GetObject, HeadObject): "If you have the s3:ListBucket permission on the bucket, Amazon S3 returns an
HTTP status code 404 Not Found error. If you don't have the s3:ListBucket permission, Amazon S3 returns an
HTTP status code 403 Forbidden error." moto answers 404 to everyone, so code that takes only 404 for "absent"
passes here and fails on AWS. The permission is evaluated with the object request's own context: a ListBucket
grant conditioned on `s3:prefix` does not count, since a GetObject request carries no prefix.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from moto.s3.exceptions import MissingKey, MissingVersion
from moto.s3.responses import S3Response

from embedded_aws import iam_enforcement
from embedded_aws.iam_requests import Check

_original_get = S3Response.get_object
_original_head = S3Response.head_object


@contextmanager
def installed() -> Iterator[None]:
    with mock.patch.multiple(S3Response, get_object=_get_object, head_object=_head_object):
        yield


def _get_object(self: S3Response) -> Any:
    try:
        return _original_get(self)
    except (MissingKey, MissingVersion):
        _refuse_unless_listable(self, self.bucket_name)
        raise


def _head_object(self: S3Response, bucket_name: str, *args: Any, **kwargs: Any) -> Any:
    try:
        response = _original_head(self, bucket_name, *args, **kwargs)
    except (MissingKey, MissingVersion):
        _refuse_unless_listable(self, bucket_name)
        raise
    if response[0] == 404:
        _refuse_unless_listable(self, bucket_name)
    return response


def _refuse_unless_listable(response: S3Response, bucket_name: str) -> None:
    principal = getattr(response, "embedded_principal", None)
    if principal is None:  # IAM not enforced: nothing was checked, nothing is hidden
        return
    check = Check("s3:ListBucket", f"arn:aws:s3:::{bucket_name}")
    decision = iam_enforcement.decide(principal, check, response.embedded_context)
    if not decision.allowed:
        raise iam_enforcement.access_denied("s3", principal, check, decision)
