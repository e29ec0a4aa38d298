"""Fault injection for the embedded AWS: make a function raise a named error for its next N invocations.

The error reaches the state machine under exactly that name (e.g. `Lambda.TooManyRequestsException`, or any
system error), so Retry and Catch behave as they would on AWS for that error name.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from embedded_aws import lambda_runtime


@dataclass
class _Fault:
    function: str
    error: str
    remaining: int | None  # None: until cleared


class FaultInjector:
    def __init__(self) -> None:
        self._faults: list[_Fault] = []
        self._lock = threading.Lock()
        self.injected: dict[str, int] = {}

    def install(self) -> None:
        lambda_runtime.add_before_invoke(self._before_invoke)

    def uninstall(self) -> None:
        lambda_runtime.remove_before_invoke(self._before_invoke)

    def fail(self, function: str, error: str, count: int | None = None) -> None:
        """Functions whose name contains `function` raise `error` for `count` calls (None: until cleared)."""
        with self._lock:
            self._faults.append(_Fault(function, error, count))

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def _before_invoke(self, function_name: str, event: Any) -> None:
        with self._lock:
            fault = next((f for f in self._faults if f.function in function_name), None)
            if fault is None:
                return
            if fault.remaining is not None:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
            self.injected[function_name] = self.injected.get(function_name, 0) + 1
        raise type(fault.error, (Exception,), {})(f"injected fault: {fault.error}")
