"""Deterministic output names derived from the source key (orders_etl.output_keys)."""

from __future__ import annotations

import pytest

from orders_etl.output_keys import (
    MAX_KEY_BYTES,
    is_order_file,
    manifest_key,
    output_name,
    parquet_key,
    quarantine_key,
    report_key,
)


def test_output_name_is_readable_deterministic_and_distinct_per_key() -> None:
    name = output_name("raw/2025/11/orders 1.json", "raw/")
    assert name.startswith("2025__11__orders_1-")
    assert name == output_name("raw/2025/11/orders 1.json", "raw/")
    # keys that slug alike still get different names
    assert output_name("raw/a b.json", "raw/") != output_name("raw/a_b.json", "raw/")
    assert output_name("raw/x.jsonl.gz", "raw/").startswith("x-")


def test_output_name_of_hostile_keys_is_safe_and_bounded() -> None:
    name = output_name("raw/" + "é/../+%" * 80 + ".json", "raw/")
    assert set(name) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
    assert len(name) <= 113


def test_keys_of_parquet_manifest_and_quarantine() -> None:
    assert (
        parquet_key("parquet_files/orders/", "dt", "2025-01-02", "n") == "parquet_files/orders/dt=2025-01-02/n.parquet"
    )
    assert manifest_key("manifests/orders/", "n") == "manifests/orders/n.json"
    target = quarantine_key("raw/a/b.json", "raw/", "quarantine/")
    assert target == "quarantine/a/b.json"
    assert report_key(target) == "quarantine/a/b.json.error.json"


@pytest.mark.parametrize("character", ["n", "ñ", "注"], ids=["1 byte", "2 bytes", "3 bytes"])
def test_quarantine_key_is_shortened_to_fit_s3s_limit_and_stays_distinct(character: str) -> None:
    # GIVEN two raw keys of at most 1,024 bytes that differ only in their last characters
    stem = "raw/long/" + character * ((MAX_KEY_BYTES - 20) // len(character.encode()))
    first, second = stem + "a.json", stem + "b.json"
    assert len(second.encode()) <= MAX_KEY_BYTES
    targets = [quarantine_key(key, "raw/", "quarantine/") for key in (first, second)]
    # THEN each report key fits, is valid UTF-8 (no character cut in half), and the two names differ
    for target in targets:
        assert len(report_key(target).encode()) <= MAX_KEY_BYTES
        assert target.startswith("quarantine/long/" + character * 10)
    assert targets[0] != targets[1]
    # AND a key that fits keeps its mirrored name
    assert quarantine_key("raw/" + "n" * 1000, "raw/", "quarantine/") == "quarantine/" + "n" * 1000


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("raw/2025/orders.json", True),
        ("raw/2025/orders.jsonl", True),
        ("raw/2025/orders.json.gz", True),
        ("raw/2025/orders.gz", True),
        ("raw/2025/", False),  # a folder marker
        ("raw/2025/readme.txt", False),
        ("raw/2025/orders.JSON", True),  # any case: a team's tool may well write upper-case names
        ("raw/2025/Orders.Json.GZ", True),
        ("raw/2025/orders.json.bak", False),
    ],
)
def test_an_order_file_is_named_like_one_in_any_case(key: str, expected: bool) -> None:
    assert is_order_file(key) is expected
