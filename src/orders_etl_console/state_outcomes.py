"""What happened to each state of one execution, read from its event history, in the Step Functions console's terms:
succeeded, failed, caught (failed, and a Catch took the execution on), in progress, cancelled, or not reached.

Events of parallel work (inline Map iterations, Parallel branches) interleave, so an event is given to a state's visit
by following `previousEventId` back to the `…StateEntered` event that began it, never by "the last state entered".
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
# The execution's end stops the visits still open: failed or cancelled with it; after a success, a visit still open
# was left behind (a Parallel's other branch when one failed and a Catch took over): cancelled.
_EXECUTION_ENDS = {
    "ExecutionFailed": FAILED,
    "ExecutionTimedOut": FAILED,
    "ExecutionAborted": CANCELLED,
    "ExecutionSucceeded": CANCELLED,
}
# A Parallel's or Map's own outcome follows its branches' or iterations' last events, not its own: it belongs to
# the innermost Parallel or Map visit still open.
_CONTAINERS = ("ParallelStateEntered", "MapStateEntered")
_CONTAINER_ENDS = tuple(
    f"{kind}State{end}" for kind in ("Parallel", "Map") for end in ("Succeeded", "Failed", "Aborted")
)


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
    visits: dict[int, StateVisit] = {}  # …StateEntered event id -> the visit it began
    start_of = _visit_starts(events)
    for event in events:
        kind = event["type"]
        if kind in _EXECUTION_ENDS:
            _stop_open_visits(outcomes, event, _EXECUTION_ENDS[kind])
            continue
        start = start_of.get(event["id"])
        if start is None:
            continue
        if start == event["id"]:  # a …StateEntered event: a new visit
            details = event["stateEnteredEventDetails"]
            name = details["name"]
            visits[start] = StateVisit(event["timestamp"], input=details.get("input"))
            if name in fail_states:
                visits[start].ended_as = FAILED
            outcomes.setdefault(name, StateOutcome(name)).visits.append(visits[start])
            continue
        visit = visits[start]
        if kind.endswith("StateExited"):
            visit.exited = event["timestamp"]
            visit.output = event["stateExitedEventDetails"].get("output")
        elif kind in _ATTEMPT_STARTS:
            visit.attempts += 1
            visit.last_attempt_failed = False
        elif kind.endswith(_FAILURE_SUFFIXES):
            details = _details(event)
            visit.error, visit.cause = details.get("error"), details.get("cause")
            visit.last_attempt_failed = True
        elif kind.endswith(_SUCCESS_SUFFIXES):
            visit.last_attempt_failed = False
    return outcomes


def event_state(events: list[dict[str, Any]]) -> dict[int, str]:
    """The state each event belongs to (event id -> state name); execution-level events have none."""
    names = {e["id"]: e["stateEnteredEventDetails"]["name"] for e in events if e["type"].endswith("StateEntered")}
    return {event_id: names[start] for event_id, start in _visit_starts(events).items()}


def _visit_starts(events: list[dict[str, Any]]) -> dict[int, int]:
    """The visit each event belongs to, as the id of the …StateEntered event that began it (event id -> that id).

    Iterations of an inline Map visit the same states at the same time, so an event goes to a visit, not to the
    state's latest one. A …StateExited event goes to a visit of its own state, past the visits of the states it
    follows (a Map's or Parallel's exit follows its iterations' or branches' events). Execution-level events, and
    an event that follows a state that had ended, belong to no visit.
    """
    by_id = {event["id"]: event for event in events}
    names: dict[int, str] = {}  # …StateEntered event id -> its state
    latest: dict[str, int] = {}  # state -> the …StateEntered event id of its latest visit
    start_of: dict[int, int] = {}
    containers: list[int] = []  # the Parallel and Map visits still open, innermost last
    for event in events:
        kind, event_id = event["type"], event["id"]
        if kind.endswith("StateEntered"):
            names[event_id] = event["stateEnteredEventDetails"]["name"]
            latest[names[event_id]] = start_of[event_id] = event_id
            if kind in _CONTAINERS:
                containers.append(event_id)
            continue
        if kind.startswith("Execution"):
            continue
        if kind in _CONTAINER_ENDS:
            start = containers[-1] if containers else None
        elif kind.endswith("StateExited"):
            name = str(event["stateExitedEventDetails"]["name"])
            start = _exit_start(event, name, by_id, names, start_of) or latest.get(name)
            if start in containers:
                containers.remove(start)
        else:
            start = _start(event, by_id, start_of)
        if start is not None:
            start_of[event_id] = start
    return start_of


def _start(event: dict[str, Any], by_id: dict[int, dict[str, Any]], start_of: dict[int, int]) -> int | None:
    previous = event.get("previousEventId")
    for _ in range(len(by_id)):
        earlier = by_id.get(previous) if previous else None
        if earlier is None or earlier["type"].endswith("StateExited"):
            return None  # after a state that had ended: no state's (the execution's end)
        if previous in start_of:
            return start_of[previous]
        previous = earlier.get("previousEventId")
    return None


def _exit_start(
    event: dict[str, Any], name: str, by_id: dict[int, dict[str, Any]], names: dict[int, str], start_of: dict[int, int]
) -> int | None:
    previous = event.get("previousEventId")
    for _ in range(len(by_id)):
        if not previous or previous not in by_id:
            return None
        start = start_of.get(previous)
        if start is not None and names[start] == name:
            return start
        previous = by_id[previous if start is None else start].get("previousEventId")  # past another state's visit
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
