"""Compresses time in the state machine engine: Wait states and Retry intervals sleep `scale` x their seconds.

Real waits (a 30 s crawl poll, retries backing off over minutes) would make every local run and test slow;
the definition keeps its real values and only the embedded engine runs them faster.
"""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction

_original_wait = WaitFunction._wait_interval
_original_time = retrier_decl.time
_scale = 1.0
# Requested (uncompressed) retry intervals, newest last: lets tests check backoff without waiting for it.
retry_intervals: list[float] = []


def install(scale: float) -> None:
    global _scale
    _scale = scale
    retrier_decl.time = SimpleNamespace(sleep=_retry_sleep)
    WaitFunction._wait_interval = _wait_interval


def uninstall() -> None:
    retrier_decl.time = _original_time
    WaitFunction._wait_interval = _original_wait


def _retry_sleep(seconds: float) -> None:
    retry_intervals.append(seconds)
    time.sleep(seconds * _scale)


def _wait_interval(self: WaitFunction, env: Any, wait_seconds: int) -> None:
    if wait_seconds > 0:
        # Returns early when the execution is stopped, like the original.
        env.program_state_event.wait(wait_seconds * _scale)
