"""The console's state graph (orders_etl_console.state_graph): every state of a definition, nested ones with their
Map or Parallel, and the transitions the Step Functions console draws, on the shipped definitions and small ones."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from orders_etl_console.state_graph import END, LABEL_CHARS, START, StateGraph, choice_label, graph_of

STATEMACHINE = Path(__file__).resolve().parents[2] / "statemachine"
CATCH_BAD_FILE = "catch InvalidOrderFile, FileTooLarge, NotAnOrderFile, Sandbox.Timedout"


def shipped(name: str) -> dict[str, Any]:
    definition: dict[str, Any] = json.loads((STATEMACHINE / name).read_text())
    return definition


def edges(graph: StateGraph) -> list[tuple[str, str, str, str]]:
    return sorted((t.source, t.target, t.kind, t.label) for t in graph.transitions)


def assert_well_formed(graph: StateGraph) -> None:
    """Node ids unique; every transition joins known states or the Start and End markers."""
    node_ids = [state.node_id for state in graph.states.values()]
    assert len(set(node_ids)) == len(node_ids)
    for transition in graph.transitions:
        assert (transition.kind, transition.source) == ("start", START) or transition.source in graph.states, transition
        assert (transition.kind, transition.target) == ("end", END) or transition.target in graph.states, transition


def test_the_order_pipeline_has_each_state_once_at_top_level_and_exactly_its_transitions() -> None:
    definition = shipped("order_pipeline.asl.json")
    graph = graph_of(definition)

    assert {name: state.type for name, state in graph.states.items()} == {
        name: state["Type"] for name, state in definition["States"].items()
    }
    assert all(state.parent is None and not state.distributed for state in graph.states.values())
    assert graph.states["Validate order file"].comment == definition["States"]["Validate order file"]["Comment"]
    assert_well_formed(graph)
    # The And of two IsPresent tests is longer than a label: cut, with an ellipsis, to LABEL_CHARS
    both_present = "$.detail.object.version-id IsPresent true and $.detail.obje…"
    assert len(both_present) == LABEL_CHARS
    assert edges(graph) == sorted(
        [
            (START, "Event names its version?", "start", ""),
            ("Event names its version?", "Validate order file", "choice", both_present),
            ("Event names its version?", "Read the latest version", "default", "default"),
            ("Read the latest version", "Validate order file", "next", ""),
            ("Validate order file", "Flatten to Parquet", "next", ""),
            ("Validate order file", "Nothing to do", "catch", "catch NothingToProcess"),
            ("Validate order file", "Quarantine the file", "catch", CATCH_BAD_FILE),
            ("Flatten to Parquet", "Start crawl", "next", ""),
            ("Flatten to Parquet", "Nothing to do", "catch", "catch NothingToProcess"),
            ("Flatten to Parquet", "Quarantine the file", "catch", CATCH_BAD_FILE),
            ("Start crawl", "Wait for the crawl", "next", ""),
            ("Wait for the crawl", "Count the check", "next", ""),
            ("Count the check", "Check crawl", "next", ""),
            ("Check crawl", "Crawl finished?", "next", ""),
            ("Crawl finished?", "Table updated", "choice", "$.crawl.check.status == 'SUCCEEDED'"),
            ("Crawl finished?", "Start crawl", "choice", "$.crawl.check.status == 'STALE'"),
            ("Crawl finished?", "Wait for the crawl", "default", "default"),
            ("Table updated", END, "end", ""),
            ("Nothing to do", END, "end", ""),
            ("Quarantine the file", "Reject the file", "next", ""),
            ("Reject the file", END, "end", ""),
        ]
    )


BACKFILL_STATES = {  # name: (type, parent, distributed)
    "Apply defaults": ("Pass", None, False),
    "Read the options": ("Pass", None, False),
    "Prefix in the raw area?": ("Choice", None, False),
    "Prefix outside the raw area": ("Fail", None, False),
    "Process every file": ("Map", None, True),
    "Each file of the batch": ("Map", "Process every file", False),
    "Pin the version": ("Task", "Each file of the batch", False),
    "An order file still there?": ("Choice", "Each file of the batch", False),
    "Skip it": ("Pass", "Each file of the batch", False),
    "It is gone": ("Pass", "Each file of the batch", False),
    "Validate order file": ("Task", "Each file of the batch", False),
    "Flatten to Parquet": ("Task", "Each file of the batch", False),
    "Quarantine the file": ("Task", "Each file of the batch", False),
    "Quarantined": ("Pass", "Each file of the batch", False),
    "Record the batch": ("Parallel", "Process every file", False),
    "Put the batch report": ("Task", "Record the batch", False),
    "A passing S3 error?": ("Choice", "Record the batch", False),
    "S3 is busy": ("Fail", "Record the batch", False),
    "S3 refused": ("Fail", "Record the batch", False),
    "Summarize the backfill": ("Task", None, False),
    "Anything published?": ("Choice", None, False),
    "Start crawl": ("Task", None, False),
    "Wait for the crawl": ("Wait", None, False),
    "Count the check": ("Pass", None, False),
    "Check crawl": ("Task", None, False),
    "Crawl finished?": ("Choice", None, False),
    "Backfill done": ("Succeed", None, False),
}


def test_the_backfill_nests_its_map_processors_and_parallel_branch_under_their_state() -> None:
    graph = graph_of(shipped("backfill.asl.json"))

    assert {name: (s.type, s.parent, s.distributed) for name, s in graph.states.items()} == BACKFILL_STATES
    assert [s.name for s in graph.children("Record the batch")] == [
        "Put the batch report",
        "A passing S3 error?",
        "S3 is busy",
        "S3 refused",
    ]
    assert_well_formed(graph)
    transitions = edges(graph)
    # A Map to its processor's first state, a Parallel to its branch's
    assert [t for t in transitions if t[2] == "item"] == [
        ("Each file of the batch", "Pin the version", "item", "each item"),
        ("Process every file", "Each file of the batch", "item", "each item"),
        ("Record the batch", "Put the batch report", "item", "branch"),
    ]
    # Only the top level ends the execution: the nested End and Fail states return to their Map or Parallel
    assert {t[0] for t in transitions if t[1] == END} == {"Prefix outside the raw area", "Backfill done"}
    assert ("Process every file", "Summarize the backfill", "next", "") in transitions
    # Catches inside a processor are merged per target as at top level
    assert [t for t in transitions if t[0] == "Validate order file" and t[2] == "catch"] == [
        ("Validate order file", "It is gone", "catch", "catch NothingToProcess"),
        ("Validate order file", "Quarantine the file", "catch", CATCH_BAD_FILE),
    ]
    assert ("Put the batch report", "A passing S3 error?", "catch", "catch S3.S3Exception") in transitions
    assert ("Prefix in the raw area?", "Process every file", "choice", "$.prefix StringMatches '${RawPrefix}*'") in (
        transitions
    )
    assert ("Anything published?", "Start crawl", "choice", "$.summary.published > 0") in transitions


def test_a_small_definition_with_a_legacy_iterator_two_branches_and_split_catches() -> None:
    definition = {
        "StartAt": "Fan out",
        "States": {
            "Fan out": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "Left", "States": {"Left": {"Type": "Succeed"}}},
                    {
                        "StartAt": "Each",
                        "States": {
                            "Each": {  # an inline Map in the older Iterator form
                                "Type": "Map",
                                "Iterator": {"StartAt": "Item", "States": {"Item": {"Type": "Pass", "End": True}}},
                                "End": True,
                            }
                        },
                    },
                ],
                # Two catches to the same state around one to another: one arrow each, errors in their order
                "Catch": [
                    {"ErrorEquals": ["A"], "Next": "Recover"},
                    {"ErrorEquals": ["B"], "Next": "Give up"},
                    {"ErrorEquals": ["C", "D"], "Next": "Recover"},
                ],
                "Next": "Done",
            },
            "Recover": {"Type": "Pass", "Next": "Done"},
            "Give up": {"Type": "Fail", "Error": "X"},
            "Done": {"Type": "Succeed"},
        },
    }
    graph = graph_of(definition)

    assert {name: (s.type, s.parent, s.distributed) for name, s in graph.states.items()} == {
        "Fan out": ("Parallel", None, False),
        "Left": ("Succeed", "Fan out", False),
        "Each": ("Map", "Fan out", False),
        "Item": ("Pass", "Each", False),
        "Recover": ("Pass", None, False),
        "Give up": ("Fail", None, False),
        "Done": ("Succeed", None, False),
    }
    assert_well_formed(graph)
    assert edges(graph) == sorted(
        [
            (START, "Fan out", "start", ""),
            ("Fan out", "Done", "next", ""),
            ("Fan out", "Recover", "catch", "catch A, C, D"),
            ("Fan out", "Give up", "catch", "catch B"),
            ("Fan out", "Left", "item", "branch"),
            ("Fan out", "Each", "item", "branch"),
            ("Each", "Item", "item", "each item"),
            ("Recover", "Done", "next", ""),
            ("Give up", END, "end", ""),  # a Fail and a Succeed end without "End": true
            ("Done", END, "end", ""),
        ]
    )


@pytest.mark.parametrize(
    ("rule", "label"),
    [
        ({"Variable": "$.s", "StringEquals": "READY", "Next": "X"}, "$.s == 'READY'"),
        ({"Next": "X", "Variable": "$.s", "StringMatches": "raw/*"}, "$.s StringMatches 'raw/*'"),
        ({"Variable": "$.n", "NumericEquals": 3}, "$.n == 3"),
        ({"Variable": "$.n", "NumericGreaterThan": 0}, "$.n > 0"),
        ({"Variable": "$.n", "NumericLessThan": 2.5}, "$.n < 2.5"),
        ({"Variable": "$.n", "NumericGreaterThanEquals": 10}, "$.n >= 10"),
        ({"Variable": "$.n", "NumericLessThanEquals": 10}, "$.n <= 10"),
        ({"Variable": "$.t", "TimestampLessThan": "2025-01-01T00:00:00Z"}, "$.t < '2025-01-01T00:00:00Z'"),
        ({"Variable": "$.b", "BooleanEquals": True}, "$.b == true"),
        ({"Variable": "$.b", "BooleanEquals": False}, "$.b == false"),
        ({"Variable": "$.a", "StringEqualsPath": "$.b"}, "$.a == $.b"),
        ({"Variable": "$.a", "NumericGreaterThanEqualsPath": "$.b"}, "$.a >= $.b"),
        ({"Variable": "$.a", "TimestampLessThanPath": "$.b"}, "$.a < $.b"),
        ({"Variable": "$.a", "IsPresent": True}, "$.a IsPresent true"),
        ({"Variable": "$.a", "IsPresent": False}, "$.a IsPresent false"),
        ({"Not": {"Variable": "$.s", "StringEquals": "x"}, "Next": "X"}, "not ($.s == 'x')"),
        (
            {"And": [{"Variable": "$.n", "NumericGreaterThan": 1}, {"Variable": "$.n", "NumericLessThan": 5}]},
            "$.n > 1 and $.n < 5",
        ),
        (
            {"Or": [{"Variable": "$.a", "IsNull": True}, {"Not": {"Variable": "$.a", "IsPresent": True}}]},
            "$.a IsNull true or not ($.a IsPresent true)",
        ),
        ({"Condition": "{% $states.input.n > 1 %}", "Next": "X"}, "$states.input.n > 1"),
    ],
)
def test_choice_label(rule: dict[str, Any], label: str) -> None:
    assert choice_label(rule) == label


def and_of(width: int) -> dict[str, Any]:
    """`$.v == 'x…x' and $.w IsPresent true`: 61 characters with 29 x's."""
    return {"And": [{"Variable": "$.v", "StringEquals": "x" * width}, {"Variable": "$.w", "IsPresent": True}]}


def test_and_labels_are_cut_to_label_chars_only_when_longer() -> None:
    fits = choice_label(and_of(28))
    assert fits == "$.v == '" + "x" * 28 + "' and $.w IsPresent true"
    assert len(fits) == LABEL_CHARS
    cut = choice_label(and_of(29))
    assert cut == "$.v == '" + "x" * 29 + "' and $.w IsPresent tr…"
    assert len(cut) == LABEL_CHARS
