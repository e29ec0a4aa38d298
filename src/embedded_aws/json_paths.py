"""Definite JSONPaths with an array index (`$.Items[0].key`) give the value, as on AWS (moto gives `[value]`).

moto wraps the result of any path that goes through an array index in a list, unless the path ends in the
index. Step Functions returns the single value of a definite path (no wildcard, slice, filter or deep scan);
indefinite paths keep moto's behaviour (a list, even of one item).

Each path is parsed once: jsonpath_ng builds its whole parser (ply's tables) at every parse, which took 13% of
the process's CPU in a burst of 200 executions.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from jsonpath_ng import parser as plain_parser
from jsonpath_ng.ext import parser as extended_parser
from moto.stepfunctions.parser.asl.component.common.path import result_path
from moto.stepfunctions.parser.asl.utils import json_path

_original_extract_json = json_path.extract_json
# A parsed path is only read (find, update_or_create change the data, not the path): one per path text.
_parse_extended = functools.lru_cache(maxsize=4096)(extended_parser.parse)
_parse = functools.lru_cache(maxsize=4096)(plain_parser.parse)
_INDEFINITE = re.compile(r"\*|\.\.|\?|:|,")
# The modules that imported extract_json by name (checked by the tests, so a moto upgrade cannot hide one).
USERS = (
    "moto.stepfunctions.parser.asl.component.common.string.string_expression",
    "moto.stepfunctions.parser.asl.component.intrinsic.argument.argument",
    "moto.stepfunctions.parser.asl.component.state.choice.comparison.operator.implementations.timestamp_operators",
    "moto.stepfunctions.parser.asl.component.state.choice.comparison.operator.implementations.boolean_equals",
    "moto.stepfunctions.parser.asl.component.state.choice.comparison.operator.implementations.numeric",
    "moto.stepfunctions.parser.asl.component.state.choice.comparison.operator.implementations.string_operators",
    "moto.stepfunctions.parser.asl.eval.states",
)


@contextmanager
def installed() -> Iterator[None]:
    with contextlib.ExitStack() as patches:
        for module in [json_path, *map(importlib.import_module, USERS)]:
            patches.enter_context(mock.patch.object(module, "extract_json", extract_json))
        patches.enter_context(mock.patch.object(json_path, "parse", _parse_extended))
        patches.enter_context(mock.patch.object(result_path, "parse", _parse))
        yield


def extract_json(path: str, data: Any) -> Any:
    if not _INDEFINITE.search(path):
        matches = _parse_extended(path).find(data)
        if len(matches) == 1:
            return matches[0].value
    return _original_extract_json(path, data)
