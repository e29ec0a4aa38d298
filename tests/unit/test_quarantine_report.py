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
