"""The quarantine report built from a Step Functions Catch error (orders_etl.quarantine)."""

from __future__ import annotations

import json

from orders_etl.errors import InvalidOrderFile, Problem
from orders_etl.quarantine import build_report, error_message


def lambda_cause(error: Exception) -> str:
    """What Step Functions puts in Cause for a Lambda function error."""
    return json.dumps({"errorType": type(error).__name__, "errorMessage": str(error), "stackTrace": ["..."]})


def test_report_lists_every_problem_with_its_position() -> None:
    # GIVEN the error a validate function raised, as the Catch block hands it over
    problems = [
        Problem("$[3].products[1].price", "price", "1.005", "a number >= 0 with at most 2 decimals"),
        Problem("line 7 $.order_id", "order_id", "<missing>", "a non-empty string or integer"),
    ]
    error = {"Error": "InvalidOrderFile", "Cause": lambda_cause(InvalidOrderFile("raw/x.json", problems))}
    # WHEN the report is built
    report = build_report("raw/x.json", "quarantine/x.json", error, "arn:aws:states:...:execution:sm:run")
    # THEN it carries the error type, the headline and each problem as structured fields
    assert report["error_type"] == "InvalidOrderFile"
    assert report["message"] == "raw/x.json: 2 problems (showing 2)"
    assert report["problems"] == [
        {"position": p.position, "field": p.field, "value": p.value, "expected": p.expected} for p in problems
    ]
    assert report["execution_arn"].endswith(":run")


def test_a_cause_that_is_not_a_lambda_error_document_is_kept_as_the_message() -> None:
    assert error_message("plain text cause") == "plain text cause"
    assert error_message(json.dumps({"other": 1})) == '{"other": 1}'


def test_a_timeout_report_says_what_happened_and_what_to_do() -> None:
    # GIVEN the Catch error of a validate that ran past its Timeout twice (Lambda's document as the cause)
    message = "RequestId: 0c1d2e3f-0000-4000-8000-000000000000 Error: Task timed out after 900.00 seconds"
    cause = json.dumps({"errorMessage": message, "errorType": "Sandbox.Timedout"})
    # WHEN the report is built
    report = build_report("raw/x.json", "quarantine/x.json", {"Error": "Sandbox.Timedout", "Cause": cause}, "arn")
    # THEN it names the timeout and its length first, then what to do; there are no problems to list
    assert report["error_type"] == "Sandbox.Timedout"
    assert report["message"].startswith("timed out twice: Task timed out after 900.00 seconds. ")
    assert "ValidateMemorySize" in report["message"] and "replay" in report["message"]
    assert report["problems"] == []
