"""Hostile keys and files: each is processed or quarantined with a clear reason, and reports stay small."""

from __future__ import annotations

import json

import pytest

from support import Stack, order, product

GOOD = json.dumps([order("H-1", "2025-08-01T09:00:00Z", product("P", 1, 1))]).encode()
KEYS = [
    "raw/with space/order file.json",
    "raw/ünïcødé/заказы 注文.json",
    "raw/plus+sign/a+b.json",
    "raw/percent%20/x%2Fy.json",
    "raw/dots/../up.json",
    "raw/long/" + "n" * 900 + ".json",
]


@pytest.mark.parametrize("key", KEYS, ids=["space", "unicode", "plus", "percent", "dotdot", "900 chars"])
def test_good_file_under_a_hostile_key_lands_in_the_table(stack: Stack, key: str) -> None:
    (execution,) = stack.run({key: GOOD})
    assert execution["status"] == "SUCCEEDED", stack.describe(execution).get("cause")
    assert stack.query("SELECT source_key, order_id FROM orders") == [(key, "H-1")]


@pytest.mark.parametrize("key", KEYS, ids=["space", "unicode", "plus", "percent", "dotdot", "900 chars"])
def test_bad_file_under_a_hostile_key_is_quarantined_beside_its_report(stack: Stack, key: str) -> None:
    (execution,) = stack.run({key: b"[{]"})
    assert stack.describe(execution)["error"] == "InvalidOrderFile"
    quarantined = key.replace("raw/", "quarantine/", 1)
    assert stack.keys("quarantine/") == sorted([quarantined, quarantined + ".error.json"])
    report = json.loads(stack.get(quarantined + ".error.json"))
    assert report["source_key"] == key and report["quarantined_key"] == quarantined


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "empty"),
        (b"\x00\x01\x02binary\xff\xfe", "UTF-8"),
        (b'{"not": "orders"}', "order_id"),
        (b"[1, 2, 3]", "object"),
        (b"   \n\n  ", "empty"),
    ],
    ids=["zero bytes", "binary", "an object", "numbers", "whitespace"],
)
def test_files_that_are_not_orders_are_quarantined_with_a_reason(stack: Stack, body: bytes, reason: str) -> None:
    (execution,) = stack.run({"raw/junk/file.json": body})
    assert stack.describe(execution)["error"] == "InvalidOrderFile"
    report = json.loads(stack.get("quarantine/junk/file.json.error.json"))
    text = json.dumps(report)
    assert reason.lower() in text.lower(), report


def test_a_report_holds_a_bounded_excerpt_of_the_data_however_large_the_bad_values(stack: Stack) -> None:
    # GIVEN 1,000 orders whose dates are 10 KB of text each (10 MB of bad values)
    bad = [order(f"B-{i}", "y" * 10_000, product("P", 1, 1)) for i in range(1000)]
    (execution,) = stack.run({"raw/huge/bad.json": json.dumps(bad).encode()})

    # THEN the report lists a bounded number of problems, each value cut short, and counts the rest
    report_bytes = stack.get("quarantine/huge/bad.json.error.json")
    report = json.loads(report_bytes)
    assert len(report_bytes) < 16_000
    assert 0 < len(report["problems"]) <= 20
    assert all(len(problem["value"]) <= 64 for problem in report["problems"])
    assert "1000 problems" in report["message"]
    # AND the execution's error cause (kept in Step Functions' history) is bounded too
    assert len(stack.describe(execution)["cause"]) < 16_000
