"""Fault injection for the embedded AWS: make a function raise a named error, or run slow, for its next N invocations.

The error reaches the state machine under exactly that name (e.g. `Lambda.TooManyRequestsException`, or any
system error), so Retry and Catch behave as they would on AWS for that error name. A delay (`sleep=SECONDS` in
place of the error) runs inside the handler's timed call at the embedded clock's scale: past the function's
Timeout, the call fails with `Sandbox.Timedout` as on AWS (lambda_runtime).

With a control file, other processes set and clear faults while the endpoint runs (`orders-etl local fail`):
the injector rereads the file when it changed and writes the remaining counts back.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from embedded_aws import lambda_runtime

SLEEP = "sleep="  # `sleep=SECONDS` in place of an error name: a delay, in the function's (AWS) seconds


@dataclass
class _Fault:
    function: str
    error: str  # an error name, or sleep=SECONDS
    remaining: int | None  # None: until cleared


def delay_of(error: str) -> float | None:
    """The seconds of a `sleep=SECONDS` fault; None for an error name."""
    return float(error.removeprefix(SLEEP)) if error.startswith(SLEEP) else None


def names_function(target: str, function_name: str) -> bool:
    """Whether a fault's target (a function name, or a part of one) applies to calls of `function_name`."""
    return target in function_name


def parse_fault(text: str) -> tuple[str, str, int | None]:
    """`FUNCTION=ERROR[:COUNT]` or `FUNCTION=sleep=SECONDS[:COUNT]` -> (function, error, count or None for "until
    cleared")."""
    function, equals, error_and_count = text.partition("=")
    error, colon, count = error_and_count.partition(":")
    problem = _problem(bool(function and equals and error), colon, count, error)
    if problem is not None:
        raise ValueError(
            f"{text!r}: {problem}expected FUNCTION_OR_STATE=ERROR[:COUNT] or FUNCTION_OR_STATE=sleep=SECONDS[:COUNT], "
            "e.g. FlattenOrders=ConnectionError:3 or 'Validate order file=sleep=1000'"
        )
    return function, error, int(count) if count else None


def _problem(has_parts: bool, colon: str, count: str, error: str) -> str | None:
    """What is wrong with a fault's parts ("" when it is not of the form at all), None when nothing is."""
    if not has_parts:
        return ""
    if colon and not (count.isdigit() and int(count) >= 1):
        return f"COUNT must be a whole number of calls, at least 1 (got {count!r}); "
    if not _valid_delay(error):
        return f"SECONDS must be a number of at least 0 (got {error.removeprefix(SLEEP)!r}); "
    return None


def _valid_delay(error: str) -> bool:
    try:
        delay = delay_of(error)
    except ValueError:
        return False
    return delay is None or (math.isfinite(delay) and delay >= 0)


def read_fault_file(path: Path) -> list[dict[str, Any]]:
    return list(json.loads(path.read_text())) if path.exists() else []


def write_fault_file(path: Path, faults: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(faults, indent=2) + "\n")
    temporary.replace(path)  # the endpoint never reads a half-written file


class FaultInjector:
    def __init__(self, control_file: Path | None = None) -> None:
        self._faults: list[_Fault] = []
        self._lock = threading.Lock()
        self.injected: dict[str, int] = {}
        self.control_file = control_file
        self._control_mtime: float | None = None

    @contextmanager
    def installed(self) -> Iterator[None]:
        lambda_runtime.add_before_invoke(self._before_invoke)
        try:
            yield
        finally:
            lambda_runtime.remove_before_invoke(self._before_invoke)

    def fail(self, function: str, error: str, count: int | None = None) -> None:
        """Functions whose name contains `function` raise `error` for `count` calls (None: until cleared)."""
        with self._lock:
            self._faults.append(_Fault(function, error, count))

    def delay(self, function: str, seconds: float, count: int | None = None) -> None:
        """Calls of functions whose name contains `function` first spend `seconds` (function time, so a
        delay past the function's Timeout makes the call time out), for `count` calls (None: until cleared)."""
        self.fail(function, f"{SLEEP}{seconds:g}", count)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def _before_invoke(self, function_name: str, event: Any) -> None:
        with self._lock:
            self._read_control_file()
            fault = next((f for f in self._faults if names_function(f.function, function_name)), None)
            if fault is None:
                return
            if fault.remaining is not None:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                self._write_control_file()
            self.injected[function_name] = self.injected.get(function_name, 0) + 1
        delay = delay_of(fault.error)
        if delay is not None:
            lambda_runtime.pause(delay)  # outside the lock: other functions' faults are not held up
            return
        raise type(fault.error, (Exception,), {})(f"injected fault: {fault.error}")

    def _read_control_file(self) -> None:
        if self.control_file is None or not self.control_file.exists():
            return
        mtime = self.control_file.stat().st_mtime
        if mtime != self._control_mtime:
            self._faults = [_Fault(**fault) for fault in read_fault_file(self.control_file)]
            self._control_mtime = mtime

    def _write_control_file(self) -> None:
        if self.control_file is not None:
            write_fault_file(self.control_file, [asdict(fault) for fault in self._faults])
            self._control_mtime = self.control_file.stat().st_mtime
