"""What the console changes: redrive one failed execution, redrive every failed one since a time, replay a
quarantined file. Each is the CLI's own code (`executions redrive`, `quarantine replay`); each page asks for a
confirmation naming the target first, and on AWS none runs unless the console was started with --allow-actions."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from werkzeug.wrappers import Response

from orders_etl_cli.execution_redrive import RedriveSummary, fail_states, redrive_executions
from orders_etl_cli.execution_search import describe_row, find_executions
from orders_etl_cli.quarantine_area import find_area
from orders_etl_cli.quarantine_replay import move_back_to_raw
from orders_etl_console.context import ConsoleContext, console, started_since

pages = Blueprint("actions", __name__)


def _allowed() -> ConsoleContext:
    context = console()
    if context.actions_off_reason:
        abort(403, context.actions_off_reason)
    return context


@pages.post("/<machine>/executions/<name>/redrive")
def redrive_one(machine: str, name: str) -> Response:
    context = _allowed()
    sfn = context.sfn
    row = describe_row(sfn, {"executionArn": context.execution_arn(machine, name)})
    summary = redrive_executions(sfn, [row], fail_states=fail_states(context.definition(machine)))
    flash(_said(summary))
    return redirect(url_for("executions.execution", machine=machine, name=name))


@pages.post("/<machine>/redrive-failed")
def redrive_failed(machine: str) -> Response:
    context = _allowed()
    started = started_since(request.form.get("since", "").strip())
    rows = find_executions(context.sfn, context.machine_arn(machine), status="FAILED", since=started)
    summary = redrive_executions(context.sfn, rows, fail_states=fail_states(context.definition(machine)))
    flash(_said(summary))
    return redirect(url_for("executions.listing", machine=machine))


@pages.post("/quarantine/replay")
def replay() -> Response:
    context = _allowed()
    area = find_area(context.stack)
    key = request.form.get("key", "")
    moved = move_back_to_raw(context.stack.client("s3"), area, area.quarantined_key(area.path_of(key)))
    removed = " and removed its report" if moved.report_removed else ""
    flash(f"moved {area.url(moved.quarantined_key)} back to {moved.raw_key}{removed}: its execution starts now")
    for note in moved.notes:
        flash(f"note: {note}")
    return redirect(url_for("executions.listing", machine="pipeline"))


def _said(summary: RedriveSummary) -> str:
    parts = [f"redriven: {len(summary.redriven)}"]
    parts += [f"not redrivable: {name}: {reason}" for name, reason in summary.not_redrivable.items()]
    parts += [f"error: {name}: {error}" for name, error in summary.errors.items()]
    return "; ".join(parts)
