"""AWS errors worth trying again later, under the one name the state machines retry: `AwsServiceBusy`.

botocore already retries a throttled or failing call a few times within milliseconds to seconds. Under a burst
(hundreds of executions polling GetCrawler at once, S3 answering SlowDown on a hot prefix) that is not enough,
and the execution would fail and wait for a person. A handler decorated with `retry_later_when_aws_is_busy`
turns such an error, once botocore has given up, into `AwsServiceBusy`: its Task's Retry waits longer, with
backoff and jitter. Permanent errors (AccessDenied, NoSuchBucket, a bad parameter) keep their own names and are
never retried: retrying cannot fix them. Which codes count as passing is botocore's own list (its standard
retry mode), not ours.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from types import SimpleNamespace
from typing import ParamSpec, TypeVar

from botocore.exceptions import ClientError, ConnectionError, HTTPClientError
from botocore.retries.standard import RetryContext, ThrottledRetryableChecker, TransientRetryableChecker

from orders_etl.errors import AwsServiceBusy, OrdersEtlError

_P = ParamSpec("_P")
_R = TypeVar("_R")
_CHECKERS = (ThrottledRetryableChecker(), TransientRetryableChecker())


def is_passing(error: BaseException) -> bool:
    """True for a throttling or passing server error (or a broken connection), as botocore's standard mode says."""
    if isinstance(error, ClientError):
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        context = RetryContext(
            attempt_number=1, parsed_response=error.response, http_response=SimpleNamespace(status_code=status)
        )
    elif isinstance(error, ConnectionError | HTTPClientError):
        context = RetryContext(attempt_number=1, caught_exception=error)
    else:
        return False
    return any(checker.is_retryable(context) for checker in _CHECKERS)


def retry_later_when_aws_is_busy(handler: Callable[_P, _R]) -> Callable[_P, _R]:
    """Raise `AwsServiceBusy` for a passing AWS error that outlasted botocore's retries (also when a library
    wrapped it, as s3transfer's S3UploadFailedError does); anything else as it is."""

    @functools.wraps(handler)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return handler(*args, **kwargs)
        except OrdersEtlError:
            raise  # our own verdicts (a bad file...) keep their names, whatever happened before them
        except Exception as error:
            aws_error = _aws_error_in(error)
            if aws_error is not None and is_passing(aws_error):
                raise AwsServiceBusy(_describe(aws_error)) from error
            raise

    return wrapper


def _aws_error_in(error: BaseException) -> BaseException | None:
    """The AWS SDK error that `error` is, or was raised from (its chain of causes)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, ClientError | ConnectionError | HTTPClientError):
            found: BaseException = current  # botocore is untyped: keep the type mypy knows
            return found
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _describe(error: BaseException) -> str:
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "?")
        return f"{error.operation_name} kept failing with {code} after the SDK's retries: {error}"
    return f"an AWS call kept failing after the SDK's retries: {error}"
