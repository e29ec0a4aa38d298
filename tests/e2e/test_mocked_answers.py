"""The MockConfigFile's answers have the shape of the real functions' answers, so the mocked cases stay true."""

from __future__ import annotations

import json
from typing import Any

from orders_etl_cli.executions import history
from state_machine.engines import MOCK_CONFIG
from support import Stack, order, product


def real_payloads(stack: Stack, execution: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """State name -> the Payload its Lambda returned, from the execution history."""
    current, payloads = None, {}
    for event in history(stack.client("stepfunctions"), execution["executionArn"]):
        if event["type"].endswith("StateEntered"):
            current = event["stateEnteredEventDetails"]["name"]
        elif event["type"] == "TaskSucceeded" and current:
            payloads[current] = json.loads(event["taskSucceededEventDetails"]["output"])["Payload"]
    return payloads


def mocked_payloads() -> dict[str, list[dict[str, Any]]]:
    """State name -> every Payload the MockConfigFile's test cases return for it."""
    config = json.loads(MOCK_CONFIG.read_text(encoding="utf-8"))
    found: dict[str, list[dict[str, Any]]] = {}
    for cases in config["StateMachines"].values():
        for case in cases["TestCases"].values():
            for state, response_name in case.items():
                for response in config["MockedResponses"][response_name].values():
                    if "Return" in response:
                        found.setdefault(state, []).append(response["Return"]["Payload"])
    return found


def test_every_mocked_answer_has_the_fields_and_types_of_the_real_function_s(stack: Stack) -> None:
    # GIVEN one good and one bad file run through the real functions
    good = json.dumps([order("A-1", "2025-03-01", product("P-1", 2.5, 2))]).encode()
    bad = json.dumps([order("A-2", "not a date")]).encode()
    executions = stack.run({"raw/shape/good.json": good, "raw/shape/bad.json": bad})
    real: dict[str, dict[str, Any]] = {}
    for execution in executions:
        real.update(real_payloads(stack, execution))

    # THEN for every mocked state, each mocked Payload has exactly the real one's fields, with the same JSON types
    mocked = mocked_payloads()
    assert set(mocked) == set(real)
    for state, payloads in mocked.items():
        for payload in payloads:
            assert {k: type(v) for k, v in payload.items()} == {k: type(v) for k, v in real[state].items()}, state
    # AND each mocked data error carries a Cause shaped like the real one (the quarantine report is built from it)
    (failed,) = [e for e in executions if e["status"] == "FAILED"]
    real_cause = json.loads(stack.describe(failed)["cause"])
    for thrown in mocked_data_errors():
        cause = json.loads(thrown["Cause"])
        assert set(cause) == set(real_cause) and cause["errorType"] == thrown["Error"], thrown


def mocked_data_errors() -> list[dict[str, str]]:
    config = json.loads(MOCK_CONFIG.read_text(encoding="utf-8"))
    responses = [r for named in config["MockedResponses"].values() for r in named.values()]
    return [r["Throw"] for r in responses if r.get("Throw", {}).get("Error") in ("InvalidOrderFile", "FileTooLarge")]
