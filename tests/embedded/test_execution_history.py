"""embedded_aws.execution_history: GetExecutionHistory pages the events, newest first when asked, as AWS does."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from embedded_aws.page_tokens import DEFAULT_PAGE_SIZE

# 60 rounds of two states, each entered and exited: 244 events in all, well over a page.
LOOP = {
    "StartAt": "Count",
    "States": {
        "Count": {
            "Type": "Pass",
            "Parameters": {"count.$": "States.MathAdd($.count, 1)"},
            "Next": "Again?",
        },
        "Again?": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.count", "NumericLessThan": 60, "Next": "Count"}],
            "Default": "Done",
        },
        "Done": {"Type": "Succeed"},
    },
}


@pytest.fixture
def execution_arn(aws: Any) -> str:
    described = aws.run_to_end(aws.state_machine("loops", LOOP), {"count": 0})
    assert described["status"] == "SUCCEEDED"
    return str(described["executionArn"])


def every_event(sfn: Any, arn: str, **arguments: Any) -> list[dict[str, Any]]:
    pages = sfn.get_paginator("get_execution_history").paginate(executionArn=arn, **arguments)
    return [event for page in pages for event in page["events"]]


def test_a_call_without_max_results_gets_a_page_of_100_and_a_token(aws: Any, execution_arn: str) -> None:
    sfn = aws.client("stepfunctions")

    first = sfn.get_execution_history(executionArn=execution_arn)

    assert [event["id"] for event in first["events"]] == list(range(1, DEFAULT_PAGE_SIZE + 1))
    assert "nextToken" in first
    second = sfn.get_execution_history(executionArn=execution_arn, nextToken=first["nextToken"])
    assert second["events"][0]["id"] == DEFAULT_PAGE_SIZE + 1


def test_reverse_order_lists_the_newest_first_and_the_pages_add_up_to_the_history(aws: Any, execution_arn: str) -> None:
    sfn = aws.client("stepfunctions")
    forward = every_event(sfn, execution_arn, PaginationConfig={"PageSize": 1000})

    newest_first = every_event(sfn, execution_arn, reverseOrder=True, PaginationConfig={"PageSize": 20})

    assert len(forward) == 244 and forward[-1]["type"] == "ExecutionSucceeded"
    assert newest_first == list(reversed(forward))
    (last,) = sfn.get_execution_history(executionArn=execution_arn, reverseOrder=True, maxResults=1)["events"]
    assert last["type"] == "ExecutionSucceeded"


def test_a_token_that_is_not_one_or_belongs_to_another_order_is_refused(aws: Any, execution_arn: str) -> None:
    sfn = aws.client("stepfunctions")
    token = sfn.get_execution_history(executionArn=execution_arn, maxResults=10)["nextToken"]

    for arguments in ({"nextToken": "not-a-token"}, {"nextToken": token, "reverseOrder": True}):
        with pytest.raises(ClientError) as raised:
            sfn.get_execution_history(executionArn=execution_arn, **arguments)
        assert raised.value.response["Error"]["Code"] == "InvalidToken"
