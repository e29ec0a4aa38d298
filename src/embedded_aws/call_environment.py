"""Each Lambda call has its own process environment and default boto3 session, though calls run at the same
time on threads of one process (lambda_runtime).

On AWS each execution environment is a process of its own: `os.environ` holds the function's variables and its
role's credentials, and `boto3.client(...)` signs with them. Here `os.environ` is one mapping for the whole
process, so calls used to take turns under one lock, and a function that invoked another waited for itself.
While installed, `os.environ` (and `os.environb`) keep their data in layers: a thread running a call reads and
writes that call's own copy, and so does every thread the call starts (s3transfer's, a ThreadPoolExecutor's);
any other thread sees the process's. `boto3.client()` and `boto3.resource()` use a default session per call,
made from the call's environment. A library's process-wide state can be made the execution environment's own
with `EnvironmentLocalDict` (see powertools_state). What stays shared, as it would not on AWS: the rest of the
interpreter (`sys.modules`, the `logging` registry), and the C-level environment a write through `os.environ` also
sets (putenv).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

import boto3

_ATTRIBUTE = "_embedded_call_environment"  # on a Thread: the call environment it runs in
_original_default_session = boto3._get_default_session
_original_thread_start = threading.Thread.start


@dataclass
class CallEnvironment:
    """The process environment one call sees (encoded as os.environ stores it) and its default boto3 session."""

    variables: dict[bytes, bytes]
    session: Any = field(default=None)
    # The execution environment's own copies of process-wide library state (EnvironmentLocalDict), by name: kept
    # by its handler instance from call to call, as a process keeps them on AWS.
    library_state: dict[str, dict[Any, Any]] = field(default_factory=dict)


def environment_of(variables: dict[str, str]) -> CallEnvironment:
    """A call environment holding exactly `variables`."""
    encode_key: Any = os.environ.encodekey
    encode_value: Any = os.environ.encodevalue
    return CallEnvironment({encode_key(key): encode_value(value) for key, value in variables.items()})


def current() -> CallEnvironment | None:
    environment: CallEnvironment | None = getattr(threading.current_thread(), _ATTRIBUTE, None)
    return environment


@contextmanager
def running_in(environment: CallEnvironment) -> Iterator[None]:
    """This thread (and the threads it starts) sees `environment` until the block ends."""
    thread = threading.current_thread()
    before = getattr(thread, _ATTRIBUTE, None)
    setattr(thread, _ATTRIBUTE, environment)
    try:
        yield
    finally:
        setattr(thread, _ATTRIBUTE, before)


class _PerEnvironment(MutableMapping[Any, Any]):
    """A mapping whose data is the running call's (`_data`), or the process's outside calls."""

    def _data(self) -> MutableMapping[Any, Any]:
        raise NotImplementedError

    def __getitem__(self, key: Any) -> Any:
        return self._data()[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        self._data()[key] = value

    def __delitem__(self, key: Any) -> None:
        del self._data()[key]

    def __iter__(self) -> Iterator[Any]:
        return iter(list(self._data()))

    def __len__(self) -> int:
        return len(self._data())


class _LayeredData(_PerEnvironment):
    """os.environ's storage: the running call's variables on its threads, the process's elsewhere."""

    def __init__(self, process: MutableMapping[bytes, bytes]) -> None:
        self.process = process

    def _data(self) -> MutableMapping[bytes, bytes]:
        environment = current()
        return self.process if environment is None else environment.variables


class EnvironmentLocalDict(_PerEnvironment):
    """A dict a library keeps for the whole process (a class attribute, a module global): each execution
    environment has its own, empty at first; threads outside calls share the process's."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.process: dict[Any, Any] = {}

    def _data(self) -> dict[Any, Any]:
        environment = current()
        return self.process if environment is None else environment.library_state.setdefault(self.name, {})


def _default_session() -> Any:
    environment = current()
    if environment is None:
        return _original_default_session()
    if environment.session is None:
        environment.session = boto3.session.Session()  # reads the call's credentials and region
    return environment.session


def _start(self: threading.Thread) -> None:
    """A thread started during a call runs in the call's environment (a call's helper threads are the call's)."""
    if not hasattr(self, _ATTRIBUTE):
        setattr(self, _ATTRIBUTE, current())
    _original_thread_start(self)


@contextmanager
def installed() -> Iterator[None]:
    process_data = os.environ._data  # type: ignore[attr-defined]
    layered = _LayeredData(process_data)
    with (
        mock.patch.object(os.environ, "_data", layered),
        mock.patch.object(os.environb, "_data", layered),
        mock.patch.object(boto3, "_get_default_session", _default_session),
        mock.patch.object(threading.Thread, "start", _start),
    ):
        yield
