"""Values as they are shown in problems: JSON text of at most VALUE_WIDTH characters, line breaks escaped."""

from __future__ import annotations

import json
from decimal import Decimal
from itertools import islice
from typing import Any

VALUE_WIDTH = 60


class BadNumber:
    """What the JSON parser yields for NaN, Infinity, -Infinity and numbers Decimal cannot hold."""

    __slots__ = ("reported", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.reported = False


def render(value: object, width: int = VALUE_WIDTH) -> str:
    """A JSON value as JSON text of at most ``width`` characters (cut with ``…``), line breaks escaped."""
    parts: list[str] = []
    _render_into(value, parts, width + 1)
    text = "".join(parts)
    text = text.replace("\x85", "\\u0085").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return text if len(text) <= width else text[: width - 1] + "…"


def _render_into(value: object, parts: list[str], budget: int) -> int:
    """Append JSON text for value to parts, stopping once about ``budget`` characters are written."""
    if isinstance(value, dict):
        return _render_container(list(islice(value.items(), budget)), "{", "}", parts, budget)
    if isinstance(value, list):
        return _render_container(value[:budget], "[", "]", parts, budget)
    if isinstance(value, BadNumber):
        text = value.text
    elif isinstance(value, Decimal):
        text = str(value)
    elif isinstance(value, str):
        text = json.dumps(value[:budget], ensure_ascii=False)
    else:
        text = json.dumps(value)
    parts.append(text[:budget])
    return budget - len(parts[-1])


def _render_container(items: list[Any], opening: str, closing: str, parts: list[str], budget: int) -> int:
    parts.append(opening)
    budget -= 1
    for index, item in enumerate(items):
        if budget <= 0:
            return budget
        if index:
            parts.append(", ")
            budget -= 2
        if isinstance(item, tuple):
            budget = _render_into(item[0], parts, budget)
            parts.append(": ")
            budget -= 2
            item = item[1]
        budget = _render_into(item, parts, budget)
    parts.append(closing)
    return budget - 1
