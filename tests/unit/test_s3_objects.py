"""Telling an absent S3 object from a denied read, against the S3 API contract (botocore Stubber).

On AWS a read of a missing key answers 403 to a role whose s3:ListBucket grant has an `s3:prefix` condition
(ours all do); the embedded AWS answers 404, so these are where the 403 paths are proven.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from orders_etl.s3_objects import (
    get_object_or_none,
    head_object_or_none,
    is_precondition_failed,
    lost_conditional_write,
    raise_unless_absent,
    require_conditional_writes,
)

BUCKET = "orders-etl-data"
KEY = "raw/2025/orders.json"
LONGER_KEY = KEY + ".gz"  # shares the prefix, and is listed right after KEY


def head_is_forbidden(stubber: Stubber, **version: str) -> None:
    # A HEAD error has no body: botocore names it by its status.
    stubber.add_client_error(
        "head_object",
        service_error_code="403",
        service_message="Forbidden",
        http_status_code=403,
        expected_params={"Bucket": BUCKET, "Key": KEY, **version},
    )


def listing_shows(stubber: Stubber, *keys: str) -> None:
    stubber.add_response(
        "list_objects_v2",
        {"Contents": [{"Key": key} for key in keys], "KeyCount": len(keys), "IsTruncated": False},
        {"Bucket": BUCKET, "Prefix": KEY, "MaxKeys": 1},
    )


def listing_is_denied(stubber: Stubber, operation: str = "list_objects_v2") -> None:
    stubber.add_client_error(
        operation,
        service_error_code="AccessDenied",
        service_message="User: arn:aws:sts::111122223333:assumed-role/flatten is not authorized to perform: "
        "s3:ListBucket on resource: arn:aws:s3:::orders-etl-data",
        http_status_code=403,
    )


def versions_page(*versions: tuple[str, str], next_marker: tuple[str, str] | None = None) -> dict[str, Any]:
    page: dict[str, Any] = {
        "Versions": [{"Key": key, "VersionId": version_id} for key, version_id in versions],
        "IsTruncated": next_marker is not None,
    }
    if next_marker:
        page |= {"NextKeyMarker": next_marker[0], "NextVersionIdMarker": next_marker[1]}
    return page


def test_a_404_means_absent_without_listing(s3: tuple[Any, Stubber]) -> None:
    client, stubber = s3
    # GIVEN S3 answers 404 (the reader may list the key)
    stubber.add_client_error("head_object", service_error_code="404", service_message="Not Found", http_status_code=404)
    # WHEN the object is looked up THEN it is absent, after that one request
    assert head_object_or_none(client, BUCKET, KEY) is None


def test_a_403_and_a_listing_without_the_key_mean_absent(s3: tuple[Any, Stubber]) -> None:
    client, stubber = s3
    # GIVEN the HEAD is refused (no s3:ListBucket for a read) and the listing of the key shows nothing
    head_is_forbidden(stubber)
    listing_shows(stubber)
    # WHEN the object is looked up THEN it is absent
    assert head_object_or_none(client, BUCKET, KEY) is None


def test_a_403_for_a_listed_key_is_a_denial_and_is_raised(s3: tuple[Any, Stubber]) -> None:
    client, stubber = s3
    # GIVEN the HEAD is refused although the listing shows the key
    head_is_forbidden(stubber)
    listing_shows(stubber, KEY)
    # WHEN the object is looked up THEN the 403 is raised, saying that the object exists
    with pytest.raises(ClientError) as raised:
        head_object_or_none(client, BUCKET, KEY)
    assert raised.value.response["Error"]["Code"] == "403"
    assert any("exists: reading it is denied" in note for note in raised.value.__notes__)


def test_a_403_whose_listing_is_denied_too_is_raised(s3: tuple[Any, Stubber]) -> None:
    client, stubber = s3
    # GIVEN the HEAD and the listing are both refused
    head_is_forbidden(stubber)
    listing_is_denied(stubber)
    # WHEN the object is looked up THEN the HEAD's 403 is raised (from the listing's denial), never "absent"
    with pytest.raises(ClientError) as raised:
        head_object_or_none(client, BUCKET, KEY)
    assert raised.value.response["Error"]["Code"] == "403"
    assert raised.value.operation_name == "HeadObject"
    assert isinstance(raised.value.__cause__, ClientError)
    assert raised.value.__cause__.operation_name == "ListObjectsV2"


def test_a_longer_key_with_the_same_prefix_does_not_count(s3: tuple[Any, Stubber]) -> None:
    client, stubber = s3
    # GIVEN the key is gone but a longer key starting with it is there (listed first, since the key is not)
    head_is_forbidden(stubber)
    listing_shows(stubber, LONGER_KEY)
    # WHEN the object is looked up THEN it is absent
    assert head_object_or_none(client, BUCKET, KEY) is None


def test_a_get_answered_403_for_a_missing_key_gives_none(s3: tuple[Any, Stubber]) -> None:
    client, stubber = s3
    # GIVEN a GET refused with AccessDenied (what AWS answers for a missing key without s3:ListBucket)
    stubber.add_client_error(
        "get_object", service_error_code="AccessDenied", service_message="Access Denied", http_status_code=403
    )
    listing_shows(stubber)
    # WHEN the object is read THEN there is none
    assert get_object_or_none(client, BUCKET, KEY) is None


def test_other_errors_are_raised_without_listing(s3: tuple[Any, Stubber]) -> None:
    client, stubber = s3
    # GIVEN a 403 that is no denial: an archived object
    stubber.add_client_error(
        "get_object", service_error_code="InvalidObjectState", service_message="archived", http_status_code=403
    )
    # WHEN the object is read THEN that error is raised, and nothing is listed (no stubbed listing: it would fail)
    with pytest.raises(ClientError, match="InvalidObjectState"):
        get_object_or_none(client, BUCKET, KEY)


def test_a_version_is_looked_for_on_every_page_of_the_key_versions(s3: tuple[Any, Stubber]) -> None:
    client, stubber = s3
    # GIVEN a HEAD of version v1 is refused, and the key's versions fill two pages, v1 on the second
    head_is_forbidden(stubber, VersionId="v1")
    stubber.add_response(
        "list_object_versions",
        versions_page((KEY, "v3"), (KEY, "v2"), next_marker=(KEY, "v2")),
        {"Bucket": BUCKET, "Prefix": KEY},
    )
    stubber.add_response(
        "list_object_versions",
        versions_page((KEY, "v1"), (LONGER_KEY, "w1")),
        {"Bucket": BUCKET, "Prefix": KEY, "KeyMarker": KEY, "VersionIdMarker": "v2"},
    )
    # WHEN that version is looked up THEN it exists, so the 403 is a denial and is raised
    with pytest.raises(ClientError, match=r"\(403\)"):
        head_object_or_none(client, BUCKET, KEY, "v1")


def test_a_version_not_among_the_key_versions_is_absent(s3: tuple[Any, Stubber]) -> None:
    client, stubber = s3
    # GIVEN a HEAD of version v1 is refused; the first page has a later version, the second only a longer key's v1
    head_is_forbidden(stubber, VersionId="v1")
    stubber.add_response(
        "list_object_versions", versions_page((KEY, "v2"), next_marker=(KEY, "v2")), {"Bucket": BUCKET, "Prefix": KEY}
    )
    stubber.add_response(
        "list_object_versions",
        versions_page((LONGER_KEY, "v1"), next_marker=(LONGER_KEY, "v1")),
        {"Bucket": BUCKET, "Prefix": KEY, "KeyMarker": KEY, "VersionIdMarker": "v2"},
    )
    # WHEN that version is looked up THEN it is absent, and the longer key's further pages are not read
    assert head_object_or_none(client, BUCKET, KEY, "v1") is None


def test_a_version_whose_listing_is_denied_raises_the_403(s3: tuple[Any, Stubber]) -> None:
    client, stubber = s3
    # GIVEN a HEAD of a version and the listing of versions (s3:ListBucketVersions) are both refused
    head_is_forbidden(stubber, VersionId="v1")
    listing_is_denied(stubber, "list_object_versions")
    # WHEN that version is looked up THEN the 403 is raised
    with pytest.raises(ClientError, match=r"\(403\)"):
        head_object_or_none(client, BUCKET, KEY, "v1")


def test_a_throttled_listing_raises_its_own_error(s3: tuple[Any, Stubber]) -> None:
    client, stubber = s3
    # GIVEN a refused HEAD, and a listing that S3 throttles
    forbidden = ClientError({"Error": {"Code": "403", "Message": "Forbidden"}}, "HeadObject")
    stubber.add_client_error("list_objects_v2", service_error_code="SlowDown", http_status_code=503)
    # WHEN the refusal is examined THEN the throttling is what is raised (it says more than the bare 403)
    with pytest.raises(ClientError, match="SlowDown"):
        raise_unless_absent(client, BUCKET, KEY, forbidden)


@pytest.mark.parametrize(
    ("code", "lost", "precondition_failed"),
    [("PreconditionFailed", True, True), ("412", True, True), ("ConditionalRequestConflict", True, False)],
)
def test_a_conditional_write_is_lost_to_a_failed_precondition_or_a_concurrent_write(
    code: str, lost: bool, precondition_failed: bool
) -> None:
    error = ClientError({"Error": {"Code": code, "Message": ""}}, "PutObject")
    assert (lost_conditional_write(error), is_precondition_failed(error)) == (lost, precondition_failed)


def test_an_sdk_without_conditional_writes_is_refused_with_what_to_do() -> None:
    with pytest.raises(ImportError, match=r"botocore 1\.35\.68 cannot make S3 conditional writes .*sam build"):
        require_conditional_writes("1.35.68")
    require_conditional_writes("1.35.69")
    require_conditional_writes("1.44.8")
    require_conditional_writes()  # the SDK installed here
