"""The console's Flask application: pages rendered on the server, a little script for the graph and the refresh.

Served on 127.0.0.1 only, it acts with the credentials of whoever started it, so it answers only requests that name
it as their host (a page of another site cannot reach it through DNS rebinding) and takes a form only from its own
pages (the browser's Origin header): no secret needs to be in the page for that.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError
from flask import Flask, abort, render_template, request
from werkzeug.exceptions import HTTPException

from orders_etl_cli.failures import CommandError, describe
from orders_etl_cli.stack import StackContext
from orders_etl_console import actions, execution_pages, quarantine_page
from orders_etl_console.context import EXTENSION, MACHINE_TITLES, ConsoleContext, console
from orders_etl_console.mermaid_text import STATUS_COLOURS
from orders_etl_console.server import HOST
from orders_etl_console.state_outcomes import CANCELLED, FAILED, RUNNING, STATUS_WORDS, SUCCEEDED

LOCAL_HOSTS = (HOST, "localhost")
# An execution's status badge takes the colours of the state status it matches (one palette: STATUS_COLOURS).
EXECUTION_STATUS_COLOUR = {
    "SUCCEEDED": SUCCEEDED,
    "FAILED": FAILED,
    "TIMED_OUT": FAILED,
    "ABORTED": CANCELLED,
    "RUNNING": RUNNING,
    "PENDING_REDRIVE": RUNNING,
}
_MISSING = ("DoesNotExist", "NotFound", "NoSuchKey")  # ExecutionDoesNotExist, ResourceNotFound, ...
# Fetched from the npm registry by `make console-assets` (the page draws the graph with it; never from a CDN).
MERMAID = Path(__file__).parent / "static" / "vendor" / "mermaid.min.js"


def create_app(stack: StackContext, *, allow_actions: bool) -> Flask:
    """`allow_actions`: redrive and replay; always on for the embedded AWS, on AWS only when asked for."""
    app = Flask(__name__)
    app.secret_key = secrets.token_bytes(32)  # signs the one-line notices after an action; never leaves the server
    app.extensions[EXTENSION] = ConsoleContext(
        stack=stack, allow_actions=allow_actions or stack.is_embedded, target=stack.describe_target()
    )
    app.before_request(_only_local_requests)
    app.context_processor(_page_globals)
    app.errorhandler(Exception)(_error_page)
    app.add_template_filter(_when, "when")
    app.add_template_filter(_seconds, "seconds")
    for blueprint in (execution_pages.pages, quarantine_page.pages, actions.pages):
        app.register_blueprint(blueprint)
    return app


def _only_local_requests() -> None:
    host = (request.host or "").rsplit(":", 1)[0]
    if host not in LOCAL_HOSTS:
        abort(421, f"the console answers only requests to {' or '.join(LOCAL_HOSTS)}")
    if request.method == "POST":
        origin = request.headers.get("Origin")
        if origin != request.host_url.rstrip("/"):
            abort(403, "actions are taken only from the console's own pages")


def _page_globals() -> dict[str, Any]:
    context = console()
    return {
        "target": context.target,
        "is_embedded": context.stack.is_embedded,
        "actions_off_reason": context.actions_off_reason,
        "machine_titles": MACHINE_TITLES,
        "status_words": STATUS_WORDS,
        "status_colours": STATUS_COLOURS,
        "execution_status_colour": EXECUTION_STATUS_COLOUR,
        "mermaid_available": MERMAID.exists(),
    }


def _error_page(error: Exception) -> tuple[str, int] | tuple[str, int, dict[str, str]]:
    """One line saying what is wrong (an AWS error, a missing execution), never a traceback."""
    if isinstance(error, HTTPException) and error.code == 421:
        # Asked for under another host name (DNS rebinding): the page that asked can read this answer, so it is the
        # line alone, without the page around it (the target names the account, the endpoint, the outputs file).
        return f"{error.description}\n", 421, {"Content-Type": "text/plain; charset=utf-8"}
    if isinstance(error, HTTPException):
        return render_template("error.html", message=error.description, code=error.code), error.code or 500
    if isinstance(error, ClientError) and error.response.get("Error", {}).get("Code", "").endswith(_MISSING):
        return render_template("error.html", message=describe(error), code=404), 404
    if isinstance(error, CommandError):  # the CLI's own one-line refusals (a replay over a raw file, say)
        return render_template("error.html", message=str(error), code=400), 400
    return render_template("error.html", message=describe(error), code=502), 502


def _when(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _seconds(seconds: float | None) -> str:
    if seconds is None:
        return ""
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.1f} s"
