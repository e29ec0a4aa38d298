"""Hostile keys and files: each is processed or quarantined with a clear reason, and reports stay small."""

from __future__ import annotations

import json

import pytest

from orders_etl.output_keys import MAX_KEY_BYTES
from support import Cli, Stack, order, product

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


# 1,020 bytes of UTF-8: a valid S3 key, but quarantine/<path> (7 bytes longer) and its report (11 more) are not.
NEAR_LIMIT = "raw/long/" + "ñ" * 503 + ".json"


def test_good_file_under_a_key_near_s3s_limit_lands_in_the_table(stack: Stack) -> None:
    assert len(NEAR_LIMIT.encode()) == MAX_KEY_BYTES - 4
    (execution,) = stack.run({NEAR_LIMIT: GOOD})
    assert execution["status"] == "SUCCEEDED", stack.describe(execution).get("cause")
    assert stack.query("SELECT source_key, order_id FROM orders") == [(NEAR_LIMIT, "H-1")]


def test_bad_file_under_a_key_near_s3s_limit_is_quarantined_under_a_shortened_name(stack: Stack, cli: Cli) -> None:
    # GIVEN a bad file whose key leaves no room for quarantine/ and .error.json within S3's 1,024 bytes
    (execution,) = stack.run({NEAR_LIMIT: b"[{]"})
    # THEN it is quarantined, beside its report, under a name that fits and ends in a hash of the source key
    assert stack.describe(execution)["error"] == "InvalidOrderFile"
    assert stack.keys("raw/") == []
    quarantined, report_name = stack.keys("quarantine/")
    assert report_name == quarantined + ".error.json" and len(report_name.encode()) <= MAX_KEY_BYTES
    assert quarantined.startswith("quarantine/long/ñññ") and "~" in quarantined
    report = json.loads(stack.get(report_name))
    assert report["source_key"] == NEAR_LIMIT and report["quarantined_key"] == quarantined
    # AND once fixed in place, replay sends it back to its own raw key (from the report), and it lands
    stack.upload({quarantined: GOOD})
    code, out, err = cli("quarantine", "replay", quarantined, "--timeout", "60")
    assert code == 0, err
    assert f"back to {NEAR_LIMIT}" in out
    assert stack.keys("quarantine/") == [] and stack.keys("raw/") == [NEAR_LIMIT]
    assert stack.query("SELECT source_key, order_id FROM orders") == [(NEAR_LIMIT, "H-1")]


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
