"""A state graph as a mermaid flowchart, each state in the class of what happened to it (the page's CSS colours
them as the Step Functions console does). Mermaid draws it in the browser from the package's own copy."""

from __future__ import annotations

from orders_etl_console.state_graph import END, START, StateGraph, StateNode
from orders_etl_console.state_outcomes import (
    CANCELLED,
    CAUGHT,
    FAILED,
    IN_CHILD_WORKFLOWS,
    NOT_REACHED,
    RUNNING,
    SUCCEEDED,
)

# Fill and border of each status, close to the Step Functions console's; the page's legend shows the same.
STATUS_COLOURS = {
    SUCCEEDED: ("#dff3d8", "#1d8102"),
    FAILED: ("#fde2e1", "#d13212"),
    CAUGHT: ("#fdebd0", "#e07700"),
    RUNNING: ("#dbeefe", "#0972d3"),
    CANCELLED: ("#eceff1", "#5f6b7a"),
    NOT_REACHED: ("#ffffff", "#9ba7b6"),
    IN_CHILD_WORKFLOWS: ("#f4f4ff", "#7d6bd6"),
}

_SHAPES = {"Choice": ('{"', '"}'), "Succeed": ('(["', '"])'), "Fail": ('(["', '"])')}
_ARROWS = {"catch": "-.->", "item": "-.->"}


def flowchart(graph: StateGraph, statuses: dict[str, str], labels: dict[str, str] | None = None) -> str:
    """`statuses`: state name -> status class; `labels`: state name -> a second line (retries, visits, counts)."""
    labels = labels or {}
    lines = ["flowchart TD", f'  {START}(("{START}"))', f'  {END}(("{END}"))']
    lines += _scope(graph, None, statuses, labels, "  ")
    for transition in graph.transitions:
        arrow = _ARROWS.get(transition.kind, "-->")
        label = f'|"{_escape(transition.label)}"|' if transition.label else ""
        source = START if transition.kind == "start" else graph.states[transition.source].node_id
        target = END if transition.kind == "end" else graph.states[transition.target].node_id
        lines.append(f"  {source} {arrow}{label} {target}")
    lines += [f"  class {START},{END} marker", "  classDef marker fill:#232f3e,color:#ffffff,stroke:#232f3e"]
    lines += [
        f"  classDef {status} fill:{fill},stroke:{border},stroke-width:2px"
        for status, (fill, border) in STATUS_COLOURS.items()
    ]
    return "\n".join(lines)


def _scope(
    graph: StateGraph, parent: str | None, statuses: dict[str, str], labels: dict[str, str], indent: str
) -> list[str]:
    lines: list[str] = []
    for state in graph.children(parent):
        lines.append(f"{indent}{_node(state, labels.get(state.name))}")
        lines.append(f"{indent}class {state.node_id} {statuses.get(state.name, NOT_REACHED)}")
        inner = graph.children(state.name)
        if inner:
            title = "each item, in a child workflow" if state.distributed else "each item"
            if state.type == "Parallel":
                title = "branches"
            lines.append(f'{indent}subgraph {state.node_id}_items ["{_escape(state.name)}: {title}"]')
            lines += _scope(graph, state.name, statuses, labels, indent + "  ")
            lines.append(f"{indent}end")
    return lines


def _node(state: StateNode, second_line: str | None) -> str:
    opening, closing = _SHAPES.get(state.type, ('["', '"]'))
    text = _escape(state.name) + (f"<br/><small>{_escape(second_line)}</small>" if second_line else "")
    return f"{state.node_id}{opening}{text}{closing}"


def _escape(text: str) -> str:
    """Text inside a quoted mermaid label: quotes and the characters mermaid or HTML read are entity codes."""
    replacements = {"&": "#amp;", '"': "#quot;", "<": "#lt;", ">": "#gt;", "|": "#124;", "#": "#35;"}
    return "".join(replacements.get(character, character) for character in text)
