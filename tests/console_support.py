"""The console (orders_etl_console) seen as a browser sees it, without a browser: Flask's test client on a test's
stack, requests that name the console's own host and origin, and pages read back with a small HTML tree."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from embedded_aws.credentials import admin_client
from orders_etl_cli.stack import StackContext, load_stack
from orders_etl_console.app import create_app
from support import Stack

# Flask's test client sends `Host: localhost`; a browser's form on that page sends this Origin with a POST.
HOST_URL = "http://localhost"
EMBEDDED_REGION = "us-east-1"
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


def embedded_target(stack: Stack, tmp_path: Path) -> StackContext:
    """The stack as `orders-etl console --outputs FILE` sees it."""
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({**stack.outputs, "EndpointUrl": stack.endpoint_url}))
    return load_stack(outputs, None, embedded_only=True)


@dataclass
class _EmbeddedSession:
    """Stands for the boto3 session of --profile: clients of the embedded account's administrator."""

    endpoint_url: str

    def client(self, service: str) -> Any:
        return admin_client(service, self.endpoint_url, EMBEDDED_REGION)


def aws_target(stack: Stack) -> StackContext:
    """The same stack as the console sees a CloudFormation stack on AWS: no endpoint, so not `is_embedded`."""
    return StackContext(
        outputs=stack.outputs,
        region=EMBEDDED_REGION,
        stack_name="orders-etl",
        session=_EmbeddedSession(stack.endpoint_url),
    )


def console_client(target: StackContext, *, allow_actions: bool) -> FlaskClient:
    app: Flask = create_app(target, allow_actions=allow_actions)
    return app.test_client()


def post_form(client: FlaskClient, url: str, data: dict[str, str] | None = None, **kwargs: Any) -> TestResponse:
    """A form posted from one of the console's pages (its Origin), as the browser sends it."""
    return client.post(url, data=data or {}, headers={"Origin": HOST_URL}, **kwargs)


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    children: list[Element | str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The text inside, whitespace collapsed, as a browser's innerText roughly shows it."""
        return " ".join(self._strings().split())

    def _strings(self) -> str:
        return "".join(child if isinstance(child, str) else " " + child._strings() + " " for child in self.children)

    def elements(self) -> list[Element]:
        """Every element below this one, in document order."""
        found: list[Element] = []
        for child in self.children:
            if isinstance(child, Element):
                found.append(child)
                found.extend(child.elements())
        return found

    def select(self, tag: str | None = None, *, cls: str | None = None, **attrs: str) -> list[Element]:
        """The elements below with that tag, class and attributes (`data_status` for data-status)."""
        wanted = {name.replace("_", "-"): value for name, value in attrs.items()}
        return [
            element
            for element in self.elements()
            if (tag is None or element.tag == tag)
            and (cls is None or cls in element.attrs.get("class", "").split())
            and all(element.attrs.get(name) == value for name, value in wanted.items())
        ]

    def one(self, tag: str | None = None, *, cls: str | None = None, **attrs: str) -> Element:
        found = self.select(tag, cls=cls, **attrs)
        assert len(found) == 1, f"{len(found)} elements {tag or ''}.{cls or ''} {attrs}"
        return found[0]

    def by_id(self, element_id: str) -> Element:
        return self.one(id=element_id)

    def has_id(self, element_id: str) -> bool:
        return bool(self.select(id=element_id))


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self._open = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {name: value or "" for name, value in attrs})
        self._open[-1].children.append(element)
        if tag not in _VOID:
            self._open.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._open[-1].children.append(Element(tag, {name: value or "" for name, value in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self._open) - 1, 0, -1):
            if self._open[depth].tag == tag:
                del self._open[depth:]
                return

    def handle_data(self, data: str) -> None:
        self._open[-1].children.append(data)


def page(response: TestResponse) -> Element:
    """The response's HTML as a tree of elements."""
    builder = _TreeBuilder()
    builder.feed(response.get_data(as_text=True))
    builder.close()
    return builder.root
