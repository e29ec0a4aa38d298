"""A state machine's definition (Amazon States Language) as a graph: its states, nested ones included, and the
transitions between them (Next, Choice rules and Default, Catch), the way the Step Functions console draws it.

State names are unique across a whole state machine (ASL requires it), nested Map and Parallel states included, so
a name identifies a state everywhere: in the graph, in the history and in the page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# The graph's own entry and exit markers, as on AWS. A state may have the same name: a transition says by its kind
# ("start", "end") that it leaves or reaches a marker, so that the name is never what tells them apart.
START = "Start"
END = "End"


@dataclass(frozen=True)
class StateNode:
    name: str
    type: str
    node_id: str  # a name safe in any graph syntax: s0, s1, ...
    parent: str | None = None  # the Map or Parallel state whose processor or branch holds it
    comment: str = ""
    distributed: bool = False  # a Map whose items run as child workflows (a Map Run), not in this history


@dataclass(frozen=True)
class Transition:
    source: str  # state names; START for a "start" transition, END as the target of an "end" one
    target: str
    label: str = ""
    kind: str = "next"  # next | choice | default | catch | item (a Map to its processor's first state) | start | end


@dataclass
class StateGraph:
    states: dict[str, StateNode] = field(default_factory=dict)
    transitions: list[Transition] = field(default_factory=list)

    def children(self, parent: str | None) -> list[StateNode]:
        return [state for state in self.states.values() if state.parent == parent]


def graph_of(definition: dict[str, Any]) -> StateGraph:
    graph = StateGraph()
    graph.transitions.append(Transition(START, definition["StartAt"], kind="start"))
    _add_scope(graph, definition["States"], parent=None)
    return graph


def _add_scope(graph: StateGraph, states: dict[str, Any], parent: str | None) -> None:
    for name, state in states.items():
        processor = state.get("ItemProcessor") or state.get("Iterator")
        distributed = bool(processor) and processor.get("ProcessorConfig", {}).get("Mode") == "DISTRIBUTED"
        node_id = f"s{len(graph.states)}"
        graph.states[name] = StateNode(name, state["Type"], node_id, parent, state.get("Comment", ""), distributed)
        graph.transitions.extend(_transitions(name, state, top_level=parent is None))
        if processor:
            graph.transitions.append(Transition(name, processor["StartAt"], "each item", "item"))
            _add_scope(graph, processor["States"], parent=name)
        for branch in state.get("Branches", []):
            graph.transitions.append(Transition(name, branch["StartAt"], "branch", "item"))
            _add_scope(graph, branch["States"], parent=name)


def _transitions(name: str, state: dict[str, Any], *, top_level: bool) -> list[Transition]:
    found: list[Transition] = []
    if "Next" in state:
        found.append(Transition(name, state["Next"]))
    for rule in state.get("Choices", []):
        found.append(Transition(name, rule["Next"], choice_label(rule), "choice"))
    if "Default" in state:
        found.append(Transition(name, state["Default"], "default", "default"))
    catches: dict[str, list[str]] = {}
    for catch in state.get("Catch", []):
        catches.setdefault(catch["Next"], []).extend(catch["ErrorEquals"])
    found.extend(Transition(name, target, "catch " + ", ".join(errors), "catch") for target, errors in catches.items())
    ends = state.get("End") or state["Type"] in ("Succeed", "Fail")
    if ends and top_level:  # a nested scope's end returns to its Map or Parallel, drawn around it
        found.append(Transition(name, END, kind="end"))
    return found


LABEL_CHARS = 60
_COMPARISONS = {  # by the end of the operator's name: GreaterThanEquals before Equals, which it ends with
    "GreaterThanEquals": ">=",
    "LessThanEquals": "<=",
    "GreaterThan": ">",
    "LessThan": "<",
    "Equals": "==",
}


def choice_label(rule: dict[str, Any]) -> str:
    """A Choice rule in a few words: `$.crawl.state == 'READY'`, `not (...)`, `... and ...` (cut to LABEL_CHARS)."""
    if "Condition" in rule:  # JSONata
        return str(rule["Condition"]).strip("{}% ")
    if "Not" in rule:
        return f"not ({choice_label(rule['Not'])})"
    for combined, word in (("And", " and "), ("Or", " or ")):
        if combined in rule:
            return _cut(word.join(choice_label(part) for part in rule[combined]))
    variable = str(rule.get("Variable", ""))
    for key, value in rule.items():
        if key in ("Variable", "Next"):
            continue
        comparison = key.removesuffix("Path")  # StringEqualsPath: StringEquals, with another path's value
        operator = next((sign for suffix, sign in _COMPARISONS.items() if comparison.endswith(suffix)), key)
        return f"{variable} {operator} {_value(key, value)}"
    return variable


def _cut(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


def _value(key: str, value: Any) -> str:
    if key.endswith("Path"):
        return str(value)
    if key in ("IsPresent", "IsNull", "IsString", "IsNumeric", "IsBoolean", "IsTimestamp"):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    return str(value).lower() if isinstance(value, bool) else str(value)
