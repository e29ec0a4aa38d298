"""ListExecutions' nextToken as a cursor that survives executions changing status between pages.

moto's token names the next page's first execution and looks for it among the executions that match the filter
now: listing RUNNING executions page by page while they finish (what a client waiting for a burst does) fails
with `InvalidToken: Resource not found!` as soon as that one has finished. On AWS a token stays valid for 24 hours
whatever the executions do meanwhile. Here it holds the position after the last execution returned (newest first,
then by ARN), and the next page lists the executions that match the filter now from that position on. A token
that is not one, or that comes with another state machine or filter, is refused with `InvalidToken`, as on AWS.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from unittest import mock

from moto.stepfunctions.models import Execution, StepFunctionBackend

from embedded_aws import page_tokens


@contextmanager
def installed() -> Iterator[None]:
    with mock.patch.object(StepFunctionBackend, "list_executions", _list_executions):
        yield


def _order(execution: Execution) -> tuple[datetime, str]:
    return execution.start_date, execution.execution_arn


def _list_executions(
    self: StepFunctionBackend,
    state_machine_arn: str,
    status_filter: str | None = None,
    max_results: int | None = None,
    next_token: str | None = None,
) -> tuple[list[Execution], str | None]:
    executions = self.describe_state_machine(state_machine_arn).executions
    matching = sorted(
        (e for e in executions if not status_filter or e.status == status_filter), key=_order, reverse=True
    )
    request = {"stateMachineArn": state_machine_arn, "statusFilter": status_filter}
    if next_token:
        started, arn = page_tokens.decode(next_token, request)
        after = datetime.fromisoformat(started), arn
        matching = [e for e in matching if _order(e) < after]
    page = matching[: page_tokens.page_size(max_results)]
    if len(page) == len(matching):
        return page, None
    last = page[-1]
    return page, page_tokens.encode(request, [last.start_date.isoformat(), last.execution_arn])
