"""`orders-etl quarantine list|show|replay` against a stack deployed on the embedded AWS."""

from __future__ import annotations

import json
from typing import Any

from orders_etl_cli.executions import list_executions, wait_for_executions
from orders_etl_cli.quarantine_area import QuarantineArea, short_reason
from support import Cli, Stack, order, product

BAD_KEY = "raw/shop/bad.json"
QUARANTINED = "quarantine/shop/bad.json"
REPORT = "quarantine/shop/bad.json.error.json"


def as_array(*orders: dict[str, Any]) -> bytes:
    return json.dumps(list(orders)).encode()


def bad_file() -> bytes:
    """Two problems: a price with three decimals and a missing customer_id."""
    return as_array(
        order("B-1", "2025-03-01T10:00:00Z", product("P-1", 1)),
        order("B-2", "2025-03-01T10:00:00Z", product("P-1", 1.005), customer={"name": "no id"}),
    )


def fixed_file() -> bytes:
    return as_array(
        order("B-1", "2025-03-01T10:00:00Z", product("P-1", 1)),
        order("B-2", "2025-03-01T10:00:00Z", product("P-1", 1.5), product("P-2", 2, 3)),
    )


def report(stack: Stack, key: str = REPORT) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(stack.client("s3").get_object(Bucket=stack.bucket, Key=key)["Body"].read())
    return document


def test_list_shows_each_quarantined_file_with_its_error_and_reason(stack: Stack, embedded_aws: Any, cli: Cli) -> None:
    # GIVEN a stack with a 200-byte limit and its own quarantine prefix, where one file broke the contract and
    # one was too large
    embedded_aws.reset()
    stack.outputs = embedded_aws.deploy(parameter_overrides={"MaxFileBytes": "200", "QuarantinePrefix": "rejected/"})
    small_bad = as_array({"order_id": "S-1", "order_date": "2025-03-01"})
    big = as_array(*(order(f"L-{i}", "2025-03-01", product("P", 1)) for i in range(5)))
    assert len(small_bad) < 200 < len(big)
    executions = stack.run({"raw/a/small.json": small_bad, "raw/b/big.json": big})
    assert [e["status"] for e in executions] == ["FAILED", "FAILED"]
    # AND a file in quarantine whose report is missing
    stack.upload({"rejected/c/lost.json": b"[]"})
    # WHEN the quarantine is listed
    code, out, _ = cli("quarantine", "list")
    # THEN each file is a row with its error name and the first line of its message, without the raw key
    assert code == 0
    rows = {line.split()[0]: line for line in out.splitlines()[2:-1]}
    assert set(rows) == {"rejected/a/small.json", "rejected/b/big.json", "rejected/c/lost.json"}
    assert "InvalidOrderFile" in rows["rejected/a/small.json"]
    small_report = report(stack, "rejected/a/small.json.error.json")
    assert small_report["message"].startswith("raw/a/small.json: ")
    assert short_reason(small_report) in rows["rejected/a/small.json"]
    assert "problems (showing" in rows["rejected/a/small.json"]
    assert "FileTooLarge" in rows["rejected/b/big.json"]
    assert f"file is {len(big)} bytes, over the limit of 200 bytes" in rows["rejected/b/big.json"]
    assert "raw/b/big.json" not in rows["rejected/b/big.json"]
    assert "no report" in rows["rejected/c/lost.json"]
    assert out.splitlines()[-1] == "(3 of 3 quarantined files in s3://" + stack.bucket + "/rejected/)"
    # AND --json gives the same for scripts, with the execution that quarantined each file
    code, out, _ = cli("quarantine", "list", "--json")
    entries = {entry["quarantined_key"]: entry for entry in json.loads(out)}
    assert code == 0 and set(entries) == set(rows)
    small = entries["rejected/a/small.json"]
    assert small["error_type"] == "InvalidOrderFile"
    assert small["source_key"] == "raw/a/small.json"
    assert small["report_key"] == "rejected/a/small.json.error.json"
    assert small["problem_count"] == len(small_report["problems"]) > 1
    assert small["execution_arn"] in {e["executionArn"] for e in executions}
    assert small["execution_name"] == small["execution_arn"].rsplit(":", 1)[-1]
    assert small["quarantined_at"].endswith("Z")
    assert entries["rejected/c/lost.json"]["report_key"] is None
    assert entries["rejected/c/lost.json"]["reason"] == "no report"
    # AND --limit keeps the most recently quarantined
    code, out, _ = cli("quarantine", "list", "--json", "--limit", "1")
    assert [entry["quarantined_key"] for entry in json.loads(out)] == ["rejected/c/lost.json"]


def test_show_prints_the_report_with_each_problem_and_how_to_replay(stack: Stack, cli: Cli) -> None:
    # GIVEN a quarantined file
    [execution] = stack.run({BAD_KEY: bad_file()})
    # WHEN it is shown, by any of its three names
    outputs = [cli("quarantine", "show", name) for name in (QUARANTINED, BAD_KEY, "shop/bad.json")]
    # THEN the three print the same report: the file, the error, each problem, the execution, the replay command
    assert [code for code, _, _ in outputs] == [0, 0, 0]
    assert outputs[0][1] == outputs[1][1] == outputs[2][1]
    out = outputs[0][1]
    assert f"s3://{stack.bucket}/{QUARANTINED} ({len(bad_file())} bytes), from {BAD_KEY}" in out
    assert "InvalidOrderFile: raw/shop/bad.json: 2 problems (showing 2)" in out
    assert execution["executionArn"] in out
    problem_rows = [line.split() for line in out.splitlines() if line.startswith("  $[")]
    assert [(row[0], row[1], row[-1]) for row in problem_rows] == [
        ("$[1].customer.customer_id", "customer_id", "<missing>"),
        ("$[1].products[0].price", "price", "1.005"),
    ]
    assert "orders-etl quarantine replay quarantine/shop/bad.json --outputs " in out


def test_show_of_an_unknown_key_exits_1_with_the_reason_on_stderr(stack: Stack, cli: Cli) -> None:
    code, out, err = cli("quarantine", "show", "raw/never/quarantined.json")
    assert code == 1 and out == ""
    assert f"nothing quarantined at s3://{stack.bucket}/quarantine/never/quarantined.json" in err


def test_replay_of_a_fixed_file_succeeds_and_leaves_nothing_in_quarantine(stack: Stack, cli: Cli) -> None:
    # GIVEN a quarantined file, fixed in place by uploading a good version to its quarantined key
    [first] = stack.run({BAD_KEY: bad_file()})
    stack.upload({QUARANTINED: fixed_file()})
    # WHEN it is replayed
    code, out, err = cli("quarantine", "replay", QUARANTINED, "--timeout", "60")
    # THEN its new execution succeeded, and the command says so
    assert code == 0 and "error:" not in err
    executions = list_executions(stack.client("stepfunctions"), stack.state_machine_arn)
    [replayed] = [e for e in executions if e["executionArn"] != first["executionArn"]]
    assert replayed["status"] == "SUCCEEDED"
    assert f"moved s3://{stack.bucket}/{QUARANTINED} back to {BAD_KEY} and removed its report" in out
    assert f"SUCCEEDED: execution {replayed['name']}: 2 orders, 3 rows in the table" in out
    # AND the fixed file is back under raw/, with nothing of it left in quarantine/
    assert stack.keys("raw/") == [BAD_KEY]
    assert stack.client("s3").get_object(Bucket=stack.bucket, Key=BAD_KEY)["Body"].read() == fixed_file()
    assert stack.keys("quarantine/") == []
    # AND the table holds its rows exactly once
    rows = stack.query(
        f"SELECT count(*), count(DISTINCT product_id || order_id) FROM orders WHERE source_key = '{BAD_KEY}'"
    )
    assert rows == [(3, 3)]


def test_replay_of_a_still_bad_file_fails_and_quarantines_it_again_with_a_new_report(stack: Stack, cli: Cli) -> None:
    # GIVEN a quarantined file that nobody fixed
    [first] = stack.run({BAD_KEY: bad_file()})
    # WHEN it is replayed as it is
    code, out, _ = cli("quarantine", "replay", "shop/bad.json", "--timeout", "60")
    # THEN the command warns, and reports the new execution's failure and where the new report is
    assert code == 1
    assert "note: the file is not newer than its report, so it may not be fixed" in out
    assert "FAILED: execution " in out and "InvalidOrderFile: raw/shop/bad.json: 2 problems" in out
    assert f"quarantined again; the new report is s3://{stack.bucket}/{REPORT}" in out
    # AND the file is in quarantine again, unchanged, with a report of the new execution
    assert stack.keys("raw/") == []
    assert stack.keys("quarantine/") == [QUARANTINED, REPORT]
    assert stack.client("s3").get_object(Bucket=stack.bucket, Key=QUARANTINED)["Body"].read() == bad_file()
    executions = list_executions(stack.client("stepfunctions"), stack.state_machine_arn)
    [second] = [e for e in executions if e["executionArn"] != first["executionArn"]]
    assert second["status"] == "FAILED"
    assert report(stack)["execution_arn"] == second["executionArn"]


def test_replay_refuses_to_overwrite_a_raw_file(stack: Stack, cli: Cli) -> None:
    # GIVEN a quarantined file, and a new file uploaded under its raw key since
    stack.run({BAD_KEY: bad_file()})
    stack.run({BAD_KEY: fixed_file()})
    # WHEN the quarantined one is replayed
    code, out, err = cli("quarantine", "replay", QUARANTINED, "--no-wait")
    # THEN nothing moved: the raw file and the quarantined file with its report stay as they were
    assert (code, out) == (1, "")
    assert f"s3://{stack.bucket}/{BAD_KEY} already exists: replay never overwrites a raw file" in err
    assert stack.client("s3").get_object(Bucket=stack.bucket, Key=BAD_KEY)["Body"].read() == fixed_file()
    assert stack.keys("quarantine/") == [QUARANTINED, REPORT]
    # AND once the raw file is gone, the replay moves it without waiting
    stack.client("s3").delete_object(Bucket=stack.bucket, Key=BAD_KEY)
    code, out, _ = cli("quarantine", "replay", QUARANTINED, "--no-wait")
    assert code == 0 and "back to raw/shop/bad.json" in out
    executions = wait_for_executions(stack.client("stepfunctions"), stack.state_machine_arn, 3)
    assert [e["status"] for e in executions] == ["FAILED", "SUCCEEDED", "FAILED"]
    assert stack.keys("quarantine/") == [QUARANTINED, REPORT]


def test_replay_of_an_unknown_key_exits_1(stack: Stack, cli: Cli) -> None:
    code, _, err = cli("quarantine", "replay", "quarantine/nothing.json", "--no-wait")
    assert code == 1 and "nothing quarantined at" in err
    assert stack.keys("raw/") == []


def test_keys_name_the_same_path_in_any_of_their_forms() -> None:
    area = QuarantineArea("bucket", "raw/", "quarantine/")
    forms = ["quarantine/a/b.json", "raw/a/b.json", "a/b.json", "s3://bucket/quarantine/a/b.json", "/a/b.json"]
    assert {area.path_of(form) for form in forms} == {"a/b.json"}


def test_the_short_reason_drops_the_source_key_and_is_cut_to_80_characters() -> None:
    long = {"source_key": "raw/x.json", "message": "raw/x.json: " + "y" * 100 + "\nsecond line"}
    assert short_reason(long) == "y" * 79 + "…"
    assert short_reason({"source_key": "raw/x.json", "message": "other: 1 problem"}) == "other: 1 problem"
