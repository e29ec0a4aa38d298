"""How every `orders-etl` command ends when something goes wrong: one line on stderr saying what is wrong and
what to do, exit 1, never a traceback (`--debug` shows it). Usage mistakes exit 2: argparse's, and UsageError."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable

from botocore.exceptions import (
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    ProfileNotFound,
)


class CommandError(Exception):
    """A failure the command explains itself: its message is the whole line the user sees."""


class UsageError(CommandError):
    """Arguments that argparse accepted one by one but that do not go together: exit 2, as argparse's mistakes."""


FAILED = 1
USAGE = 2
INTERRUPTED = 130  # what a shell reports for Ctrl-C

_REACH_HINT = "is the embedded AWS running (`make local`), or are --region/--profile those of the stack on AWS?"


def run_reporting_failures(command: Callable[[], int], *, debug: bool = False) -> int:
    """Run `command`; a failure becomes one `error:` line and exit 1 (with `debug`, the traceback instead)."""
    try:
        return command()
    except BrokenPipeError:
        _silence_stdout()
        return FAILED
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return INTERRUPTED
    except Exception as error:
        if debug:
            raise
        print(f"error: {describe(error)}", file=sys.stderr)
        return USAGE if isinstance(error, UsageError) else FAILED


def _silence_stdout() -> None:
    """The reader went away (`... | head`): stop writing, without a second error when Python flushes stdout."""
    with contextlib.suppress(AttributeError, OSError, ValueError):  # a stdout that is not a file (a capture)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def describe(error: BaseException) -> str:
    """The error in the user's words: what went wrong and, where we know it, what to do."""
    if isinstance(error, CommandError):
        return str(error)
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        code, message = details.get("Code", "Error"), details.get("Message") or str(error)
        return f"{code}: {message} ({error.operation_name})"
    if isinstance(error, NoRegionError | EndpointConnectionError):
        return f"{error}: {_REACH_HINT}"
    if isinstance(error, NoCredentialsError | ProfileNotFound):
        return f"{error}: configure AWS credentials (or start the embedded AWS: `make local`)"
    if isinstance(error, OSError) and error.filename:
        return f"{error.strerror}: {error.filename}"
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
