"""GetExecutionHistory as the Step Functions API pages it (moto returns every event, oldest first, whatever asked).

AWS (API reference, GetExecutionHistory): `reverseOrder` lists the events newest first; `maxResults` is the page
size, 100 when 0 or absent, at most 1000; a `nextToken` is returned while events remain, and a caller passes it
back for the next page (a token that is not one is refused with InvalidToken). Callers that read only the newest
events (the notifier, `orders-etl executions list`) depend on it. Not emulated: `includeExecutionData` (the
events always carry their input and output) and the tokens' 24-hour expiry.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from moto.core.exceptions import AWSError
from moto.core.responses import ActionResult
from moto.stepfunctions.responses import StepFunctionResponse

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000


class InvalidToken(AWSError):  # type: ignore[misc]  # moto is untyped here
    TYPE = "InvalidToken"
    STATUS = 400


@contextmanager
def installed() -> Iterator[None]:
    with mock.patch.multiple(StepFunctionResponse, get_execution_history=_get_execution_history):
        yield


def page(events: list[Any], reverse: bool, max_results: int | None, token: str | None) -> dict[str, Any]:
    """One page of `events` (oldest first), as GetExecutionHistory answers it."""
    size = min(max_results or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    ordered = list(reversed(events)) if reverse else list(events)
    start = _decode(token, reverse) if token else 0
    answer: dict[str, Any] = {"events": ordered[start : start + size]}
    if start + size < len(ordered):
        answer["nextToken"] = _encode(start + size, reverse)
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


def _encode(offset: int, reverse: bool) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset, "reverse": reverse}).encode()).decode()


def _decode(token: str, reverse: bool) -> int:
    try:
        document = json.loads(base64.urlsafe_b64decode(token.encode()))
        offset = int(document["offset"])
    except (ValueError, KeyError, TypeError, binascii.Error) as error:
        raise InvalidToken(f"Invalid Token: '{token}'") from error
    if document.get("reverse") != reverse:  # a token belongs to the listing that gave it
        raise InvalidToken(f"Invalid Token: '{token}'")
    return offset
