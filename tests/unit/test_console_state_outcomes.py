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

    def attempt(self, error: str | None = None, after: int | None = None, state: str | None = None) -> int:
        """One attempt of a Lambda task: scheduled, started, then succeeded or failed with `error`."""
        self.add("TaskScheduled", after, state, region="eu-west-1", parameters="{}", **LAMBDA)
        self.add("TaskStarted", None, state, **LAMBDA)
        if error is None:
            return self.add("TaskSucceeded", None, state, output="{}", **LAMBDA)
        return self.add("TaskFailed", None, state, error=error, cause=f"{error} cause", **LAMBDA)

    def fail_execution(self, error: str, after: int | None = None) -> int:
        return self.add("ExecutionFailed", after, error=error, cause="why")


def at(event_id: int) -> datetime:
    return T0 + timedelta(seconds=event_id)


@pytest.mark.parametrize(("failures", "retries"), [(0, 0), (2, 2)])
def test_a_task_that_succeeds_at_last_succeeded_with_its_retries(failures: int, retries: int) -> None:
    history = History()
    history.enter("Task", "Validate", data='{"key": "a"}')
    for _ in range(failures):
        history.attempt("Lambda.TooManyRequestsException")
    history.attempt()
    exited = history.exit("Task", "Validate", data='{"rows": 2}')
    history.enter("Task", "Flatten")

    outcome = state_outcomes(history.events)["Validate"]

    assert (outcome.status, outcome.retries) == (SUCCEEDED, retries)
    [visit] = outcome.visits
    assert (visit.attempts, visit.input, visit.output) == (failures + 1, '{"key": "a"}', '{"rows": 2}')
    assert (visit.entered, visit.exited) == (at(2), at(exited))


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
    ("kind", "failure", "attempt_start"),
    [
        ("Task", {"type": "TaskFailed", "taskFailedEventDetails": {**LAMBDA, "error": "E", "cause": "C"}}, "Task"),
        ("Map", {"type": "MapRunFailed", "mapRunFailedEventDetails": {"error": "E", "cause": "C"}}, "MapRun"),
    ],
)
def test_an_uncaught_failure_fails_the_state_with_the_failures_error(
    kind: str, failure: dict[str, Any], attempt_start: str
) -> None:
    history = History()
    history.enter("Pass", "Before")
    history.exit("Pass", "Before")
    history.enter(kind, "Work")
    history.add("TaskScheduled" if attempt_start == "Task" else "MapRunStarted")
    failed = history.add(failure["type"], **{k: v for k, v in failure.items() if k != "type"})
    end = history.fail_execution("E", after=failed)

    outcomes = state_outcomes(history.events)

    assert (outcomes["Before"].status, outcomes["Work"].status) == (SUCCEEDED, FAILED)
    [visit] = outcomes["Work"].visits
    assert (visit.error, visit.cause, visit.exited, visit.attempts) == ("E", "C", at(end), 1)


def test_an_execution_failing_inside_a_state_without_a_failure_event_gives_it_the_executions_error() -> None:
    history = History()
    history.enter("Choice", "Which way?")
    history.add("ExecutionFailed", executionFailedEventDetails={"error": "States.NoChoiceMatched", "cause": "none"})

    [visit] = state_outcomes(history.events)["Which way?"].visits

    assert (visit.ended_as, visit.error, visit.cause) == (FAILED, "States.NoChoiceMatched", "none")


def test_a_fail_state_counts_as_failed_once_entered_when_named_in_fail_states() -> None:
    history = History()
    history.enter("Task", "Quarantine")
    history.attempt()
    history.exit("Task", "Quarantine")
    history.enter("Fail", "Reject")  # read before the ExecutionFailed that follows

    assert state_outcomes(history.events, fail_states={"Reject"})["Reject"].status == FAILED
    assert state_outcomes(history.events)["Reject"].status == RUNNING
    history.fail_execution("InvalidOrderFile")
    outcomes = state_outcomes(history.events, fail_states={"Reject"})
    assert (outcomes["Quarantine"].status, outcomes["Reject"].status) == (SUCCEEDED, FAILED)


@pytest.mark.parametrize(
    ("end", "status"),
    [
        (None, RUNNING),
        ({"type": "ExecutionAborted", "executionAbortedEventDetails": {}}, CANCELLED),
        ({"type": "ExecutionTimedOut", "executionTimedOutEventDetails": {"error": "States.Timeout"}}, FAILED),
    ],
)
def test_an_execution_still_in_or_stopped_in_a_state(end: dict[str, Any] | None, status: str) -> None:
    history = History()
    history.enter("Task", "Check crawl")
    history.add("TaskScheduled", taskScheduledEventDetails=LAMBDA)
    history.add("TaskStarted", taskStartedEventDetails=LAMBDA)
    if end is not None:
        history.add(end["type"], **{k: v for k, v in end.items() if k != "type"})

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
    failed = history.fail_execution("ConnectionResetError")
    history.add("ExecutionRedriven", after=failed, executionRedrivenEventDetails={"redriveCount": 1})
    history.enter("Task", "Flatten")
    history.attempt()
    history.exit("Task", "Flatten")
    history.enter("Task", "Start crawl")

    outcome = state_outcomes(history.events)["Flatten"]

    assert (outcome.status, len(outcome.visits), outcome.retries) == (SUCCEEDED, 2, 0)
    assert (outcome.visits[0].ended_as, outcome.visits[0].error) == (FAILED, "ConnectionResetError")
    assert (outcome.visits[1].ended_as, outcome.visits[1].error) == (None, None)


def interleaved_branches() -> tuple[History, dict[int, str]]:
    """A Parallel state whose two branches' events interleave; B's first attempt fails and is retried."""
    history = History()
    parallel = history.enter("Parallel", "Both")
    started = history.add("ParallelStateStarted")
    expected = {parallel: "Both", started: "Both"}
    a = history.enter("Task", "A", after=started)
    b = history.enter("Task", "B", after=started)
    expected |= {a: "A", b: "B"}
    a = history.add("TaskScheduled", after=a, taskScheduledEventDetails=LAMBDA)
    b = history.add("TaskScheduled", after=b, taskScheduledEventDetails=LAMBDA)
    a = history.add("TaskStarted", after=a, taskStartedEventDetails=LAMBDA)
    b = history.add("TaskStarted", after=b, taskStartedEventDetails=LAMBDA)
    b = history.add("TaskFailed", after=b, taskFailedEventDetails={**LAMBDA, "error": "Busy", "cause": "retry"})
    expected |= dict.fromkeys(range(a - 3, b + 1), "A") | {b - 4: "B", b - 2: "B", b: "B"}
    b = history.add("TaskScheduled", after=b, taskScheduledEventDetails=LAMBDA)
    a = history.add("TaskSucceeded", after=a, taskSucceededEventDetails={**LAMBDA, "output": '"a"'})
    a = history.exit("Task", "A", after=a, data='"a"')
    b = history.add("TaskStarted", after=b, taskStartedEventDetails=LAMBDA)
    b = history.add("TaskSucceeded", after=b, taskSucceededEventDetails={**LAMBDA, "output": '"b"'})
    b = history.exit("Task", "B", after=b, data='"b"')
    expected |= {b - 5: "B", a - 1: "A", a: "A", b - 2: "B", b - 1: "B", b: "B"}
    history.add("ParallelStateSucceeded")
    expected[history.exit("Parallel", "Both", data='["a", "b"]')] = "Both"
    history.add("ExecutionSucceeded", executionSucceededEventDetails={"output": '["a", "b"]'})
    return history, expected


def test_interleaved_branches_each_event_goes_to_its_own_state() -> None:
    history, expected = interleaved_branches()
    # The branches' events as built: A's scheduled, B's scheduled, A's started, B's started, B's failure, ...
    assert [expected.get(event["id"]) for event in history.events[4:16]] == list("ABABBBAABBBB")

    outcomes = state_outcomes(history.events)

    assert {name: (o.status, o.retries, o.visits[0].output) for name, o in outcomes.items()} == {
        "Both": (SUCCEEDED, 0, '["a", "b"]'),
        "A": (SUCCEEDED, 0, '"a"'),
        "B": (SUCCEEDED, 1, '"b"'),
    }
    owners = event_state(history.events)
    assert {event_id: owners.get(event_id) for event_id in expected} == expected
    assert 1 not in owners  # ExecutionStarted
    assert history.last not in owners  # ExecutionSucceeded


def test_concurrent_iterations_of_an_inline_map_keep_their_own_visits() -> None:
    # As moto's engine (and AWS) writes them: the second item's iteration runs while the first one's task retries
    history = History()
    history.enter("Map", "Each file")
    started = history.add("MapStateStarted", mapStateStartedEventDetails={"length": 2})
    first = history.add("MapIterationStarted", after=started, mapIterationStartedEventDetails={"index": 0})
    first = history.enter("Task", "Pin", after=first, data='{"key": "a"}')
    second = history.add("MapIterationStarted", after=started, mapIterationStartedEventDetails={"index": 1})
    second = history.enter("Task", "Pin", after=second, data='{"key": "b"}')
    first = history.attempt("Busy", after=first)
    second = history.attempt(after=second)
    second = history.exit("Task", "Pin", after=second, data='"b pinned"')
    history.add("MapIterationSucceeded", after=second, mapIterationSucceededEventDetails={"index": 1})
    first = history.attempt(after=first)
    first = history.exit("Task", "Pin", after=first, data='"a pinned"')
    history.add("MapIterationSucceeded", after=first, mapIterationSucceededEventDetails={"index": 0})
    history.add("MapStateSucceeded")
    history.exit("Map", "Each file")

    outcomes = state_outcomes(history.events)

    pin = outcomes["Pin"]
    assert [(v.input, v.attempts, v.output, v.exited is not None) for v in pin.visits] == [
        ('{"key": "a"}', 2, '"a pinned"', True),
        ('{"key": "b"}', 1, '"b pinned"', True),
    ]
    assert (pin.status, pin.retries) == (SUCCEEDED, 1)
    assert outcomes["Each file"].status == SUCCEEDED


def test_event_state_leaves_the_executions_own_events_out() -> None:
    history = History()
    entered = history.enter("Task", "Flatten")
    history.attempt("ConnectionResetError")
    failed = history.fail_execution("ConnectionResetError")
    redriven = history.add("ExecutionRedriven", after=failed, executionRedrivenEventDetails={"redriveCount": 1})

    owners = event_state(history.events)

    assert owners == {event_id: "Flatten" for event_id in range(entered, failed)}
    assert {1, failed, redriven}.isdisjoint(owners)


def test_a_real_history_of_a_quarantined_file(stack: Stack) -> None:
    # GIVEN a file with a bad price went through the pipeline on the embedded AWS
    body = json.dumps([order("B-1", "2025-03-01T10:00:00Z", product("P-1", 1.005))]).encode()
    [execution] = stack.run({"raw/bad/orders.json": body})
    events = stack.client("stepfunctions").get_execution_history(executionArn=execution["executionArn"])["events"]
    definition = json.loads((Path(__file__).resolve().parents[2] / "statemachine" / "order_pipeline.asl.json").read_text())
    graph = graph_of(definition)
    # WHEN its history is read as the execution's page reads it
    outcomes = state_outcomes(events, fail_states={name for name, s in graph.states.items() if s.type == "Fail"})
    # THEN Validate's error was caught, the file quarantined, the execution failed in the Fail state
    statuses = {name: outcomes[name].status for name in outcomes}
    assert statuses == {
        FIRST_STATE: SUCCEEDED,
        "Validate order file": CAUGHT,
        "Quarantine the file": SUCCEEDED,
        "Reject the file": FAILED,
    }
    assert set(graph.states) - set(outcomes) == {
        "Read the latest version",
        "Flatten to Parquet",
        "Start crawl",
        "Wait for the crawl",
        "Count the check",
        "Check crawl",
        "Crawl finished?",
        "Table updated",
        "Nothing to do",
    }  # not reached: the page shows them as NOT_REACHED
    assert outcomes["Validate order file"].visits[0].error == "InvalidOrderFile"
    assert NOT_REACHED not in statuses.values()
    # AND each of its events belongs to the state entered last (the history has no parallel work), the
    # execution's own events to none
    last_entered, expected = "", {}
    for event in events:
        if event["type"].endswith("StateEntered"):
            last_entered = event["stateEnteredEventDetails"]["name"]
        if not event["type"].startswith("Execution"):
            expected[event["id"]] = last_entered
    assert event_state(events) == expected
