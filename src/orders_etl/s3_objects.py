"""What S3's errors mean, in one place, and telling an absent object from a denied read.

AWS S3 (HeadObject, GetObject): "If the object you request doesn't exist, the error that Amazon S3 returns
depends on whether you also have the s3:ListBucket permission. If you have the s3:ListBucket permission on the
bucket, Amazon S3 returns an HTTP status code 404 Not Found error. If you don't have the s3:ListBucket
permission, Amazon S3 returns an HTTP status code 403 Forbidden error." (For a version: s3:ListBucketVersions,
404 NoSuchVersion.)

Our roles grant s3:ListBucket only with an `s3:prefix` condition (least privilege), a key that a read of one
object does not carry: on AWS, a missing object answers 403 to them. So after a 403 the object's absence is
confirmed by listing that exact key as prefix, which such a grant allows. Only a listing that shows no such
object makes a 403 mean "absent"; if it shows the object, or is denied itself, the 403 is a real denial and is
raised. HeadObject errors have no body ("An error occurred (403) when calling the HeadObject operation:
Forbidden"), so the raised 403 gets a note saying which of the two it is.
"""

from __future__ import annotations

from typing import Any, Final

import botocore
from botocore.exceptions import ClientError

NOT_FOUND: Final = frozenset({"404", "NoSuchKey", "NotFound", "NoSuchVersion"})
# A HeadObject denial has no body: botocore names it by its HTTP status.
DENIED: Final = frozenset({"AccessDenied", "403"})
# A conditional request (If-Match, If-None-Match, CopySourceIfMatch) whose condition did not hold.
PRECONDITION_FAILED: Final = frozenset({"PreconditionFailed", "412"})
# A conditional write that lost to a concurrent write of the same key: either it failed its condition, or S3
# refused it (409) because the other write completed while it was in progress.
CONDITIONAL_WRITE_LOST: Final = PRECONDITION_FAILED | {"ConditionalRequestConflict"}


# S3 conditional writes: PutObject's IfNoneMatch came with botocore 1.35.10, its IfMatch with 1.35.69.
CONDITIONAL_WRITES_SINCE: Final = (1, 35, 69)


def require_conditional_writes(botocore_version: str = botocore.__version__) -> None:
    """Refuse, at import, an SDK too old for the conditional writes publishing relies on (the layer ships one that
    has them; an older one can only come from a deployment without the layer's)."""
    found = tuple(int(part) for part in botocore_version.split(".")[:3])
    if found < CONDITIONAL_WRITES_SINCE:
        wanted = ".".join(map(str, CONDITIONAL_WRITES_SINCE))
        raise ImportError(
            f"botocore {botocore_version} cannot make S3 conditional writes (IfMatch needs {wanted} or later): "
            "deploy with the OrdersEtlLayer built by `sam build`, which ships boto3 and botocore"
        )


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def is_not_found(error: ClientError) -> bool:
    return error_code(error) in NOT_FOUND


def is_denied(error: ClientError) -> bool:
    return error_code(error) in DENIED


def is_precondition_failed(error: ClientError) -> bool:
    return error_code(error) in PRECONDITION_FAILED


def lost_conditional_write(error: ClientError) -> bool:
    return error_code(error) in CONDITIONAL_WRITE_LOST


def head_object_or_none(s3: Any, bucket: str, key: str, version_id: str | None = None) -> dict[str, Any] | None:
    """HeadObject of the key (that version), or None when it is absent; a denied read raises."""
    version = {"VersionId": version_id} if version_id else {}
    try:
        head: dict[str, Any] = s3.head_object(Bucket=bucket, Key=key, **version)
    except ClientError as error:
        raise_unless_absent(s3, bucket, key, error, version_id)
        return None
    return head


def get_object_or_none(s3: Any, bucket: str, key: str) -> dict[str, Any] | None:
    """GetObject of the key (its body unread), or None when it is absent; a denied read raises."""
    try:
        response: dict[str, Any] = s3.get_object(Bucket=bucket, Key=key)
    except ClientError as error:
        raise_unless_absent(s3, bucket, key, error)
        return None
    return response


def raise_unless_absent(s3: Any, bucket: str, key: str, error: ClientError, version_id: str | None = None) -> None:
    """Return when `error`, from a read of the key (that version), means it is absent; raise `error` otherwise.

    A 404 means absent. A 403 means absent only when a listing of the exact key shows no such object; a listing
    that is denied too leaves the 403 unexplained, so it is raised (from the listing's error).
    """
    if is_not_found(error):
        return
    if not is_denied(error):
        raise error
    try:
        listed = version_is_listed(s3, bucket, key, version_id) if version_id else key_is_listed(s3, bucket, key)
    except ClientError as listing_error:
        if not is_denied(listing_error):
            raise
        error.add_note(f"s3://{bucket}/{key}: listing it (to tell a missing object from a denied read) was denied too")
        raise error from listing_error
    if listed:
        error.add_note(f"s3://{bucket}/{key} exists: reading it is denied (s3:GetObject, s3:GetObjectVersion or KMS)")
        raise error


def key_is_listed(s3: Any, bucket: str, key: str) -> bool:
    """Whether the key exists, by ListObjectsV2 with the key as prefix (s3:ListBucket with `s3:prefix` allows it).

    Keys are listed in ascending order and a key sorts before every longer key it is a prefix of (`a.json`
    before `a.json.gz`), so the first key listed is this one if it exists.
    """
    listing = s3.list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=1)
    return any(item["Key"] == key for item in listing.get("Contents", []))


def latest_version_id(s3: Any, bucket: str, key: str) -> str | None:
    """The key's latest version, or None when it is gone (deleted, or its latest entry is a delete marker).

    Keys are listed in ascending order and a key's versions and delete markers newest first: with the key as
    prefix, the first entry is the key's latest, unless the key is gone (then a delete marker, or a longer key
    sharing the prefix, comes first). A listing, unlike a HeadObject, tells a missing key from a denied read.
    """
    listing = s3.list_object_versions(Bucket=bucket, Prefix=key, MaxKeys=1)
    versions = listing.get("Versions", [])
    if versions and versions[0]["Key"] == key and versions[0]["IsLatest"]:
        return str(versions[0]["VersionId"])
    return None


def version_is_listed(s3: Any, bucket: str, key: str, version_id: str) -> bool:
    """Whether that version of the key exists, by ListObjectVersions with the key as prefix (needs
    s3:ListBucketVersions). A delete marker is no object version: it does not count."""
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=key):
        entries = page.get("Versions", []) + page.get("DeleteMarkers", [])
        if any(item["Key"] == key and item["VersionId"] == version_id for item in page.get("Versions", [])):
            return True
        if any(item["Key"] != key for item in entries):
            return False  # keys ascend: a longer key comes after every version of this one
    return False
