"""Fetching a raw file: one GetObject, its size checked before the body is read, the body streamed in chunks."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.response import StreamingBody
from botocore.stub import Stubber
from urllib3.exceptions import ProtocolError

from orders_etl import source_files
from orders_etl.errors import FileTooLarge
from orders_etl.source_files import SourceVersion, download_object

BUCKET = "orders-etl-data"
KEY = "raw/2025/orders.json"
DATA = b"[" + b'{"order_id": "A-1"},' * 200_000 + b"{}]"  # about 4 MB


class RecordingStream(io.BytesIO):
    """A response body that records how much each read asks for, and can break after some bytes."""

    def __init__(self, data: bytes, break_after: int | None = None) -> None:
        super().__init__(data)
        self.reads: list[int | None] = []
        self.break_after = break_after

    def read(self, size: int | None = -1) -> bytes:
        self.reads.append(size)
        if self.break_after is not None and self.tell() >= self.break_after:
            raise ProtocolError("Connection broken: connection reset by peer")
        return super().read(size)


def object_response(stream: io.BytesIO, size: int) -> dict[str, Any]:
    return {"Body": StreamingBody(stream, size), "ContentLength": size, "ETag": '"etag-1"'}


def test_a_version_is_fetched_with_one_get_and_streamed_in_chunks(s3: tuple[Any, Stubber], tmp_path: Path) -> None:
    client, stubber = s3
    # GIVEN a 4 MB object version
    stream = RecordingStream(DATA)
    stubber.add_response(
        "get_object", object_response(stream, len(DATA)), {"Bucket": BUCKET, "Key": KEY, "VersionId": "v1"}
    )
    # WHEN it is downloaded
    got = download_object(client, BUCKET, KEY, tmp_path / "input", max_bytes=len(DATA), version=SourceVersion("v1"))
    # THEN that one GET wrote it whole, read a bounded chunk at a time (never the whole body at once)
    assert got.size_bytes == len(DATA)
    assert (tmp_path / "input").read_bytes() == DATA
    assert stream.reads and all(read is not None and 0 < read <= 1024 * 1024 for read in stream.reads)


def test_a_file_over_the_limit_is_refused_before_its_body_is_read(s3: tuple[Any, Stubber], tmp_path: Path) -> None:
    client, stubber = s3
    # GIVEN an object one byte over the limit
    stream = RecordingStream(DATA)
    stubber.add_response("get_object", object_response(stream, len(DATA)), {"Bucket": BUCKET, "Key": KEY})
    # WHEN it is downloaded THEN FileTooLarge, with nothing read or written and the response closed
    with pytest.raises(FileTooLarge):
        download_object(client, BUCKET, KEY, tmp_path / "input", max_bytes=len(DATA) - 1)
    assert stream.reads == [] and stream.closed
    assert not (tmp_path / "input").exists()


def test_a_denied_read_raises_the_get_error_that_names_action_and_resource(
    s3: tuple[Any, Stubber], tmp_path: Path
) -> None:
    client, stubber = s3
    # GIVEN the role may not read the version (a GET's 403 has a body that says what was denied)
    message = (
        "User: arn:aws:sts::111122223333:assumed-role/validate/fn is not authorized to perform: "
        f"s3:GetObjectVersion on resource: arn:aws:s3:::{BUCKET}/{KEY}"
    )
    stubber.add_client_error(
        "get_object", service_error_code="AccessDenied", service_message=message, http_status_code=403
    )
    # WHEN it is downloaded THEN that error is raised as S3 sent it, with no other request
    with pytest.raises(ClientError) as raised:
        download_object(client, BUCKET, KEY, tmp_path / "input", max_bytes=len(DATA), version=SourceVersion("v1"))
    assert raised.value.response["Error"]["Code"] == "AccessDenied"
    assert "s3:GetObjectVersion on resource" in str(raised.value)


def test_a_connection_lost_mid_body_reads_the_same_object_again(
    s3: tuple[Any, Stubber], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, stubber = s3
    monkeypatch.setattr(source_files, "_CHUNK_BYTES", 64 * 1024)
    # GIVEN the first response's connection breaks after 1 MB, the second is whole
    stubber.add_response(
        "get_object",
        object_response(RecordingStream(DATA, break_after=1024 * 1024), len(DATA)),
        {"Bucket": BUCKET, "Key": KEY},
    )
    stubber.add_response(
        "get_object",
        object_response(RecordingStream(DATA), len(DATA)),
        {"Bucket": BUCKET, "Key": KEY, "IfMatch": '"etag-1"'},
    )
    # WHEN it is downloaded THEN the object is read again, only if unchanged, and the file holds it once
    assert download_object(client, BUCKET, KEY, tmp_path / "input", max_bytes=len(DATA)).size_bytes == len(DATA)
    assert (tmp_path / "input").read_bytes() == DATA


def test_without_a_version_the_latest_is_read_and_its_version_kept_for_a_second_read(
    s3: tuple[Any, Stubber], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, stubber = s3
    monkeypatch.setattr(source_files, "_CHUNK_BYTES", 64 * 1024)
    # GIVEN no version asked for, the latest is v7, and its first response breaks mid-body
    first = object_response(RecordingStream(DATA, break_after=1024 * 1024), len(DATA)) | {"VersionId": "v7"}
    stubber.add_response("get_object", first, {"Bucket": BUCKET, "Key": KEY})
    second = object_response(RecordingStream(DATA), len(DATA)) | {"VersionId": "v7"}
    stubber.add_response("get_object", second, {"Bucket": BUCKET, "Key": KEY, "IfMatch": '"etag-1"', "VersionId": "v7"})
    # WHEN it is downloaded THEN v7 is read again (not a newer upload) and reported as the version read
    got = download_object(client, BUCKET, KEY, tmp_path / "input", max_bytes=len(DATA))
    assert (got.size_bytes, got.version_id) == (len(DATA), "v7")
    stubber.assert_no_pending_responses()
