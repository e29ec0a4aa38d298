"""Powertools' Metrics keep each execution environment's metrics apart, as they are on AWS.

`aws_lambda_powertools.Metrics` keeps metrics, dimensions and metadata in class attributes shared by every
instance in the process, so that any module of a function can add metrics (its docstring); that is safe on AWS,
where a process runs one invocation at a time. Here calls run at the same time in one process (lambda_runtime):
two functions' metrics landed in one EMF document, under whichever service flushed first. While installed, those
class attributes are `EnvironmentLocalDict`s: each execution environment has its own, and an instance made at
import (a module-level `metrics = Metrics()`) reads and writes the set of the environment running it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from aws_lambda_powertools.metrics import Metrics

from embedded_aws.call_environment import EnvironmentLocalDict

_SHARED = ("_metrics", "_dimensions", "_metadata", "_default_dimensions")


@contextmanager
def installed() -> Iterator[None]:
    per_environment: dict[str, Any] = {name: EnvironmentLocalDict(f"powertools.Metrics.{name}") for name in _SHARED}
    with mock.patch.multiple(Metrics, **per_environment):
        yield
