"""The executions of a state machine (filters, newest first, pages) and one execution: graph, states, history."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from orders_etl.quarantine import error_message
from orders_etl_cli.execution_commands import STATUSES, console_url
from orders_etl_cli.execution_redrive import fail_states, file_in_quarantine, why_not_redrive
from orders_etl_cli.execution_search import Cursor, ExecutionRow, ExecutionSearch, execution_row
from orders_etl_cli.executions import history
from orders_etl_console.context import MACHINES, console, started_since
from orders_etl_console.mermaid_text import flowchart
from orders_etl_console.state_graph import StateGraph, graph_of
from orders_etl_console.state_outcomes import (
    IN_CHILD_WORKFLOWS,
    NOT_REACHED,
    StateOutcome,
    event_state,
    state_outcomes,
)

pages = Blueprint("executions", __name__)
PAGE_SIZE = 25
REFRESH_SECONDS = 2  # while something on the page is running


@pages.get("/")
def home() -> Response:
    return redirect(url_for("executions.listing", machine="pipeline"))


@pages.get("/<machine>/executions")
def listing(machine: str) -> str:
    context = console()
    arn = context.machine_arn(machine)
    status = request.args.get("status") or None
    if status is not None and status not in STATUSES:
        abort(400, f"status {status!r}: expected one of {', '.join(STATUSES)}")
    since_text = request.args.get("since", "").strip()
    key = request.args.get("key", "").strip()
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    search = ExecutionSearch(context.sfn, arn, status, started_since(since_text), key or None, context.describe)
    found = search.page(decode_cursor(request.args.get("after")), PAGE_SIZE)
    filters: dict[str, Any] = {"status": status or "", "since": since_text, "key": key}
    after = encode_cursor(found.next) if found.next else None
    older = after and url_for(".listing", machine=machine, page=page + 1, after=after, **filters)
    return render_template(
        "executions.html",
        machine=machine,
        machines=MACHINES,
        rows=found.rows,
        statuses=STATUSES,
        filters=filters,
        page=page,
        newest_url=url_for(".listing", machine=machine, **filters) if page > 1 else None,
        older_url=older,
        refresh=REFRESH_SECONDS if any(row.status == "RUNNING" for row in found.rows) else None,
    )


def encode_cursor(cursor: Cursor) -> str:
    """A search's cursor in a link: the ListExecutions token and the count behind it, as URL-safe base64 JSON."""
    return base64.urlsafe_b64encode(json.dumps([cursor.token, cursor.skip]).encode()).decode()


def decode_cursor(text: str | None) -> Cursor | None:
    if not text:
        return None
    try:
        token, skip = json.loads(base64.urlsafe_b64decode(text.encode()))
        if (token is None or isinstance(token, str)) and isinstance(skip, int) and skip >= 0:
            return Cursor(token, skip)
    except (ValueError, TypeError):
        pass
    abort(400, "this page's link is not one the console made: start again from the newest executions")


@dataclass(frozen=True)
class HistoryRow:
    id: int
    type: str
    state: str
    timestamp: datetime
    elapsed_ms: float
    detail: str


@dataclass(frozen=True)
class StateRow:
    name: str
    type: str
    status: str
    outcome: StateOutcome | None
    node_id: str


@pages.get("/<machine>/executions/<name>")
def execution(machine: str, name: str) -> str:
    context = console()
    sfn = context.sfn
    arn = context.execution_arn(machine, name)
    described = sfn.describe_execution(executionArn=arn)
    events = history(sfn, arn)
    definition = context.definition(machine)
    graph = graph_of(definition)
    outcomes = state_outcomes(events, fail_states={n for n, s in graph.states.items() if s.type == "Fail"})
    # Only a Distributed Map has Map Runs: no ListMapRuns call for the pipeline's executions.
    map_runs = _map_runs(sfn, arn) if any(state.distributed for state in graph.states.values()) else []
    statuses = _statuses(graph, outcomes, has_map_runs=bool(map_runs))
    row = _row(described, events)
    redrive_refusal = _redrive_refusal(sfn, row, definition, described) if row.status != "RUNNING" else None
    return render_template(
        "execution.html",
        machine=machine,
        row=row,
        described=described,
        cause=error_message(described.get("cause") or ""),
        graph_source=flowchart(graph, statuses, _labels(outcomes)),
        state_rows=[
            StateRow(state.name, state.type, statuses[state.name], outcomes.get(state.name), state.node_id)
            for state in graph.states.values()
        ],
        state_ids={state.node_id: state.name for state in graph.states.values()},
        history_rows=_history_rows(events),
        map_runs=map_runs,
        redrive_refusal=redrive_refusal,
        in_quarantine=file_in_quarantine(row, fail_states(definition)),
        aws_console_url=None if context.stack.is_embedded else console_url(arn),
        pretty=_pretty,
        refresh=REFRESH_SECONDS if row.status == "RUNNING" else None,
    )


def _statuses(graph: StateGraph, outcomes: dict[str, StateOutcome], *, has_map_runs: bool) -> dict[str, str]:
    statuses: dict[str, str] = {}
    for name in graph.states:
        outcome = outcomes.get(name)
        in_child = _inside_distributed_map(graph, name)
        if outcome is None and in_child and has_map_runs:
            statuses[name] = IN_CHILD_WORKFLOWS
        else:
            statuses[name] = outcome.status if outcome else NOT_REACHED
    return statuses


def _inside_distributed_map(graph: StateGraph, name: str) -> bool:
    parent = graph.states[name].parent
    while parent is not None:
        if graph.states[parent].distributed:
            return True
        parent = graph.states[parent].parent
    return False


def _labels(outcomes: dict[str, StateOutcome]) -> dict[str, str]:
    """A state's second line in the graph: visits of a loop and retries, as the console counts them."""
    labels: dict[str, str] = {}
    for name, outcome in outcomes.items():
        words = []
        if len(outcome.visits) > 1:
            words.append(f"{len(outcome.visits)} visits")
        if outcome.retries:
            words.append(f"{outcome.retries} {'retry' if outcome.retries == 1 else 'retries'}")
        if words:
            labels[name] = ", ".join(words)
    return labels


def _row(described: dict[str, Any], events: list[dict[str, Any]]) -> ExecutionRow:
    entered = [e["stateEnteredEventDetails"]["name"] for e in events if e["type"].endswith("StateEntered")]
    stopped = described["status"] not in ("RUNNING", "SUCCEEDED")
    return execution_row(described, entered[-1] if stopped and entered else None)


def _redrive_refusal(sfn: Any, row: ExecutionRow, definition: dict[str, Any], described: dict[str, Any]) -> str | None:
    """Why the Redrive button is not offered; None when it is."""
    if row.status == "SUCCEEDED":
        return "it succeeded"
    return why_not_redrive(sfn, row, fail_states(definition), described)


def _map_runs(sfn: Any, arn: str) -> list[dict[str, Any]]:
    """Each Map Run of the execution (a Distributed Map) with its item and child execution counts."""
    runs = sfn.list_map_runs(executionArn=arn).get("mapRuns", [])
    return [sfn.describe_map_run(mapRunArn=run["mapRunArn"]) for run in runs]


def _history_rows(events: list[dict[str, Any]]) -> list[HistoryRow]:
    owners = event_state(events)
    start = events[0]["timestamp"] if events else None
    rows = []
    for event in events:
        elapsed = (event["timestamp"] - start).total_seconds() * 1000 if start else 0.0
        rows.append(
            HistoryRow(
                event["id"], event["type"], owners.get(event["id"], ""), event["timestamp"], elapsed, _detail(event)
            )
        )
    return rows


def _detail(event: dict[str, Any]) -> str:
    """The one line of an event worth a glance: its error, or the resource a task called."""
    for key, value in event.items():
        if not (key.endswith("EventDetails") and isinstance(value, dict)):
            continue
        if value.get("error"):
            cause = error_message(str(value.get("cause") or "")).split("\n", 1)[0]
            return f"{value['error']}: {cause}" if cause else str(value["error"])
        if value.get("resource"):
            return f"{value.get('resourceType', '')}:{value['resource']}".lstrip(":")
    return ""


def _pretty(document: str | None) -> str:
    if document is None:
        return ""
    try:
        return json.dumps(json.loads(document), indent=2, ensure_ascii=False)
    except ValueError:
        return document
