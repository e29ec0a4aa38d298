"""What happened to each state of an execution (orders_etl_console.state_outcomes), read from histories shaped like
GetExecutionHistory's: HistoryEvent `id`, `previousEventId`, `type`, `timestamp` and the event type's
`…EventDetails` (stateEnteredEventDetails, taskFailedEventDetails, executionFailedEventDetails, ...)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from orders_etl_console.state_graph import graph_of
from orders_etl_console.state_outcomes import (
    CANCELLED,
    CAUGHT,
    FAILED,
    NOT_REACHED,
    RUNNING,
    SUCCEEDED,
    event_state,
    state_outcomes,
)
from support import FIRST_STATE, Stack, order, product

T0 = datetime(2025, 11, 3, 12, 0, tzinfo=UTC)
LAMBDA = {"resourceType": "lambda", "resource": "invoke"}
PIPELINE = Path(__file__).resolve().parents[2] / "statemachine" / "order_pipeline.asl.json"


class History:
    """A history built event by event: ids from 1, each event after the one before unless `after` names another;
    `state` records which state the test means the event to belong to (in `owners`)."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.owners: dict[int, str] = {}
        self.add("ExecutionStarted", after=0, input="{}", roleArn="arn:aws:iam::111122223333:role/sfn")

    @property
    def last(self) -> int:
        return len(self.events)

    def add(self, kind: str, after: int | None = None, state: str | None = None, **fields: Any) -> int:
        """`fields` go in the event type's details: TaskFailed's in taskFailedEventDetails, and so on."""
        event_id = self.last + 1
        event: dict[str, Any] = {
            "timestamp": at(event_id),
            "type": kind,
            "id": event_id,
            "previousEventId": self.last if after is None else after,
        }
        if kind.endswith(("StateEntered", "StateExited")):
            event["stateEnteredEventDetails" if kind.endswith("Entered") else "stateExitedEventDetails"] = fields
            state = fields["name"]
        elif fields:
            event[kind[0].lower() + kind[1:] + "EventDetails"] = fields
        self.events.append(event)
        if state is not None:
            self.owners[event_id] = state
        return event_id

    def enter(self, kind: str, name: str, after: int | None = None, data: str = "{}") -> int:
        return self.add(f"{kind}StateEntered", after, name=name, input=data, inputDetails={"truncated": False})

    def exit(self, kind: str, name: str, after: int | None = None, data: str = "{}") -> int:
        return self.add(f"{kind}StateExited", after, name=name, output=data, outputDetails={"truncated": False})

    def attempt(self, error: str | None = None, after: int | None = None) -> int:
        """One attempt of a Lambda task: scheduled, started, then succeeded or failed with `error`."""
        self.add("TaskScheduled", after, region="eu-west-1", parameters="{}", **LAMBDA)
        self.add("TaskStarted", **LAMBDA)
        if error is None:
            return self.add("TaskSucceeded", output="{}", **LAMBDA)
        return self.add("TaskFailed", error=error, cause=f"{error} cause", **LAMBDA)

    def fail_execution(self, error: str) -> int:
        return self.add("ExecutionFailed", error=error, cause="why")


def at(event_id: int) -> datetime:
    return T0 + timedelta(seconds=event_id)


@pytest.mark.parametrize(("failures", "retries"), [(0, 0), (2, 2)])
def test_a_task_that_succeeds_at_last_succeeded_with_its_retries(failures: int, retries: int) -> None:
    history = History()
    entered = history.enter("Task", "Validate", data='{"key": "a"}')
    for _ in range(failures):
        history.attempt("Lambda.TooManyRequestsException")
    history.attempt()
    exited = history.exit("Task", "Validate", data='{"rows": 2}')
    history.enter("Task", "Flatten")

    outcome = state_outcomes(history.events)["Validate"]

    assert (outcome.status, outcome.retries) == (SUCCEEDED, retries)
    [visit] = outcome.visits
    assert (visit.attempts, visit.input, visit.output) == (failures + 1, '{"key": "a"}', '{"rows": 2}')
    assert (visit.entered, visit.exited) == (at(entered), at(exited))


def test_a_failure_that_a_catch_takes_on_is_caught_with_its_error() -> None:
    history = History()
    history.enter("Task", "Validate")
    history.attempt("InvalidOrderFile")
    history.exit("Task", "Validate")
    history.enter("Task", "Quarantine")
    history.attempt()

    outcomes = state_outcomes(history.events)

    assert outcomes["Validate"].status == CAUGHT
    [visit] = outcomes["Validate"].visits
    assert (visit.error, visit.cause) == ("InvalidOrderFile", "InvalidOrderFile cause")
    assert outcomes["Quarantine"].status == RUNNING  # its task answered, but the state has not exited yet


@pytest.mark.parametrize(
    ("kind", "attempt_start", "started", "failure"),
    [
        ("Task", "TaskScheduled", LAMBDA, "TaskFailed"),
        ("Map", "MapRunStarted", {"mapRunArn": "arn:aws:states:eu-west-1:111122223333:mapRun:m/r:1"}, "MapRunFailed"),
    ],
)
def test_an_uncaught_failure_fails_the_state_with_the_failures_error(
    kind: str, attempt_start: str, started: dict[str, str], failure: str
) -> None:
    history = History()
    history.enter("Pass", "Before")
    history.exit("Pass", "Before")
    history.enter(kind, "Work")
    history.add(attempt_start, **started)
    history.add(failure, error="E", cause="C")  # in taskFailedEventDetails, mapRunFailedEventDetails
    end = history.fail_execution("E")

    outcomes = state_outcomes(history.events)

    assert (outcomes["Before"].status, outcomes["Work"].status) == (SUCCEEDED, FAILED)
    [visit] = outcomes["Work"].visits
    assert (visit.error, visit.cause, visit.exited, visit.attempts) == ("E", "C", at(end), 1)


def test_an_execution_failing_inside_a_state_without_a_failure_event_gives_it_the_executions_error() -> None:
    history = History()
    history.enter("Choice", "Which way?")
    history.add("ExecutionFailed", error="States.NoChoiceMatched", cause="no rule matched")

    outcome = state_outcomes(history.events)["Which way?"]

    assert outcome.status == FAILED
    assert (outcome.visits[0].error, outcome.visits[0].cause) == ("States.NoChoiceMatched", "no rule matched")


def test_a_fail_state_counts_as_failed_once_entered_when_named_in_fail_states() -> None:
    history = History()
    history.enter("Task", "Quarantine")
    history.attempt()
    history.exit("Task", "Quarantine")
    history.enter("Fail", "Reject")  # the history as read before the ExecutionFailed that follows

    assert state_outcomes(history.events, fail_states={"Reject"})["Reject"].status == FAILED
    assert state_outcomes(history.events)["Reject"].status == RUNNING
    history.fail_execution("InvalidOrderFile")
    outcomes = state_outcomes(history.events, fail_states={"Reject"})
    assert (outcomes["Quarantine"].status, outcomes["Reject"].status) == (SUCCEEDED, FAILED)


@pytest.mark.parametrize(
    ("end", "details", "status"),
    [
        (None, {}, RUNNING),
        ("ExecutionAborted", {"cause": "stopped by hand"}, CANCELLED),
        ("ExecutionTimedOut", {"error": "States.Timeout"}, FAILED),
    ],
)
def test_an_execution_still_in_or_stopped_in_a_state(end: str | None, details: dict[str, str], status: str) -> None:
    history = History()
    history.enter("Task", "Check crawl")
    history.add("TaskScheduled", **LAMBDA)
    history.add("TaskStarted", **LAMBDA)
    if end is not None:
        history.add(end, **details)

    outcome = state_outcomes(history.events)["Check crawl"]

    assert outcome.status == status
    assert outcome.visits[0].exited == (None if end is None else at(history.last))


def test_a_loop_gives_a_visit_each_time_and_the_status_of_the_last() -> None:
    history = History()
    for check in range(3):
        history.enter("Wait", "Wait for the crawl", data=f'{{"check": {check}}}')
        if check < 2:
            history.exit("Wait", "Wait for the crawl")
            history.enter("Choice", "Crawl finished?")
            history.exit("Choice", "Crawl finished?")

    outcomes = state_outcomes(history.events)

    wait = outcomes["Wait for the crawl"]
    assert [visit.input for visit in wait.visits] == ['{"check": 0}', '{"check": 1}', '{"check": 2}']
    assert [visit.exited is not None for visit in wait.visits] == [True, True, False]
    assert wait.status == RUNNING
    assert (len(outcomes["Crawl finished?"].visits), outcomes["Crawl finished?"].status) == (2, SUCCEEDED)


def test_a_redriven_state_that_succeeds_the_second_time_succeeded_in_two_visits() -> None:
    history = History()
    history.enter("Task", "Flatten")
    history.attempt("ConnectionResetError")
    history.fail_execution("ConnectionResetError")
    history.add("ExecutionRedriven", redriveCount=1)
    history.enter("Task", "Flatten")
    history.attempt()
    history.exit("Task", "Flatten")
    history.enter("Task", "Start crawl")

    outcome = state_outcomes(history.events)["Flatten"]

    assert (outcome.status, len(outcome.visits), outcome.retries) == (SUCCEEDED, 2, 0)
    assert (outcome.visits[0].ended_as, outcome.visits[0].error) == (FAILED, "ConnectionResetError")
    assert (outcome.visits[1].ended_as, outcome.visits[1].error) == (None, None)


def test_interleaved_branches_each_event_goes_to_its_own_state() -> None:
    # GIVEN a Parallel state whose two branches' events interleave, B's first attempt failing and retried
    history = History()
    history.enter("Parallel", "Both")
    started = history.add("ParallelStateStarted", state="Both")
    a = history.enter("Task", "A", after=started)
    b = history.enter("Task", "B", after=started)
    a = history.add("TaskScheduled", after=a, state="A", **LAMBDA)
    b = history.add("TaskScheduled", after=b, state="B", **LAMBDA)
    a = history.add("TaskStarted", after=a, state="A", **LAMBDA)
    b = history.add("TaskStarted", after=b, state="B", **LAMBDA)
    b = history.add("TaskFailed", after=b, state="B", error="Busy", cause="try again", **LAMBDA)
    b = history.add("TaskScheduled", after=b, state="B", **LAMBDA)
    a = history.add("TaskSucceeded", after=a, state="A", output='"a"', **LAMBDA)
    history.exit("Task", "A", after=a, data='"a"')
    b = history.add("TaskStarted", after=b, state="B", **LAMBDA)
    b = history.add("TaskSucceeded", after=b, state="B", output='"b"', **LAMBDA)
    history.exit("Task", "B", after=b, data='"b"')
    succeeded = history.add("ParallelStateSucceeded")  # after B's exit, the last of the branches'
    history.exit("Parallel", "Both", data='["a", "b"]')
    history.add("ExecutionSucceeded", output='["a", "b"]')
    assert "".join(history.owners[event["id"]] for event in history.events[3:15]) == "ABABABBBAABB"
    # WHEN it is read
    outcomes = state_outcomes(history.events)
    owners = event_state(history.events)
    # THEN each state has its own events: B's failure and retry are not A's
    assert {name: (o.status, o.retries, o.visits[0].output) for name, o in outcomes.items()} == {
        "Both": (SUCCEEDED, 0, '["a", "b"]'),
        "A": (SUCCEEDED, 0, '"a"'),
        "B": (SUCCEEDED, 1, '"b"'),
    }
    assert {event_id: owners.get(event_id) for event_id in history.owners} == history.owners
    assert {1, history.last}.isdisjoint(owners)  # ExecutionStarted, ExecutionSucceeded
    assert owners.get(succeeded) in (None, "Both")  # the Parallel's own event is not B's, though it follows B's exit


def test_concurrent_iterations_of_an_inline_map_keep_their_own_visits() -> None:
    # GIVEN an inline Map's two iterations, as moto's engine writes them: the second runs while the first retries
    history = History()
    history.enter("Map", "Each file")
    started = history.add("MapStateStarted", length=2)
    first = history.add("MapIterationStarted", after=started, name="Each file", index=0)
    first = history.enter("Task", "Pin", after=first, data='{"key": "a"}')
    second = history.add("MapIterationStarted", after=started, name="Each file", index=1)
    second = history.enter("Task", "Pin", after=second, data='{"key": "b"}')
    first = history.attempt("Busy", after=first)
    second = history.attempt(after=second)
    second = history.exit("Task", "Pin", after=second, data='"b pinned"')
    history.add("MapIterationSucceeded", name="Each file", index=1)
    first = history.attempt(after=first)
    first = history.exit("Task", "Pin", after=first, data='"a pinned"')
    history.add("MapIterationSucceeded", name="Each file", index=0)
    history.add("MapStateSucceeded")
    history.exit("Map", "Each file")
    # WHEN it is read
    outcomes = state_outcomes(history.events)
    # THEN each iteration's events went to its own visit of the state
    pin = outcomes["Pin"]
    assert [(v.input, v.attempts, v.output, v.exited is not None) for v in pin.visits] == [
        ('{"key": "a"}', 2, '"a pinned"', True),
        ('{"key": "b"}', 1, '"b pinned"', True),
    ]
    assert (pin.status, pin.retries) == (SUCCEEDED, 1)
    assert outcomes["Each file"].status == SUCCEEDED


def test_event_state_gives_the_executions_own_events_no_state() -> None:
    history = History()
    entered = history.enter("Task", "Flatten")
    history.attempt("ConnectionResetError")
    failed = history.fail_execution("ConnectionResetError")
    redriven = history.add("ExecutionRedriven", redriveCount=1)

    owners = event_state(history.events)

    assert owners == dict.fromkeys(range(entered, failed), "Flatten")
    assert {1, failed, redriven}.isdisjoint(owners)


def test_a_real_history_of_a_quarantined_file(stack: Stack) -> None:
    # GIVEN a file with a bad price went through the pipeline on the embedded AWS
    body = json.dumps([order("B-1", "2025-03-01T10:00:00Z", product("P-1", 1.005))]).encode()
    [execution] = stack.run({"raw/bad/orders.json": body})
    events = stack.client("stepfunctions").get_execution_history(executionArn=execution["executionArn"])["events"]
    graph = graph_of(json.loads(PIPELINE.read_text()))
    # WHEN its history is read as the execution's page reads it
    outcomes = state_outcomes(events, fail_states={name for name, s in graph.states.items() if s.type == "Fail"})
    # THEN Validate's error was caught, the file quarantined, and the execution failed in the Fail state;
    # the other states were not reached
    assert {name: outcomes[name].status if name in outcomes else NOT_REACHED for name in graph.states} == {
        FIRST_STATE: SUCCEEDED,
        "Read the latest version": NOT_REACHED,
        "Validate order file": CAUGHT,
        "Flatten to Parquet": NOT_REACHED,
        "Start crawl": NOT_REACHED,
        "Wait for the crawl": NOT_REACHED,
        "Count the check": NOT_REACHED,
        "Check crawl": NOT_REACHED,
        "Crawl finished?": NOT_REACHED,
        "Table updated": NOT_REACHED,
        "Nothing to do": NOT_REACHED,
        "Quarantine the file": SUCCEEDED,
        "Reject the file": FAILED,
    }
    assert outcomes["Validate order file"].visits[0].error == "InvalidOrderFile"
    # AND each event belongs to the state entered last (nothing ran in parallel), the execution's own to none
    last_entered, expected = "", {}
    for event in events:
        if event["type"].endswith("StateEntered"):
            last_entered = event["stateEnteredEventDetails"]["name"]
        if not event["type"].startswith("Execution"):
            expected[event["id"]] = last_entered
    assert event_state(events) == expected


def parallel_caught(*, other_branch_entered: bool) -> History:
    """A Parallel whose first branch ends in a Fail state and whose Catch takes the execution on to a Pass state,
    as the embedded engine writes it (the Parallel's failure follows the branch's Fail state); on AWS the other
    branch may have entered its state, which then never exits."""
    history = History()
    parallel = history.enter("Parallel", "Both")
    history.add("ParallelStateStarted")
    if other_branch_entered:
        history.enter("Wait", "Slow", after=parallel + 1)
    history.enter("Fail", "Break", after=parallel + 1)
    history.add("ParallelStateFailed")
    history.exit("Parallel", "Both", data='{"Error": "Boom"}')
    history.enter("Pass", "Handled")
    history.exit("Pass", "Handled")
    history.add("ExecutionSucceeded", output="{}")
    return history


@pytest.mark.parametrize("other_branch_entered", [False, True])
def test_a_parallel_whose_branch_failed_and_whose_catch_took_over_is_caught(other_branch_entered: bool) -> None:
    history = parallel_caught(other_branch_entered=other_branch_entered)
    outcomes = state_outcomes(history.events, fail_states={"Break"})
    statuses = {name: outcome.status for name, outcome in outcomes.items()}
    # THEN the Parallel is caught, the branch's Fail state failed, the Catch's target succeeded; a state of the
    # other branch that never exited was cancelled with it, not left "in progress" in a finished execution
    expected = {"Both": CAUGHT, "Break": FAILED, "Handled": SUCCEEDED}
    assert statuses == expected | ({"Slow": CANCELLED} if other_branch_entered else {})
    # AND the Parallel's own failure event is its own, not the branch state's it follows
    failure = next(e["id"] for e in history.events if e["type"] == "ParallelStateFailed")
    assert event_state(history.events)[failure] == "Both"
