"""Argument types shared by the orders-etl commands: every number a user types is checked here, in their words.

argparse prints a type's own message (`argument --limit: must be a whole number of at least 1, got '0'`); these
types never let argparse fall back to naming them (`invalid positive_int value`), which would show a Python name.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Number:
    """A number within limits: `whole` for counts, ports and bytes; otherwise any finite decimal."""

    whole: bool
    at_least: float | None = None
    above: float | None = None
    at_most: float | None = None

    def __call__(self, text: str) -> float:
        value = self._parse(text)
        if value is None or not self._within(value):
            raise argparse.ArgumentTypeError(f"must be {self.description}, got {text!r}")
        return value

    @property
    def description(self) -> str:
        kind = "a whole number" if self.whole else "a number"
        if self.at_least is not None and self.at_most is not None:
            return f"{kind} from {self.at_least:g} to {self.at_most:g}"
        if self.at_least is not None:
            return f"{kind} of at least {self.at_least:g}"
        if self.above is not None:
            return f"{kind} above {self.above:g}"
        return kind

    def __repr__(self) -> str:  # what argparse would name the type by, should it ever name it
        return self.description

    def _parse(self, text: str) -> float | None:
        try:
            value = int(text) if self.whole else float(text)
        except ValueError:
            return None
        return value if math.isfinite(value) else None  # `inf` and `nan` are no user's count or seconds

    def _within(self, value: float) -> bool:
        return not (
            (self.at_least is not None and value < self.at_least)
            or (self.above is not None and value <= self.above)
            or (self.at_most is not None and value > self.at_most)
        )


# argparse stores what the type returns: a `whole` Number returns an int.
COUNT = Number(whole=True, at_least=1)  # rows, files, bytes, batches: at least one
PORT = Number(whole=True, at_least=0, at_most=65535)  # 0 picks a free port
POSITIVE = Number(whole=False, above=0)  # a timeout, a rate, a clock scale
NOT_NEGATIVE = Number(whole=False, at_least=0)  # a modelled duration, which may be nothing
PERCENTAGE = Number(whole=False, at_least=0, at_most=100)


@dataclass(frozen=True)
class NameValue:
    """`NAME=VALUE` (a template parameter), as a (name, value) pair."""

    def __call__(self, text: str) -> tuple[str, str]:
        name, equals, value = text.partition("=")
        if not (name and equals):
            raise argparse.ArgumentTypeError(f"expected NAME=VALUE, e.g. MaxFileBytes=1000000, got {text!r}")
        return name, value

    def __repr__(self) -> str:
        return "NAME=VALUE"


NAME_VALUE = NameValue()
