"""The console (orders_etl_console) seen as a browser sees it, without a browser: Flask's test client on a test's
stack, requests that name the console's own host and origin, and pages read back with BeautifulSoup."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bs4 import BeautifulSoup, Tag
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from embedded_aws.credentials import admin_client
from orders_etl_cli.stack import EMBEDDED_REGION, StackContext, load_stack
from orders_etl_console.app import create_app
from support import Stack

# Flask's test client sends `Host: localhost`; a browser's form on that page sends this Origin with a POST.
HOST_URL = "http://localhost"


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


def page(response: TestResponse) -> BeautifulSoup:
    """The response's HTML, parsed by Python's own parser, to be read with CSS selectors."""
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def one(scope: Tag, selector: str) -> Tag:
    """The one element below `scope` that matches the CSS selector (there must be exactly one)."""
    found = scope.select(selector)
    assert len(found) == 1, f"{len(found)} elements match {selector!r}"
    return found[0]


def text(element: Tag) -> str:
    """The text inside, whitespace collapsed, as a browser's innerText roughly shows it."""
    return " ".join(element.get_text(" ").split())
