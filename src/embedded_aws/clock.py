"""Compresses time in the state machine engine: Wait states and Retry intervals sleep `scale` x their seconds.

Real waits (a 30 s crawl poll, retries backing off over minutes) would make every local run and test slow;
the definition keeps its real values and only the embedded engine runs them faster. The AWS SDK's own retry
backoff (botocore sleeping between attempts, in the functions and every client of this process) is compressed
likewise, so the ratio of the SDK's patience to the state machine's stays as on AWS.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any
from unittest import mock

import botocore.endpoint
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from moto.stepfunctions.parser.asl.component.common.retry.jitter_strategy_decl import JitterStrategyDecl
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction

_original_jitter = JitterStrategyDecl._eval_body
_scale = 1.0


@dataclass(frozen=True)
class RetryWait:
    """One retry the engine scheduled, in uncompressed seconds."""

    execution_arn: str
    state: str
    backoff_seconds: float  # IntervalSeconds x BackoffRate^n, capped by MaxDelaySeconds
    delay_seconds: float  # what the engine waits: the backoff, or a random part of it under JitterStrategy FULL


# Newest last: lets tests check the backoff a Retry block asks for without waiting for it.
retry_waits: list[RetryWait] = []


@contextmanager
def installed(scale: float) -> Iterator[None]:
    global _scale
    _scale, before = scale, _scale
    try:
        with (
            mock.patch.object(retrier_decl, "time", SimpleNamespace(sleep=_retry_sleep)),
            # botocore.endpoint's only use of time: the retry backoff
            mock.patch.object(botocore.endpoint, "time", SimpleNamespace(sleep=_retry_sleep)),
            mock.patch.object(JitterStrategyDecl, "_eval_body", _record_retry_wait),
            mock.patch.object(WaitFunction, "_wait_interval", _wait_interval),
        ):
            yield
    finally:
        _scale = before


def scaled(seconds: float) -> float:
    """The real seconds the embedded AWS takes for `seconds` of AWS time (time limits shrink with the waits)."""
    return seconds * _scale


def retry_waits_of(execution_arn: str) -> list[RetryWait]:
    return [wait for wait in retry_waits if wait.execution_arn == execution_arn]


def _record_retry_wait(self: JitterStrategyDecl, env: Any) -> None:
    # The retrier evaluates the jitter last, with the capped backoff on top of the stack, then sleeps the result.
    backoff = env.stack[-1]
    _original_jitter(self, env)
    context = env.states.context_object.context_object_data
    retry_waits.append(RetryWait(context["Execution"]["Id"], context["State"]["Name"], backoff, env.stack[-1]))


def _retry_sleep(seconds: float) -> None:
    time.sleep(scaled(seconds))


def _wait_interval(self: WaitFunction, env: Any, wait_seconds: int) -> None:
    if wait_seconds > 0:
        # Returns early when the execution is stopped, like the original.
        env.program_state_event.wait(scaled(wait_seconds))
