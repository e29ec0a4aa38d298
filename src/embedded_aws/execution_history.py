"""GetExecutionHistory as the Step Functions API pages it (moto returns every event, oldest first, whatever asked).

AWS (API reference, GetExecutionHistory): `reverseOrder` lists the events newest first; `maxResults` is the page
size, 100 when 0 or absent, at most 1000; a `nextToken` is returned while events remain, and a caller passes it
back for the next page (a token that is not one is refused with InvalidToken). Callers that read only the newest
events (the notifier, `orders-etl executions list`) depend on it. Not emulated: `includeExecutionData` (the
events always carry their input and output) and the tokens' 24-hour expiry.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from moto.core.responses import ActionResult
from moto.stepfunctions.responses import StepFunctionResponse

from embedded_aws import page_tokens


@contextmanager
def installed() -> Iterator[None]:
    with mock.patch.multiple(StepFunctionResponse, get_execution_history=_get_execution_history):
        yield


def page(events: list[Any], reverse: bool, max_results: int | None, token: str | None) -> dict[str, Any]:
    """One page of `events` (oldest first), as GetExecutionHistory answers it."""
    size = page_tokens.page_size(max_results)
    ordered = list(reversed(events)) if reverse else list(events)
    request = {"reverse": reverse}  # a token belongs to the listing that gave it
    start = int(page_tokens.decode(token, request)) if token else 0
    answer: dict[str, Any] = {"events": ordered[start : start + size]}
    if start + size < len(ordered):
        answer["nextToken"] = page_tokens.encode(request, start + size)
    return answer


def _get_execution_history(self: StepFunctionResponse) -> ActionResult:
    history = self.stepfunction_backend.get_execution_history(self._get_param("executionArn"))
    events = list(history["events"])
    answer = page(
        events,
        reverse=bool(self._get_param("reverseOrder", False)),
        max_results=self._get_param("maxResults"),
        token=self._get_param("nextToken"),
    )
    return ActionResult(answer)
