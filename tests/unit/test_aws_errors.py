"""orders_etl.aws_errors: passing AWS errors become AwsServiceBusy (retried by the state machines); others do not."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from boto3.exceptions import S3UploadFailedError
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

from orders_etl.aws_errors import retry_later_when_aws_is_busy
from orders_etl.errors import AwsServiceBusy, InvalidOrderFile


def aws_error(code: str, status: int, operation: str = "GetObject") -> ClientError:
    response = {"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}}
    return ClientError(response, operation)


def raising(error: BaseException) -> None:
    @retry_later_when_aws_is_busy
    def handler() -> None:
        raise error

    handler()


@pytest.mark.parametrize(
    "error",
    [
        aws_error("SlowDown", 503),
        aws_error("ThrottlingException", 400, "GetCrawler"),
        aws_error("Throttling", 400),
        aws_error("TooManyRequestsException", 429),
        aws_error("InternalError", 500),
        aws_error("ServiceUnavailable", 503),
        EndpointConnectionError(endpoint_url="https://s3.amazonaws.com"),
        ReadTimeoutError(endpoint_url="https://glue.amazonaws.com"),
    ],
    ids=str,
)
def test_a_passing_error_is_retried_later_under_one_name(error: BaseException) -> None:
    with pytest.raises(AwsServiceBusy, match="after the SDK's retries") as raised:
        raising(error)
    assert raised.value.__cause__ is error


@pytest.mark.parametrize(
    "error",
    [aws_error("AccessDenied", 403), aws_error("NoSuchBucket", 404), aws_error("ValidationException", 400)],
    ids=str,
)
def test_a_permanent_error_keeps_its_name_and_is_never_retried(error: ClientError) -> None:
    with pytest.raises(ClientError) as raised:
        raising(error)
    assert raised.value is error


def test_a_wrapped_passing_error_is_found_behind_the_wrapper() -> None:
    # s3transfer raises S3UploadFailedError while handling the ClientError of the failed upload
    def upload() -> None:
        try:
            raise aws_error("SlowDown", 503, "PutObject")
        except ClientError as error:
            raise S3UploadFailedError(f"Failed to upload: {error}") from error

    with pytest.raises(AwsServiceBusy, match="PutObject kept failing with SlowDown"):
        raising_from(upload)


def test_our_own_verdicts_keep_their_names() -> None:
    def validate() -> None:
        try:
            raise aws_error("SlowDown", 503)
        except ClientError:
            raise InvalidOrderFile("raw/a.json", []) from None

    with pytest.raises(InvalidOrderFile):
        raising_from(validate)


def raising_from(function: Callable[[], None]) -> None:
    retry_later_when_aws_is_busy(function)()
