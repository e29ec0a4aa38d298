"""Every `orders-etl` command ends a failure with one line on stderr and exit 1, never a traceback (one place:
orders_etl_cli.failures); `--debug` shows the traceback instead."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, NoRegionError

from orders_etl_cli.failures import CommandError, describe, run_reporting_failures


def raising(error: BaseException) -> Callable[[], int]:
    def command() -> int:
        raise error

    return command


@pytest.mark.parametrize(
    ("error", "line"),
    [
        (CommandError("--since '2x': expected e.g. 2h"), "error: --since '2x': expected e.g. 2h"),
        (
            ClientError(
                {"Error": {"Code": "ExecutionDoesNotExist", "Message": "Execution Does Not Exist: 'arn:x'"}},
                "DescribeExecution",
            ),
            "error: ExecutionDoesNotExist: Execution Does Not Exist: 'arn:x' (DescribeExecution)",
        ),
        (NoRegionError(), "error: You must specify a region.: is the embedded AWS running"),
        (EndpointConnectionError(endpoint_url="http://127.0.0.1:4566/"), "error: Could not connect to the endpoint"),
        (FileNotFoundError(2, "No such file or directory", "/x/y.json"), "error: No such file or directory: /x/y.json"),
    ],
    ids=["ours", "aws", "no-region", "unreachable", "missing-file"],
)
def test_a_failure_is_one_line_in_the_user_s_words_and_exit_1(
    error: BaseException, line: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # WHEN a command fails with it
    code = run_reporting_failures(raising(error))
    # THEN one line says what is wrong (and what to do), the exit code is 1, and nothing else is printed
    captured = capsys.readouterr()
    assert code == 1
    assert captured.err.startswith(line) and captured.err.count("\n") == 1, captured.err
    assert "Traceback" not in captured.err and captured.out == ""


def test_debug_shows_the_traceback_instead() -> None:
    with pytest.raises(NoRegionError):
        run_reporting_failures(raising(NoRegionError()), debug=True)


def test_a_reader_that_goes_away_ends_the_command_quietly(capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN the output is piped into `head`, which exits WHEN the command writes on THEN no error is printed
    assert run_reporting_failures(raising(BrokenPipeError())) == 1
    assert capsys.readouterr().err == ""


def test_an_error_without_a_message_is_named() -> None:
    assert describe(RuntimeError()) == "RuntimeError"
