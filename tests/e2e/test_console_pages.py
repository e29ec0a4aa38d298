"""The console's pages and forms at the request level (Flask's test client), on a stack deployed on the embedded
AWS: who may ask, who may act, what a missing thing or a bad filter shows, the listing's filters and pages, the
redrive and replay forms, a backfill's Map Run. tests/browser/ covers what needs a browser (the graph, the script)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import Tag

from console_support import (
    HOST_URL,
    aws_target,
    console_client,
    embedded_target,
    one,
    page,
    post_form,
    text,
)
from orders_etl_console import app as console_app
from orders_etl_console import execution_pages
from support import Stack, order, product

BAD_KEY = "raw/shop/bad.json"
QUARANTINED = "quarantine/shop/bad.json"
NOT_NEWER_NOTE = "note: the file is not newer than its report, so it may not be fixed; replaying it anyway"
SINCE_HELP = "expected e.g. 2h, 30m, 7d, or a date such as 2025-11-01"


def orders_file(name: str, rows: int = 1) -> bytes:
    products = [product(f"{name}-P{i}", 1.5, 1) for i in range(rows)]
    return json.dumps([order(name, "2025-04-01", *products)]).encode()


def bad_file() -> bytes:
    """Two problems: a missing customer_id and a price with three decimals, both in the second order."""
    return json.dumps(
        [
            order("B-1", "2025-03-01T10:00:00Z", product("P-1", 1)),
            order("B-2", "2025-03-01T10:00:00Z", product("P-1", 1.005), customer={"name": "no id"}),
        ]
    ).encode()


def fixed_file() -> bytes:
    return json.dumps(
        [
            order("B-1", "2025-03-01T10:00:00Z", product("P-1", 1)),
            order("B-2", "2025-03-01T10:00:00Z", product("P-1", 1.5)),
        ]
    ).encode()


def failed_by_a_flatten_outage(stack: Stack, fault_injector: Any, key: str) -> dict[str, Any]:
    """The execution of a good file that FAILED in Flatten (a system error, not retried); the outage is over."""
    fault_injector.fail("FlattenOrders", "ConnectionResetError")
    (execution,) = stack.run({key: orders_file("F")})
    fault_injector.clear()
    assert execution["status"] == "FAILED"
    return execution


def redrives(stack: Stack, execution: dict[str, Any]) -> tuple[str, int]:
    described = stack.describe(execution)
    return described["status"], int(described.get("redriveCount", 0))


def row_names(shown: Tag) -> list[str]:
    return [row["data-name"] for row in shown.select("tr.execution")]


def notices(shown: Tag) -> list[str]:
    return [text(item) for item in one(shown, "#notices").select("li")] if shown.select("#notices") else []


def test_another_host_is_refused_without_the_stack_in_the_body_and_a_form_from_another_origin_changes_nothing(
    stack: Stack, tmp_path: Path, fault_injector: Any
) -> None:
    # GIVEN an execution FAILED by a flatten outage that is over, and the console on the stack
    failed = failed_by_a_flatten_outage(stack, fault_injector, "raw/guard/a.json")
    client = console_client(embedded_target(stack, tmp_path), allow_actions=True)
    execution_page = f"/pipeline/executions/{failed['name']}"
    redrive = f"{execution_page}/redrive"

    # WHEN a page of another site, its name rebound to 127.0.0.1, asks for the console's pages
    for host in ("evil.example", "localhost.evil.example", "127.0.0.1.evil.example"):
        for path in (execution_page, "/pipeline/executions", "/quarantine"):
            refused = client.get(path, headers={"Host": host})
            # THEN it is refused, and nothing of the stack is in what that page could read
            assert refused.status_code == 421, (host, path)
            body = refused.get_data(as_text=True)
            leaked = [s for s in (failed["name"], stack.endpoint_url, stack.bucket, str(tmp_path)) if s in body]
            assert leaked == [], (host, path)
            assert "target:" not in body
            assert body.strip() == "the console answers only requests to 127.0.0.1 or localhost"
    # (the same request naming the console's host shows the execution: the Host alone made the difference)
    shown = page(client.get(execution_page))
    assert text(one(shown, "#redrive")) == "Redrive"
    assert not shown.select("#to-quarantine")  # an outage: the file is still in raw/

    # WHEN the redrive is posted without an Origin, or from another origin
    for origin in (None, "http://evil.example", "null", f"{HOST_URL}:8080", "https://localhost"):
        refused = client.post(redrive, headers={} if origin is None else {"Origin": origin})
        # THEN it is refused with the reason
        assert refused.status_code == 403, origin
        assert text(one(page(refused), "#error")) == "actions are taken only from the console's own pages"
    # AND posted through a rebound name, Origin and Host both the other site's, it is refused too
    rebound = client.post(redrive, headers={"Host": "evil.example", "Origin": "http://evil.example"})
    assert rebound.status_code == 421
    # AND nothing was redriven
    assert redrives(stack, failed) == ("FAILED", 0)

    # WHEN the form is posted from the console's own page, served on 127.0.0.1 with a port
    local = "http://127.0.0.1:5173"
    accepted = client.post(redrive, base_url=local, headers={"Origin": local})
    # THEN it is redriven (the guards compare the host and the origin with their port)
    assert accepted.status_code == 302
    (redriven,) = stack.wait_for([failed["executionArn"]])
    assert (redriven["status"], redrives(stack, failed)[1]) == ("SUCCEEDED", 1)


def test_on_aws_the_pages_say_actions_are_off_and_refuse_them_until_the_console_allows_actions(
    stack: Stack, fault_injector: Any
) -> None:
    # GIVEN an execution FAILED by a flatten outage that is over
    failed = failed_by_a_flatten_outage(stack, fault_injector, "raw/aws/a.json")
    execution_page = f"/pipeline/executions/{failed['name']}"
    # AND the console on the stack as on AWS (no endpoint), started without --allow-actions
    target = aws_target(stack)
    assert not target.is_embedded
    client = console_client(target, allow_actions=False)

    # WHEN the failed execution's page opens
    shown = page(client.get(execution_page))
    # THEN it names the AWS account, says actions are off and how to turn them on, and the Redrive button is disabled
    assert text(one(shown, "#target")).startswith("target: AWS account ")
    assert "start the console with --allow-actions" in text(one(shown, "#actions-off"))
    button = one(shown, "#redrive")
    assert "disabled" in button.attrs and "--allow-actions" in button["title"]
    # AND a page of another site asking through a rebound name learns nothing of the account
    rebound = client.get(execution_page, headers={"Host": "evil.example"})
    assert rebound.status_code == 421 and "AWS account" not in rebound.get_data(as_text=True)
    # AND the list's bulk redrive is disabled as well
    listing = page(client.get("/pipeline/executions"))
    assert "disabled" in one(one(listing, "#redrive-failed"), "button").attrs

    # WHEN the redrive, the bulk redrive and a replay are posted all the same, from the console's own pages
    refused = [
        post_form(client, f"{execution_page}/redrive"),
        post_form(client, "/pipeline/redrive-failed", {"since": "1h"}),
        post_form(client, "/quarantine/replay", {"key": "quarantine/aws/a.json"}),
    ]
    # THEN each is refused, saying how to allow actions, and nothing was redriven
    assert [response.status_code for response in refused] == [403, 403, 403]
    assert all("--allow-actions" in text(one(page(response), "#error")) for response in refused)
    assert redrives(stack, failed) == ("FAILED", 0)

    # WHEN the console is started with --allow-actions and the Redrive button pressed
    allowed = console_client(aws_target(stack), allow_actions=True)
    shown = page(allowed.get(execution_page))
    assert not shown.select("#actions-off") and "disabled" not in one(shown, "#redrive").attrs
    redriven_page = page(post_form(allowed, f"{execution_page}/redrive", follow_redirects=True))
    # THEN the page says it was redriven, and the execution ends SUCCEEDED
    assert notices(redriven_page) == ["redriven: 1"]
    (redriven,) = stack.wait_for([failed["executionArn"]])
    assert (redriven["status"], redrives(stack, failed)[1]) == ("SUCCEEDED", 1)


def test_a_missing_execution_or_machine_and_a_bad_filter_are_one_line_not_a_traceback(
    stack: Stack, tmp_path: Path
) -> None:
    # GIVEN the console on a stack
    client = console_client(embedded_target(stack, tmp_path), allow_actions=True)
    # WHEN pages of things that do not exist are asked for, and filters that mean nothing
    requests = {
        "/pipeline/executions/no-such-execution": (404, "ExecutionDoesNotExist: "),
        "/backfill/executions/no-such-execution": (404, "ExecutionDoesNotExist: "),
        "/nope/executions": (404, "no state machine 'nope': the console knows pipeline, backfill"),
        "/nope/executions/some-name": (404, "no state machine 'nope'"),
        "/pipeline/executions?status=BOGUS": (400, "status 'BOGUS': expected one of RUNNING, SUCCEEDED, FAILED"),
        "/pipeline/executions?since=yesterday": (400, f"started since 'yesterday': {SINCE_HELP}"),
        # An ARN in place of a name would reach another state machine's execution: not a name, so not found
        "/pipeline/executions/arn:aws:states:us-east-1:123456789012:execution:other:x": (
            404,
            "is not an execution name",
        ),
    }
    for path, (code, line) in requests.items():
        response = client.get(path)
        # THEN each answers its code with one line saying what is wrong, and no traceback
        assert response.status_code == code, path
        assert line in text(one(page(response), "#error")), path
        assert "Traceback" not in response.get_data(as_text=True), path
    # AND so do forms naming what does not exist
    forms = {
        "/pipeline/executions/no-such-execution/redrive": ({}, 404, "ExecutionDoesNotExist: "),
        "/pipeline/redrive-failed": ({"since": "yesterday"}, 400, f"started since 'yesterday': {SINCE_HELP}"),
        "/pipeline/executions/arn:aws:states:us-east-1:123456789012:execution:other:x/redrive": (
            {},
            404,
            "is not an execution name",
        ),
        "/quarantine/replay": ({"key": "quarantine/never/here.json"}, 400, "nothing quarantined at s3://"),
    }
    for path, (data, code, line) in forms.items():
        response = post_form(client, path, data)
        assert response.status_code == code, path
        assert line in text(one(page(response), "#error")), path
        assert "Traceback" not in response.get_data(as_text=True), path


def test_the_list_filters_by_status_and_key_and_pages_newest_first_without_losing_a_row(
    stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN 7 executions: 5 SUCCEEDED and 2 FAILED (quarantined files), under raw/a/ and raw/b/, pages of 5
    monkeypatch.setattr(execution_pages, "PAGE_SIZE", 5)
    files = {f"raw/a/good-{i}.json": orders_file(f"A{i}") for i in range(3)}
    files |= {f"raw/b/good-{i}.json": orders_file(f"B{i}") for i in range(2)}
    files |= {"raw/a/bad.json": bad_file(), "raw/b/bad.json": bad_file()}
    executions = stack.run(files)
    described = {e["name"]: stack.describe(e) for e in executions}
    newest_first = sorted(described, key=lambda name: described[name]["startDate"], reverse=True)
    assert len({d["startDate"] for d in described.values()}) == 7  # one order, no ties
    named = {stack.source_key(e): e["name"] for e in executions}
    client = console_client(embedded_target(stack, tmp_path), allow_actions=True)

    # WHEN the list opens
    first = page(client.get("/pipeline/executions"))
    # THEN it shows the 5 newest, newest first, with an older link and no link to the newest (it is that page)
    assert row_names(first) == newest_first[:5]
    assert not first.select("#newest")
    # WHEN the older link is followed
    second = page(client.get(one(first, "#older")["href"]))
    # THEN the other 2 show, with a link back to the newest and no older one
    assert row_names(second) == newest_first[5:]
    assert not second.select("#older")
    assert row_names(page(client.get(one(second, "#newest")["href"]))) == newest_first[:5]
    # AND a link the console did not make is one line, not a traceback
    forged = client.get("/pipeline/executions?page=2&after=bm90LWEtY3Vyc29y")
    assert forged.status_code == 400 and "not one the console made" in text(one(page(forged), "#error"))

    # WHEN the list is filtered by status
    failed = page(client.get("/pipeline/executions?status=FAILED"))
    # THEN only the FAILED ones show, each with its failed state and error
    assert set(row_names(failed)) == {named["raw/a/bad.json"], named["raw/b/bad.json"]}
    for row in failed.select("tr.execution"):
        assert row["data-status"] == "FAILED"
        assert (text(one(row, ".failed-state")), text(one(row, ".error"))) == ("Reject the file", "InvalidOrderFile")
    # AND exactly a page of SUCCEEDED ones has no older link
    succeeded = page(client.get("/pipeline/executions?status=SUCCEEDED"))
    assert row_names(succeeded) == [name for name in newest_first if described[name]["status"] == "SUCCEEDED"]
    assert len(row_names(succeeded)) == 5 and not succeeded.select("#older")

    # WHEN the list is filtered by key prefix, alone and with a status
    by_key = page(client.get("/pipeline/executions?key=raw/b/"))
    by_both = page(client.get("/pipeline/executions?key=raw/b/&status=FAILED"))
    # THEN only the files under it show, with their keys, whatever their status; with a status, only those
    assert sorted(text(one(row, ".source-key")) for row in by_key.select("tr.execution")) == [
        "raw/b/bad.json",
        "raw/b/good-0.json",
        "raw/b/good-1.json",
    ]
    assert row_names(by_both) == [named["raw/b/bad.json"]]
    # AND the filter form keeps what was asked for
    assert one(one(by_both, "#filters"), "option[selected]")["value"] == "FAILED"
    assert one(one(by_both, "#filters"), "input[name=key]")["value"] == "raw/b/"

    # WHEN filtered rows span two pages
    filtered = page(client.get("/pipeline/executions?key=raw/&since=1h"))
    older = one(filtered, "#older")["href"]
    # THEN the older link keeps the filters, and its page holds the rest
    query = parse_qs(urlsplit(older).query)
    assert (query.pop("key"), query.pop("since"), query.pop("page")) == (["raw/"], ["1h"], ["2"])
    assert list(query) == ["after"]  # where the search goes on
    assert row_names(filtered) + row_names(page(client.get(older))) == newest_first


def test_the_bulk_redrive_form_redrives_the_outage_and_names_the_quarantined_file_it_leaves_out(
    stack: Stack, tmp_path: Path, fault_injector: Any
) -> None:
    # GIVEN 3 executions FAILED by a flatten outage that is over, and 1 whose file was quarantined
    fault_injector.fail("FlattenOrders", "ConnectionResetError")
    files = {f"raw/outage/{i}.json": orders_file(f"O{i}") for i in range(3)} | {BAD_KEY: bad_file()}
    executions = stack.run(files)
    fault_injector.clear()
    assert [e["status"] for e in executions] == ["FAILED"] * 4
    by_key = {stack.source_key(e): e for e in executions}
    quarantined = by_key.pop(BAD_KEY)
    client = console_client(embedded_target(stack, tmp_path), allow_actions=True)

    # WHEN every failed execution since 1h is redriven from the list's form
    response = post_form(client, "/pipeline/redrive-failed", {"since": "1h"})
    # THEN the list opens again, saying 3 were redriven and why the quarantined file's execution was not
    assert response.status_code == 302 and urlsplit(response.location).path == "/pipeline/executions"
    assert notices(page(client.get(response.location))) == [
        f"redriven: 3; not redrivable: {quarantined['name']}: InvalidOrderFile: the file is in quarantine; fix it, "
        "then `orders-etl quarantine replay`"
    ]
    # AND the 3 end SUCCEEDED, redriven once; the quarantined file's execution is as it was
    ended = stack.wait_for([e["executionArn"] for e in by_key.values()])
    assert [e["status"] for e in ended] == ["SUCCEEDED"] * 3
    assert {redrives(stack, e)[1] for e in by_key.values()} == {1}
    assert redrives(stack, quarantined) == ("FAILED", 0)


def test_the_quarantine_page_lists_a_bad_file_with_its_problems_and_a_replay_of_the_fixed_file_succeeds(
    stack: Stack, tmp_path: Path
) -> None:
    # GIVEN a file that broke the contract, quarantined
    (first,) = stack.run({BAD_KEY: bad_file()})
    client = console_client(embedded_target(stack, tmp_path), allow_actions=True)

    # WHEN the quarantine page opens
    shown = page(client.get("/quarantine"))
    # THEN it lists the file with its error type, its problems at their positions, and its execution
    row = one(one(shown, "#quarantine"), "tr.quarantined")
    assert row["data-key"] == QUARANTINED
    assert text(one(row, ".error-type")) == "InvalidOrderFile"
    problems = [[text(cell) for cell in line.select("td")] for line in one(row, "table.problems").select("tr")]
    assert [(cells[0], cells[-1]) for cells in problems if cells] == [
        ("$[1].customer.customer_id", "<missing>"),
        ("$[1].products[0].price", "1.005"),
    ]
    link = one(row, "a.execution-link")
    assert (text(link), link["href"]) == (first["name"], f"/pipeline/executions/{first['name']}")
    # AND the link opens that execution's page, which says a redrive would not help
    execution = page(client.get(link["href"]))
    assert "the file is in quarantine" in text(one(execution, "#not-redrivable"))
    assert not execution.select("#redrive")
    assert one(execution, "#to-quarantine")["href"] == "/quarantine"

    # WHEN the fixed file is uploaded to the quarantined key and Replay pressed
    stack.upload({QUARANTINED: fixed_file()})
    replay = one(row, "form.action")
    assert one(replay, "input[name=key]")["value"] == QUARANTINED
    response = post_form(client, replay["action"], {"key": QUARANTINED})
    # THEN the list opens, saying where the file went
    assert response.status_code == 302 and urlsplit(response.location).path == "/pipeline/executions"
    said = notices(page(client.get(response.location)))
    assert said[0] == (
        f"moved s3://{stack.bucket}/{QUARANTINED} back to {BAD_KEY} and removed its report: its execution starts now"
    )
    # (S3 times have whole seconds: a fix uploaded within the second of its report gets the "may not" note)
    assert said[1:] in ([], [NOT_NEWER_NOTE])
    # AND the file's new execution succeeds, with the file in raw/ and nothing left in quarantine/
    executions = stack.wait_for_count(2)
    (replayed,) = [e for e in executions if e["executionArn"] != first["executionArn"]]
    assert replayed["status"] == "SUCCEEDED" and stack.source_key(replayed) == BAD_KEY
    assert stack.keys("raw/") == [BAD_KEY] and stack.get(BAD_KEY) == fixed_file()
    assert stack.keys("quarantine/") == []
    emptied = page(client.get("/quarantine"))
    assert text(one(one(emptied, "#quarantine"), "td.empty")) == "Nothing is in quarantine."


def nested_states(states: dict[str, Any]) -> set[str]:
    """The names of the states inside these states' Map processors and Parallel branches, at any depth."""
    names: set[str] = set()
    for state in states.values():
        scopes = [state.get("ItemProcessor") or state.get("Iterator") or {}, *state.get("Branches", [])]
        for scope in scopes:
            inner = scope.get("States", {})
            names |= set(inner) | nested_states(inner)
    return names


def test_a_backfill_page_shows_its_map_run_and_its_inner_states_as_in_the_map_run(stack: Stack, tmp_path: Path) -> None:
    # GIVEN 2 files in raw/, never processed, and a backfill over them, ended
    stack.pause_pipeline()
    stack.upload({f"raw/bf/f{i}.json": orders_file(f"F{i}", rows=2) for i in range(2)})
    sfn = stack.client("stepfunctions")
    backfill_arn = stack.outputs["BackfillStateMachineArn"]
    # (the input `orders-etl backfill --prefix bf/` starts it with)
    arn = sfn.start_execution(stateMachineArn=backfill_arn, input=json.dumps({"prefix": "raw/bf/"}))["executionArn"]
    (backfill,) = stack.wait_for([arn])
    assert backfill["status"] == "SUCCEEDED"
    reached = set(stack.states(backfill))
    definition = json.loads(sfn.describe_state_machine(stateMachineArn=backfill_arn)["definition"])
    client = console_client(embedded_target(stack, tmp_path), allow_actions=True)

    # WHEN its page opens
    shown = page(client.get(f"/backfill/executions/{backfill['name']}"))
    # THEN it shows one Map Run, every item of which succeeded
    (run,) = one(shown, "#map-runs").select("tr.map-run")
    cells = [text(cell) for cell in run.select("td")]
    assert cells[1] == "SUCCEEDED"
    assert (cells[2], cells[6]) == ("2", "2")  # items: succeeded, total
    # AND its input and output, the backfill's summary among them, as the Step Functions console shows them
    assert json.loads(text(one(shown, "#execution-input pre"))) == {"prefix": "raw/bf/"}
    summary = json.loads(one(shown, "#execution-output pre").get_text())["summary"]
    assert (summary["files"], summary["published"], summary["quarantined"]) == (2, 2, 0)
    # AND the Distributed Map's inner states are shown as run in the Map Run, not as not reached
    statuses = {row["data-state"]: row["data-status"] for row in one(shown, "#states").select(".state")}
    inner = nested_states(definition["States"])
    assert {"Validate order file", "Flatten to Parquet"} <= inner
    assert {name: statuses[name] for name in inner} == dict.fromkeys(inner, "inmaprun")
    # AND the top-level states it went through succeeded; the others were not reached
    assert {"Process every file", "Backfill done"} <= reached
    assert {name: statuses[name] for name in definition["States"]} == {
        name: "succeeded" if name in reached else "notreached" for name in definition["States"]
    }
    assert statuses["Prefix outside the raw area"] == "notreached"


def test_a_task_that_succeeded_after_a_retry_shows_the_retry_not_an_error(
    stack: Stack, tmp_path: Path, fault_injector: Any
) -> None:
    # GIVEN flatten's first call fails with an error its Retry covers, and the second succeeds
    fault_injector.fail("FlattenOrders", "Lambda.ServiceException", count=1)
    (execution,) = stack.run({"raw/retried/a.json": orders_file("R")})
    assert execution["status"] == "SUCCEEDED"
    # WHEN its page is shown
    client = console_client(embedded_target(stack, tmp_path), allow_actions=True)
    shown = page(client.get(f"/pipeline/executions/{execution['name']}"))
    # THEN Flatten is succeeded with one retry, and its error is shown as the retried attempt's, not as its outcome
    flatten = one(shown, 'tr.state[data-state="Flatten to Parquet"]')
    assert flatten["data-status"] == "succeeded"
    cells = [text(cell) for cell in flatten.select("td")]
    assert cells[4] == "1"  # retries
    assert cells[5] == "retried after Lambda.ServiceException"
    assert one(flatten, "td.state-error span.note")
    detail = one(shown, '.state-detail[data-state="Flatten to Parquet"]')
    assert "Error of an attempt that was retried" in text(detail)
    assert "Lambda.ServiceException" in text(one(detail, 'pre[data-field="error"]'))


def test_a_replay_of_a_file_not_newer_than_its_report_says_it_may_not_be_fixed(stack: Stack, tmp_path: Path) -> None:
    # GIVEN a quarantined file that nobody fixed
    (first,) = stack.run({BAD_KEY: bad_file()})
    client = console_client(embedded_target(stack, tmp_path), allow_actions=True)
    # WHEN it is replayed from the page
    response = post_form(client, "/quarantine/replay", {"key": QUARANTINED}, follow_redirects=True)
    # THEN the page says it moved, and warns that it may not be fixed (the CLI prints the same note)
    said = notices(page(response))
    assert said[0].startswith(f"moved s3://{stack.bucket}/{QUARANTINED} back to {BAD_KEY}")
    assert said[1:] == [NOT_NEWER_NOTE]
    # AND its new execution quarantines it again
    (again,) = [e for e in stack.wait_for_count(2) if e["executionArn"] != first["executionArn"]]
    assert again["status"] == "FAILED" and stack.keys("quarantine/") == [QUARANTINED, f"{QUARANTINED}.error.json"]


def test_without_mermaids_bundle_the_page_says_how_to_fetch_it_and_still_lists_the_states(
    stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a console whose copy of mermaid was never fetched (no npm on the machine)
    monkeypatch.setattr(console_app, "MERMAID", tmp_path / "no-mermaid.min.js")
    (execution,) = stack.run({BAD_KEY: bad_file()})
    client = console_client(embedded_target(stack, tmp_path), allow_actions=True)
    # WHEN an execution's page is shown
    shown = page(client.get(f"/pipeline/executions/{execution['name']}"))
    # THEN it says which target fetches the graph library, loads no script for it, and the states are all there
    assert "make console-assets" in text(one(shown, "#graph-missing"))
    assert not [tag for tag in shown.select("script[src]") if "mermaid" in tag["src"]]
    statuses = {row["data-state"]: row["data-status"] for row in shown.select("tr.state")}
    assert (statuses["Validate order file"], statuses["Reject the file"]) == ("caught", "failed")


def test_the_list_shows_a_redriven_execution_as_it_is_now_not_as_first_described(
    stack: Stack, tmp_path: Path, fault_injector: Any
) -> None:
    # GIVEN a console that has listed (and so described) a FAILED execution
    failed = failed_by_a_flatten_outage(stack, fault_injector, "raw/again/a.json")
    client = console_client(embedded_target(stack, tmp_path), allow_actions=True)
    before = one(page(client.get("/pipeline/executions")), f'tr.execution[data-name="{failed["name"]}"]')
    assert (before["data-status"], text(one(before, ".redrives"))) == ("FAILED", "")
    # WHEN it is redriven and succeeds
    post_form(client, f"/pipeline/executions/{failed['name']}/redrive")
    stack.wait_for([failed["executionArn"]])
    # THEN the same console lists it SUCCEEDED, redriven once, without its old error
    after = one(page(client.get("/pipeline/executions")), f'tr.execution[data-name="{failed["name"]}"]')
    assert (after["data-status"], text(one(after, ".redrives")), text(one(after, ".error"))) == ("SUCCEEDED", "1", "")
