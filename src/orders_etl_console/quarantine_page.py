"""The quarantined files, newest first, each with its reason, its report's problems and the execution behind it."""

from __future__ import annotations

from flask import Blueprint, render_template

from orders_etl_cli.execution_commands import execution_arn
from orders_etl_cli.quarantine_area import find_area, list_quarantined
from orders_etl_console.context import MACHINES, console

pages = Blueprint("quarantine", __name__)
SHOWN = 200  # the newest; the page says how many there are in all


@pages.get("/quarantine")
def quarantine() -> str:
    context = console()
    area = find_area(context.stack)
    files, total = list_quarantined(context.stack.client("s3"), area, SHOWN)
    # A file quarantined by a backfill names a child workflow of its Map Run: no page of its own.
    prefixes = {machine: execution_arn(context.machine_arn(machine), "") for machine in MACHINES}
    machine_of = {
        item.key: next((m for m, prefix in prefixes.items() if item.execution_arn.startswith(prefix)), None)
        for item in files
    }
    return render_template(
        "quarantine.html",
        files=[(item, item.as_json(area)) for item in files],
        machine_of=machine_of,
        total=total,
        location=area.url(area.quarantine_prefix),
    )
