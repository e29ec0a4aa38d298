"""embedded_aws.execution_listing: a ListExecutions nextToken stays valid while executions change status."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

# Waits a day (15 minutes here, at 1/100): each execution stays RUNNING until the test stops it.
WAITING = {"StartAt": "Wait", "States": {"Wait": {"Type": "Wait", "Seconds": 86400, "End": True}}}


def running_machine(aws: Any, executions: int, name: str = "waits") -> tuple[str, list[str]]:
    """A state machine with `executions` RUNNING executions; their ARNs newest first, as ListExecutions orders them."""
    machine = aws.state_machine(name, WAITING)
    sfn = aws.client("stepfunctions")
    for _ in range(executions):
        sfn.start_execution(stateMachineArn=machine, input="{}")
    listed = sfn.list_executions(stateMachineArn=machine)
    assert "nextToken" not in listed
    return machine, [execution["executionArn"] for execution in listed["executions"]]


def stop(aws: Any, *arns: str) -> None:
    for arn in arns:
        aws.client("stepfunctions").stop_execution(executionArn=arn)


def test_running_executions_listed_page_by_page_while_some_finish(aws: Any) -> None:
    # GIVEN five RUNNING executions, listed two a page
    machine, arns = running_machine(aws, 5)
    sfn = aws.client("stepfunctions")
    first = sfn.list_executions(stateMachineArn=machine, statusFilter="RUNNING", maxResults=2)
    assert [e["executionArn"] for e in first["executions"]] == arns[:2]

    # WHEN the execution that would open the next page finishes before the next page is asked for
    stop(aws, *arns[:3])
    second = sfn.list_executions(
        stateMachineArn=machine, statusFilter="RUNNING", maxResults=2, nextToken=first["nextToken"]
    )

    # THEN the token is still valid (as on AWS, for 24 hours) and the page holds the ones still RUNNING after it
    assert [e["executionArn"] for e in second["executions"]] == arns[3:]
    assert "nextToken" not in second
    stop(aws, *arns[3:])


def test_pages_without_a_filter_list_each_execution_once_in_order(aws: Any) -> None:
    machine, arns = running_machine(aws, 5)
    pages = (
        aws.client("stepfunctions")
        .get_paginator("list_executions")
        .paginate(stateMachineArn=machine, PaginationConfig={"PageSize": 2})
    )
    assert [e["executionArn"] for page in pages for e in page["executions"]] == arns
    stop(aws, *arns)


@pytest.mark.parametrize("change", ["not a token", "another filter", "another machine"])
def test_a_token_that_is_not_one_for_this_request_is_refused(aws: Any, change: str) -> None:
    machine, arns = running_machine(aws, 3)
    other, other_arns = running_machine(aws, 1, "other") if change == "another machine" else (machine, [])
    sfn = aws.client("stepfunctions")
    token = sfn.list_executions(stateMachineArn=machine, statusFilter="RUNNING", maxResults=1)["nextToken"]
    request = {"stateMachineArn": machine, "statusFilter": "RUNNING", "nextToken": token}
    if change == "not a token":
        request["nextToken"] = "bm90IGEgdG9rZW4="
    elif change == "another filter":
        request["statusFilter"] = "SUCCEEDED"
    else:
        request["stateMachineArn"] = other
    with pytest.raises(ClientError) as refused:
        sfn.list_executions(**request)
    assert refused.value.response["Error"]["Code"] == "InvalidToken"
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    stop(aws, *arns, *other_arns)
