"""embedded_aws.s3_version_listing: ListObjectVersions considers only the keys under its prefix."""

from __future__ import annotations

from typing import Any

from moto.s3.models import FakeKey

BUCKET = "version-listing-test"


def versioned_bucket(aws: Any, keys: int) -> Any:
    s3 = aws.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    for n in range(keys):
        s3.put_object(Bucket=BUCKET, Key=f"other/{n}.json", Body=b"x" * 1000)
    return s3


def test_a_listing_copies_only_the_versions_under_its_prefix(aws: Any) -> None:
    # GIVEN 200 objects elsewhere in the bucket and two versions of one key
    s3 = versioned_bucket(aws, 200)
    s3.put_object(Bucket=BUCKET, Key="raw/a.json", Body=b"1")
    s3.put_object(Bucket=BUCKET, Key="raw/a.json", Body=b"2")
    before = len(FakeKey.instances_tracked)
    # WHEN that key's versions are listed
    listing = s3.list_object_versions(Bucket=BUCKET, Prefix="raw/a.json")
    # THEN both are listed, newest first, and only they were copied (moto copied all 202 versions)
    assert [v["IsLatest"] for v in listing["Versions"]] == [True, False]
    assert len(FakeKey.instances_tracked) - before == 2


def test_listings_still_page_and_report_delete_markers(aws: Any) -> None:
    # GIVEN three keys under raw/, one of them deleted, and objects elsewhere
    s3 = versioned_bucket(aws, 5)
    for key in ("raw/a", "raw/b", "raw/c"):
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"v")
    s3.delete_object(Bucket=BUCKET, Key="raw/b")
    # WHEN listed two entries at a time
    first = s3.list_object_versions(Bucket=BUCKET, Prefix="raw/", MaxKeys=2)
    second = s3.list_object_versions(
        Bucket=BUCKET,
        Prefix="raw/",
        MaxKeys=2,
        KeyMarker=first["NextKeyMarker"],
        VersionIdMarker=first["NextVersionIdMarker"],
    )
    # THEN the pages hold raw/a, raw/b's delete marker and its version, then raw/c: nothing from elsewhere
    entries = [
        (e["Key"], "marker" if "Size" not in e else "version")
        for page in (first, second)
        for e in sorted(page.get("Versions", []) + page.get("DeleteMarkers", []), key=lambda e: e["Key"])
    ]
    assert sorted(entries) == [("raw/a", "version"), ("raw/b", "marker"), ("raw/b", "version"), ("raw/c", "version")]
    assert first["IsTruncated"] and not second["IsTruncated"]
