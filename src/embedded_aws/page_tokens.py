"""Step Functions' pagination tokens here: opaque to callers, each tied to the request that returned it.

AWS: "Keep all other arguments unchanged"; a token that is not one, or that another request returned, is refused
with a 400 InvalidToken. Not emulated: a token's 24-hour expiry.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from moto.core.exceptions import AWSError

DEFAULT_PAGE_SIZE = 100  # maxResults 0 or absent
MAX_PAGE_SIZE = 1000


class InvalidToken(AWSError):  # type: ignore[misc]  # moto is untyped here
    TYPE = "InvalidToken"
    STATUS = 400


def page_size(max_results: int | None) -> int:
    return min(max_results or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


def encode(request: dict[str, Any], position: Any) -> str:
    """A token for the page at `position` of the listing that `request` (its other arguments) asked for."""
    document = {"request": request, "position": position}
    return base64.urlsafe_b64encode(json.dumps(document).encode()).decode()


def decode(token: str, request: dict[str, Any]) -> Any:
    """The position a token names; InvalidToken unless it is a token of a request with these arguments."""
    try:
        document = json.loads(base64.urlsafe_b64decode(token.encode()))
        if document["request"] == request:
            return document["position"]
    except (ValueError, KeyError, TypeError, binascii.Error) as error:
        raise InvalidToken(f"Invalid Token: '{token}'") from error
    raise InvalidToken(f"Invalid Token: '{token}'")
