"""What happened to each state of one execution, read from its event history, in the Step Functions console's terms:
succeeded, failed, caught (failed, and a Catch took the execution on), in progress, cancelled, or not reached.

Events of parallel work (inline Map iterations, Parallel branches) interleave, so an event is given to a state by
following `previousEventId` back to the state's `…StateEntered` event, never by "the last state entered".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

SUCCEEDED, FAILED, CAUGHT, RUNNING, CANCELLED, NOT_REACHED = (
    "succeeded",
    "failed",
    "caught",
    "running",
    "cancelled",
    "notreached",
)
# A state of a Distributed Map's processor runs in the Map Run's child workflows, whose history is not this one.
IN_CHILD_WORKFLOWS = "inmaprun"
STATUS_WORDS = {
    SUCCEEDED: "Succeeded",
    FAILED: "Failed",
    CAUGHT: "Caught error",
    RUNNING: "In progress",
    CANCELLED: "Cancelled",
    NOT_REACHED: "Not reached",
    IN_CHILD_WORKFLOWS: "In the Map Run's child workflows",
}

# Each attempt of a task starts with one of these; more than one per visit means retries.
_ATTEMPT_STARTS = ("TaskScheduled", "LambdaFunctionScheduled", "ActivityScheduled", "MapRunStarted")
_FAILURE_SUFFIXES = ("Failed", "TimedOut", "Aborted")
_SUCCESS_SUFFIXES = ("Succeeded",)
_EXECUTION_ENDS = {"ExecutionFailed": FAILED, "ExecutionTimedOut": FAILED, "ExecutionAborted": CANCELLED}


@dataclass
class StateVisit:
    entered: datetime
    input: str | None = None
    exited: datetime | None = None
    output: str | None = None
    attempts: int = 0
    error: str | None = None
    cause: str | None = None
    last_attempt_failed: bool = False
    ended_as: str | None = None  # FAILED or CANCELLED when the execution stopped inside this visit


@dataclass
class StateOutcome:
    name: str
    visits: list[StateVisit] = field(default_factory=list)

    @property
    def status(self) -> str:
        if not self.visits:
            return NOT_REACHED
        last = self.visits[-1]
        if last.ended_as:
            return last.ended_as
        if last.exited is None:
            return RUNNING
        return CAUGHT if last.last_attempt_failed else SUCCEEDED

    @property
    def retries(self) -> int:
        return sum(max(visit.attempts - 1, 0) for visit in self.visits)


def state_outcomes(
    events: list[dict[str, Any]], fail_states: set[str] | frozenset[str] = frozenset()
) -> dict[str, StateOutcome]:
    """Each state that was entered, with its visits in order; `fail_states` (type Fail) count as failed once entered."""
    outcomes: dict[str, StateOutcome] = {}
    by_id = {event["id"]: event for event in events}
    state_of: dict[int, str] = {}  # event id -> the state it belongs to
    for event in events:
        kind = event["type"]
        if kind.endswith("StateEntered"):
            details = event["stateEnteredEventDetails"]
            name = details["name"]
            state_of[event["id"]] = name
            outcome = outcomes.setdefault(name, StateOutcome(name))
            outcome.visits.append(StateVisit(event["timestamp"], input=details.get("input")))
            if name in fail_states:
                outcome.visits[-1].ended_as = FAILED
            continue
        name = _owner(event, by_id, state_of)
        if name is None or name not in outcomes:
            if kind in _EXECUTION_ENDS:
                _stop_open_visits(outcomes, event, _EXECUTION_ENDS[kind])
            continue
        visit = outcomes[name].visits[-1]
        if kind.endswith("StateExited"):
            visit.exited = event["timestamp"]
            visit.output = event["stateExitedEventDetails"].get("output")
        elif kind in _ATTEMPT_STARTS:
            visit.attempts += 1
            visit.last_attempt_failed = False
        elif kind.endswith(_FAILURE_SUFFIXES) and not kind.startswith("Execution"):
            details = _details(event)
            visit.error, visit.cause = details.get("error"), details.get("cause")
            visit.last_attempt_failed = True
        elif kind.endswith(_SUCCESS_SUFFIXES) and not kind.startswith("Execution"):
            visit.last_attempt_failed = False
        elif kind in _EXECUTION_ENDS:
            _stop_open_visits(outcomes, event, _EXECUTION_ENDS[kind])
    return outcomes


def event_state(events: list[dict[str, Any]]) -> dict[int, str]:
    """The state each event belongs to (event id -> state name); execution-level events have none."""
    by_id = {event["id"]: event for event in events}
    state_of: dict[int, str] = {}
    for event in events:
        if event["type"].endswith("StateEntered"):
            state_of[event["id"]] = event["stateEnteredEventDetails"]["name"]
        else:
            name = _owner(event, by_id, state_of)
            if name is not None:
                state_of[event["id"]] = name
    return state_of


def _owner(event: dict[str, Any], by_id: dict[int, dict[str, Any]], state_of: dict[int, str]) -> str | None:
    if event["type"].endswith("StateExited"):
        return str(event["stateExitedEventDetails"]["name"])
    previous = event.get("previousEventId")
    seen = 0
    while previous and seen < len(by_id):
        if previous in state_of:
            return state_of[previous]
        earlier = by_id.get(previous)
        if earlier is None:
            return None
        if earlier["type"].endswith("StateExited"):
            return None  # the event follows a state that had ended: it belongs to no state (the execution's end)
        previous, seen = earlier.get("previousEventId"), seen + 1
    return None


def _stop_open_visits(outcomes: dict[str, StateOutcome], event: dict[str, Any], ended_as: str) -> None:
    details = _details(event)
    for outcome in outcomes.values():
        visit = outcome.visits[-1]
        if visit.exited is None and visit.ended_as is None:
            visit.ended_as = ended_as
            visit.exited = event["timestamp"]
            visit.error = visit.error or details.get("error")
            visit.cause = visit.cause or details.get("cause")


def _details(event: dict[str, Any]) -> dict[str, Any]:
    """The event's `…EventDetails` (each event type has its own key)."""
    for key, value in event.items():
        if key.endswith("EventDetails") and isinstance(value, dict):
            return value
    return {}
