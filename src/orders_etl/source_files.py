"""Reading a raw order file from S3 and checking it against the contract: shared by validate and flatten."""

from __future__ import annotations

from typing import Any

from orders_etl.contract import Order, read_order_file
from orders_etl.errors import FileTooLarge


def fetch_object(s3: Any, bucket: str, key: str, *, max_bytes: int) -> bytes:
    """The object's bytes; FileTooLarge before downloading anything over `max_bytes`."""
    response = s3.get_object(Bucket=bucket, Key=key)
    size = int(response["ContentLength"])
    if size > max_bytes:
        response["Body"].close()
        raise FileTooLarge(key, size, max_bytes)
    data: bytes = response["Body"].read()
    return data


def read_orders(s3: Any, bucket: str, key: str, *, max_bytes: int) -> tuple[list[Order], int]:
    """The validated orders of one raw file and its size; raises InvalidOrderFile or FileTooLarge."""
    data = fetch_object(s3, bucket, key, max_bytes=max_bytes)
    return read_order_file(data, source_key=key, max_bytes=max_bytes), len(data)
