"""The execution page's graph as mermaid text (orders_etl_console.mermaid_text.flowchart): a node per state in the
shape of its type and the class of its status, a subgraph per Map or Parallel, dotted arrows for catches and items,
and labels that no state name can break."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from orders_etl_console.mermaid_text import STATUS_COLOURS, flowchart
from orders_etl_console.state_graph import END, START, StateGraph, graph_of
from orders_etl_console.state_outcomes import CAUGHT, FAILED, IN_CHILD_WORKFLOWS, NOT_REACHED, SUCCEEDED

STATEMACHINE = Path(__file__).resolve().parents[2] / "statemachine"
HOSTILE = 'a "b" <c> | #d & e'
ENTITIES = {"quot": '"', "lt": "<", "gt": ">", "124": "|", "35": "#", "amp": "&"}


def shipped(name: str) -> StateGraph:
    return graph_of(json.loads((STATEMACHINE / name).read_text()))


def ids(graph: StateGraph) -> dict[str, str]:
    return {name: state.node_id for name, state in graph.states.items()}


def unescape(label: str) -> str:
    """What the browser shows for a label: mermaid turns `#name;` into an HTML entity."""
    return re.sub(r"#(\w+);", lambda match: ENTITIES[match[1]], label)


def test_each_state_is_a_node_in_the_shape_of_its_type_and_the_class_of_its_status() -> None:
    definition: dict[str, Any] = {
        "StartAt": "Work",
        "States": {
            "Work": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": "Hold"},
            "Hold": {"Type": "Wait", "Seconds": 1, "Next": "Shape"},
            "Shape": {"Type": "Pass", "Next": "Which?"},
            "Which?": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.ok", "BooleanEquals": True, "Next": "Done"}],
                "Default": "Stop",
            },
            "Done": {"Type": "Succeed"},
            "Stop": {"Type": "Fail", "Error": "E"},
        },
    }
    graph = graph_of(definition)
    node = ids(graph)

    lines = flowchart(graph, {"Work": SUCCEEDED, "Which?": CAUGHT, "Stop": FAILED}).splitlines()

    assert lines[:3] == ["flowchart TD", f'  {START}(("{START}"))', f'  {END}(("{END}"))']
    assert lines[3:15] == [
        f'  {node["Work"]}["Work"]',
        f"  class {node['Work']} {SUCCEEDED}",
        f'  {node["Hold"]}["Hold"]',
        f"  class {node['Hold']} {NOT_REACHED}",
        f'  {node["Shape"]}["Shape"]',
        f"  class {node['Shape']} {NOT_REACHED}",
        f'  {node["Which?"]}{{"Which?"}}',
        f"  class {node['Which?']} {CAUGHT}",
        f'  {node["Done"]}(["Done"])',
        f"  class {node['Done']} {NOT_REACHED}",
        f'  {node["Stop"]}(["Stop"])',
        f"  class {node['Stop']} {FAILED}",
    ]
    assert f"  class {START},{END} marker" in lines
    class_defs = [line for line in lines if line.startswith("  classDef ") and " marker " not in line]
    assert class_defs == [
        f"  classDef {status} fill:{fill},stroke:{border},stroke-width:2px"
        for status, (fill, border) in STATUS_COLOURS.items()
    ]


def test_every_state_of_the_backfill_has_one_class_line_with_its_status() -> None:
    graph = shipped("backfill.asl.json")
    statuses = {"Apply defaults": SUCCEEDED, "Process every file": FAILED, "Pin the version": IN_CHILD_WORKFLOWS}

    classes = re.findall(r"^\s*class (s\d+) (\w+)$", flowchart(graph, statuses), flags=re.MULTILINE)

    assert sorted(classes) == sorted(
        (state.node_id, statuses.get(name, NOT_REACHED)) for name, state in graph.states.items()
    )


def test_a_name_that_mermaid_or_html_would_read_is_escaped_in_nodes_edges_and_subgraph_titles() -> None:
    definition = {
        "StartAt": HOSTILE,
        "States": {
            HOSTILE: {
                "Type": "Map",
                "ItemProcessor": {"StartAt": "Inner", "States": {"Inner": {"Type": "Pass", "End": True}}},
                "Catch": [{"ErrorEquals": ["Bad<Error>"], "Next": "Which?"}],
                "Next": "Which?",
            },
            "Which?": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.key", "StringMatches": 'a|b"*', "Next": "Done"}],
                "Default": "Done",
            },
            "Done": {"Type": "Succeed"},
        },
    }
    graph = graph_of(definition)
    node = ids(graph)

    text = flowchart(graph, {}, {"Done": '1 <retry> & "2" | #3'})

    hostile_label = "a #quot;b#quot; #lt;c#gt; #124; #35;d #amp; e"
    assert unescape(hostile_label) == HOSTILE
    lines = text.splitlines()
    assert f'  {node[HOSTILE]}["{hostile_label}"]' in lines
    assert f'  subgraph {node[HOSTILE]}_items ["{hostile_label}: each item"]' in lines
    assert f'  {node[HOSTILE]} -.->|"catch Bad#lt;Error#gt;"| {node["Which?"]}' in lines
    assert f"  {node['Which?']} -->|\"$.key StringMatches 'a#124;b#quot;*'\"| {node['Done']}" in lines
    done = f'  {node["Done"]}(["Done<br/><small>1 #lt;retry#gt; #amp; #quot;2#quot; #124; #35;3</small>"])'
    assert done in lines
    # Inside each quoted label, nothing is left that ends the quotes, a link label or an entity early, or that
    # HTML would read as a tag (the second line's own <br/><small> aside)
    labels = re.findall(r'"(.*?)"', text.replace("<br/><small>", "").replace("</small>", ""))
    labelled = [transition for transition in graph.transitions if transition.label]
    assert len(labels) == 2 + len(graph.states) + 1 + len(labelled)  # Start and End, states, subgraph, edges
    for label in labels:
        assert not set(label) & set('"<>|&'), label
        assert not re.sub(r"#\w+;", "", label).count("#"), label


def test_second_lines_show_under_their_state_only() -> None:
    graph = shipped("order_pipeline.asl.json")
    node = ids(graph)

    text = flowchart(graph, {}, {"Check crawl": "3 visits, 1 retry"})

    assert f'  {node["Check crawl"]}["Check crawl<br/><small>3 visits, 1 retry</small>"]' in text.splitlines()
    assert text.count("<br/>") == 1


def test_each_map_and_parallel_is_a_subgraph_holding_exactly_its_nested_states() -> None:
    graph = shipped("backfill.asl.json")
    node = ids(graph)

    lines = flowchart(graph, {}).splitlines()

    enclosing: dict[str, str | None] = {}  # node id -> the subgraph it is drawn in
    titles: dict[str, str] = {}
    open_subgraphs: list[str] = []
    for line in lines:
        if match := re.fullmatch(r'\s*subgraph (\S+) \["(.*)"\]', line):
            open_subgraphs.append(match[1])
            titles[match[1]] = match[2]
        elif line.strip() == "end":
            open_subgraphs.pop()
        elif match := re.fullmatch(r"\s*(s\d+)[\[{(].*", line):
            enclosing[match[1]] = open_subgraphs[-1] if open_subgraphs else None
    assert not open_subgraphs
    assert enclosing == {
        state.node_id: None if state.parent is None else f"{node[state.parent]}_items"
        for state in graph.states.values()
    }
    assert titles == {
        f"{node['Process every file']}_items": "Process every file: each item, in a child workflow",
        f"{node['Each file of the batch']}_items": "Each file of the batch: each item",
        f"{node['Record the batch']}_items": "Record the batch: branches",
    }


def test_catch_and_item_edges_are_dotted_and_the_others_solid() -> None:
    graph = shipped("order_pipeline.asl.json")
    node = ids(graph)

    arrows = [line for line in flowchart(graph, {}).splitlines() if "->" in line]

    assert len(arrows) == len(graph.transitions)
    assert [line for line in arrows if "-.->" in line] == [
        f'  {node["Validate order file"]} -.->|"catch NothingToProcess"| {node["Nothing to do"]}',
        f'  {node["Validate order file"]} -.->|"catch InvalidOrderFile, FileTooLarge, NotAnOrderFile, '
        f'Sandbox.Timedout"| {node["Quarantine the file"]}',
        f'  {node["Flatten to Parquet"]} -.->|"catch NothingToProcess"| {node["Nothing to do"]}',
        f'  {node["Flatten to Parquet"]} -.->|"catch InvalidOrderFile, FileTooLarge, NotAnOrderFile, '
        f'Sandbox.Timedout"| {node["Quarantine the file"]}',
    ]
    assert f"  {START} --> {node['Event names its version?']}" in arrows
    assert f"  {node['Validate order file']} --> {node['Flatten to Parquet']}" in arrows
    assert f'  {node["Crawl finished?"]} -->|"default"| {node["Wait for the crawl"]}' in arrows
    assert f"  {node['Reject the file']} --> {END}" in arrows

    backfill = shipped("backfill.asl.json")
    items = [line for line in flowchart(backfill, {}).splitlines() if '|"each item"|' in line or '|"branch"|' in line]
    assert items == [
        f'  {ids(backfill)["Process every file"]} -.->|"each item"| {ids(backfill)["Each file of the batch"]}',
        f'  {ids(backfill)["Each file of the batch"]} -.->|"each item"| {ids(backfill)["Pin the version"]}',
        f'  {ids(backfill)["Record the batch"]} -.->|"branch"| {ids(backfill)["Put the batch report"]}',
    ]


def test_states_named_start_and_end_are_states_not_the_graphs_markers() -> None:
    # GIVEN a definition whose states are named like the graph's markers
    definition = {
        "StartAt": "Start",
        "States": {"Start": {"Type": "Pass", "Next": "End"}, "End": {"Type": "Pass", "End": True}},
    }
    graph = graph_of(definition)
    # WHEN it is drawn
    arrows = [line for line in flowchart(graph, {}).splitlines() if "-->" in line]
    # THEN the marker Start leads to the state Start, which leads to the state End, which leads to the marker End
    start, end = graph.states["Start"].node_id, graph.states["End"].node_id
    assert arrows == [f"  {START} --> {start}", f"  {start} --> {end}", f"  {end} --> {END}"]
