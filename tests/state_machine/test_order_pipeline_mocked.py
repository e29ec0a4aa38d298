"""The order pipeline's error handling, case by case from MockConfigFile.json, on each Step Functions engine.

Each test starts `<stateMachineArn>#<TestCase>`, waits for the end (bounded), and checks the final status, error
and cause, and which states ran in which order with how many attempts, from the execution history.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from embedded_aws.cfn_template import load_template
from orders_etl.errors import DATA_ERRORS
from orders_etl_cli.executions import StateRun, history, timeline
from state_machine.engines import DEFINITION, MOCK_CONFIG, PROJECT_ROOT, Engine, definition_placeholders

EVENT = json.loads((PROJECT_ROOT / "events" / "s3_object_created.json").read_text(encoding="utf-8"))
FIRST = json.loads(DEFINITION.read_text(encoding="utf-8"))["StartAt"]  # the Choice on the event
PROCESS = [FIRST, "Validate order file", "Flatten to Parquet"]
ONE_CHECK = ["Wait for the crawl", "Count the check", "Check crawl", "Crawl finished?"]
TASKS = ("Validate order file", "Flatten to Parquet", "Start crawl", "Check crawl", "Quarantine the file")
# The Lambda Retry block's backoff: 2 s doubling, capped at 60 s (the cap applies from the 6th retry on).
LAMBDA_BACKOFF = [2, 4, 8, 16, 32, 60]


class Run:
    """One finished execution: its description and its states in the order they ran."""

    def __init__(self, engine: Engine, test_case: str, execution_input: dict[str, Any] = EVENT) -> None:
        self.engine = engine
        self.description = engine.run(engine.state_machine(), test_case, execution_input)
        self.events = history(engine.sfn, self.description["executionArn"])
        self.states = timeline(self.events)

    @property
    def path(self) -> list[str]:
        return [state.name for state in self.states]

    def visits(self, name: str) -> list[StateRun]:
        return [state for state in self.states if state.name == name]

    def output(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(self.description["output"])
        return document

    def task_parameters(self, name: str) -> list[dict[str, Any]]:
        """The Parameters each TaskScheduled of state `name` sent, in order."""
        current, sent = None, []
        for event in self.events:
            if event["type"].endswith("StateEntered"):
                current = event["stateEnteredEventDetails"]["name"]
            elif event["type"] == "TaskScheduled" and current == name:
                sent.append(json.loads(event["taskScheduledEventDetails"]["parameters"]))
        return sent

    def retry_gaps(self, name: str) -> list[float]:
        """Seconds from each TaskFailed of state `name` to the next TaskScheduled: the wait before a retry."""
        current, failed_at, gaps = None, None, []
        for event in self.events:
            if event["type"].endswith("StateEntered"):
                current, failed_at = event["stateEnteredEventDetails"]["name"], None
            elif current == name and event["type"] == "TaskFailed":
                failed_at = event["timestamp"]
            elif current == name and event["type"] == "TaskScheduled" and isinstance(failed_at, datetime):
                gaps.append((event["timestamp"] - failed_at).total_seconds())
        return gaps

    def assert_backoff(self, name: str, expected: list[int]) -> None:
        """The waits before the retries of `name` follow `expected` (full jitter: a random part of each)."""
        if self.engine.retry_waits is not None:
            waits = [w for w in self.engine.retry_waits(self.description["executionArn"]) if w.state == name]
            assert [w.backoff_seconds for w in waits] == expected
            assert all(0 <= w.delay_seconds <= w.backoff_seconds for w in waits)
        else:
            # An engine that does not report its backoff: bound the waits seen in the history instead.
            gaps = self.retry_gaps(name)
            assert len(gaps) == len(expected)
            assert all(gap <= backoff + 1 for gap, backoff in zip(gaps, expected, strict=True))

    def assert_each_task_ran_once(self) -> None:
        for state in self.states:
            if state.name in TASKS:
                assert (state.attempts, state.failures) == (1, 0), state


def mocked(case: str, state: str, invocation: int) -> dict[str, Any]:
    """The mocked response (Return or Throw) test case `case` gives `state` on its `invocation`th call."""
    config = json.loads(MOCK_CONFIG.read_text(encoding="utf-8"))
    responses = config["MockedResponses"][config["StateMachines"]["OrderPipeline"]["TestCases"][case][state]]
    for invocations, response in responses.items():
        first, _, last = invocations.partition("-")
        if int(first) <= invocation <= int(last or first):
            return dict(response)
    raise KeyError(f"{case}/{state} has no response {invocation}")


def test_happy_path_validates_flattens_and_waits_for_the_crawl(engine: Engine) -> None:
    # GIVEN a valid file, a crawl that is running at the first check and finished at the second
    run = Run(engine, "HappyPath")

    # THEN the execution succeeds through every step, each Lambda called once
    assert run.description["status"] == "SUCCEEDED"
    assert run.path == [*PROCESS, "Start crawl", *ONE_CHECK, *ONE_CHECK, "Table updated"]
    run.assert_each_task_ran_once()
    # AND the output keeps what each step reported (small: counts and keys, never data)
    output = run.output()
    version_id = EVENT["detail"]["object"]["version-id"]
    validated = {"orders": 3, "rows": 4, "size_bytes": 1210, "staged": True, "version_id": version_id}
    assert output["validation"] == validated
    assert output["flatten"]["partitions"] == 2
    assert output["crawl"]["checks"] == {"count": 2}
    assert output["crawl"]["check"]["status"] == "SUCCEEDED"
    # AND validate and flatten were sent the object of the event: bucket, key, version and sequencer; flatten the
    # version validate read (the same) and whether validate staged the file's Parquet
    detail = EVENT["detail"]
    expected_payload = {
        "bucket": detail["bucket"]["name"],
        "key": detail["object"]["key"],
        "version_id": detail["object"]["version-id"],
        "sequencer": detail["object"]["sequencer"],
    }
    assert run.task_parameters("Validate order file")[0]["Payload"] == expected_payload
    # Flatten also gets the execution's name, which names its staging folder (the same for each retry and redrive)
    flatten_payload = {**expected_payload, "staged": True, "execution": run.description["name"]}
    assert run.task_parameters("Flatten to Parquet")[0]["Payload"] == flatten_payload


def test_throttled_lambda_is_retried_with_growing_backoff_then_succeeds(engine: Engine) -> None:
    # GIVEN validate is throttled (Lambda.TooManyRequestsException) twice, then answers
    run = Run(engine, "TransientLambdaErrorThenSuccess")

    # THEN the execution succeeds on the third attempt of validate
    assert run.description["status"] == "SUCCEEDED"
    assert run.path == [*PROCESS, "Start crawl", *ONE_CHECK, *ONE_CHECK, "Table updated"]
    (validate,) = run.visits("Validate order file")
    assert (validate.attempts, validate.failures) == (3, 2)
    # AND the two retries waited (a random part of) 2 s, then 4 s, as the Retry block asks
    run.assert_backoff("Validate order file", LAMBDA_BACKOFF[:2])


def test_system_error_on_every_attempt_fails_at_that_state_without_quarantine(engine: Engine) -> None:
    # GIVEN flatten fails with Lambda.ServiceException on every attempt
    run = Run(engine, "RetriesExhausted")

    # THEN after 1 attempt + 6 retries the execution fails with that error, at that state (redrive resumes there)
    assert run.description["status"] == "FAILED"
    assert run.description["error"] == "Lambda.ServiceException"
    assert run.description["cause"] == mocked("RetriesExhausted", "Flatten to Parquet", 6)["Throw"]["Cause"]
    assert run.path == PROCESS
    (flatten,) = run.visits("Flatten to Parquet")
    assert (flatten.attempts, flatten.failures) == (7, 7)
    run.assert_backoff("Flatten to Parquet", LAMBDA_BACKOFF)
    # AND nothing was quarantined: a system error never moves a good file
    assert "Quarantine the file" not in run.path


def test_invalid_file_is_quarantined_and_the_execution_fails_with_the_data_error(engine: Engine) -> None:
    # GIVEN validate reports InvalidOrderFile
    run = Run(engine, "InvalidFileQuarantined")
    thrown = mocked("InvalidFileQuarantined", "Validate order file", 0)["Throw"]

    # THEN the data error is not retried, the file is quarantined, and the execution ends in the Fail state
    assert run.path == [FIRST, "Validate order file", "Quarantine the file", "Reject the file"]
    (validate,) = run.visits("Validate order file")
    assert (validate.attempts, validate.failures) == (1, 1)
    assert run.description["status"] == "FAILED"
    assert (run.description["error"], run.description["cause"]) == (thrown["Error"], thrown["Cause"])
    # AND the quarantine step got the file and the error with its cause (the report lists the problems from it)
    (sent,) = run.task_parameters("Quarantine the file")
    assert sent["Payload"]["key"] == EVENT["detail"]["object"]["key"]
    assert sent["Payload"]["error"] == {"Error": thrown["Error"], "Cause": thrown["Cause"]}
    assert sent["Payload"]["execution_arn"] == run.description["executionArn"]


def test_crawler_already_running_is_joined_then_crawled_again(engine: Engine) -> None:
    # GIVEN the crawler is already running when we start it, and that crawl began before our Parquet was written
    run = Run(engine, "CrawlerAlreadyRunning")

    # THEN the execution waits for that crawl, sees it is stale, starts a new crawl and waits for it
    assert run.description["status"] == "SUCCEEDED"
    assert run.path == [
        *PROCESS,
        "Start crawl",
        *ONE_CHECK,
        *ONE_CHECK,
        "Start crawl",
        *ONE_CHECK,
        "Table updated",
    ]
    assert [state.attempts for state in run.visits("Start crawl")] == [1, 1]
    # AND the checks were counted per crawl: the recrawl starts again from zero
    assert run.output()["crawl"]["started"] is True
    assert run.output()["crawl"]["checks"] == {"count": 1}


def test_failed_crawl_fails_the_execution_in_the_check_task_where_a_redrive_resumes(engine: Engine) -> None:
    # GIVEN Check crawl raises CrawlFailed with Glue's message
    run = Run(engine, "CrawlerFailed")
    thrown = mocked("CrawlerFailed", "Check crawl", 0)["Throw"]

    # THEN the execution fails in that Task state (not a Fail state: a redrive re-runs the check), not retried
    assert run.description["status"] == "FAILED"
    assert (run.description["error"], run.description["cause"]) == ("CrawlFailed", thrown["Cause"])
    assert run.path == [*PROCESS, "Start crawl", *ONE_CHECK[:-1]]
    (check,) = run.visits("Check crawl")
    assert (check.attempts, check.failures) == (1, 1)
    # AND the check was told where the loop stands, with the redrive counts it compares to crawl again
    (sent,) = run.task_parameters("Check crawl")
    assert {k: sent["Payload"][k] for k in ("checks", "loop_redrive_count", "redrive_count")} == {
        "checks": 1,
        "loop_redrive_count": 0,
        "redrive_count": 0,
    }
    assert run.task_parameters("Start crawl")[0]["Payload"] == {"redrive_count": 0}


def test_crawl_that_never_finishes_fails_at_the_poll_limit_in_the_check_task(engine: Engine) -> None:
    # GIVEN a poll limit of 3 (from Start crawl) and a check that reports RUNNING, then raises at the third check
    run = Run(engine, "CrawlerPollLimit")
    limit = mocked("CrawlerPollLimit", "Start crawl", 0)["Return"]["Payload"]["poll_limit"]

    # THEN the execution fails in the third check, saying why
    assert run.description["status"] == "FAILED"
    assert run.description["error"] == "CrawlPollLimitReached"
    assert run.description["cause"] == mocked("CrawlerPollLimit", "Check crawl", 2)["Throw"]["Cause"]
    assert len(run.visits("Check crawl")) == limit == 3
    assert run.path == [*PROCESS, "Start crawl", *ONE_CHECK * (limit - 1), *ONE_CHECK[:-1]]
    # AND each check was sent the count the definition keeps and the limit
    sent = [p["Payload"] for p in run.task_parameters("Check crawl")]
    assert [(p["checks"], p["poll_limit"]) for p in sent] == [(1, limit), (2, limit), (3, limit)]


def test_a_version_deleted_before_validate_ends_succeeded_with_nothing_to_do(engine: Engine) -> None:
    # GIVEN validate finds the event's version gone (NothingToProcess)
    run = Run(engine, "VersionDeletedBeforeValidate")
    thrown = mocked("VersionDeletedBeforeValidate", "Validate order file", 0)["Throw"]

    # THEN the execution succeeds at once, nothing quarantined or crawled, and its output says why
    assert run.description["status"] == "SUCCEEDED"
    assert run.path == [FIRST, "Validate order file", "Nothing to do"]
    assert run.output()["nothing_to_do"] == {"Error": "NothingToProcess", "Cause": thrown["Cause"]}


def test_a_version_deleted_before_flatten_ends_succeeded_with_nothing_to_do(engine: Engine) -> None:
    run = Run(engine, "VersionDeletedBeforeFlatten")

    assert run.description["status"] == "SUCCEEDED"
    assert run.path == [*PROCESS, "Nothing to do"]
    assert run.output()["nothing_to_do"]["Error"] == "NothingToProcess"


def test_a_file_not_named_like_an_order_file_is_quarantined(engine: Engine) -> None:
    run = Run(engine, "NotAnOrderFileQuarantined")
    thrown = mocked("NotAnOrderFileQuarantined", "Validate order file", 0)["Throw"]

    assert run.path == [FIRST, "Validate order file", "Quarantine the file", "Reject the file"]
    assert (run.description["status"], run.description["error"]) == ("FAILED", "NotAnOrderFile")
    assert run.description["cause"] == thrown["Cause"]


def test_an_event_without_version_or_sequencer_reads_the_latest_version_and_records_it(engine: Engine) -> None:
    # GIVEN an event that names no version and no sequencer (an unversioned bucket, a hand-made event)
    detail = EVENT["detail"]
    event = {**EVENT, "detail": {**detail, "object": {"key": detail["object"]["key"], "size": 1411}}}
    run = Run(engine, "HappyPath", event)

    # THEN the pipeline runs as usual, validate asked for the latest version (null), and flatten got the
    # version validate read
    assert run.description["status"] == "SUCCEEDED"
    assert run.path[:3] == [FIRST, "Read the latest version", "Validate order file"]
    validate_payload = run.task_parameters("Validate order file")[0]["Payload"]
    assert (validate_payload["version_id"], validate_payload["sequencer"]) == (None, None)
    flatten_payload = run.task_parameters("Flatten to Parquet")[0]["Payload"]
    version_read = mocked("HappyPath", "Validate order file", 0)["Return"]["Payload"]["version_id"]
    assert (flatten_payload["version_id"], flatten_payload["sequencer"]) == (version_read, None)


def test_the_tests_fill_exactly_the_substitutions_the_template_provides() -> None:
    # The definition deployed by template.yaml and the one under test here must differ only in these values.
    template = load_template(Path(PROJECT_ROOT / "template.yaml"))
    machine = template["Resources"]["OrderPipelineStateMachine"]["Properties"]
    assert set(machine["DefinitionSubstitutions"]) == definition_placeholders()
    assert machine["DefinitionUri"] == "statemachine/order_pipeline.asl.json"


def test_every_lambda_task_retries_a_transient_error(engine: Engine) -> None:
    # GIVEN each Lambda task fails once with a different one of the four transient Lambda errors
    run = Run(engine, "TransientErrorOnEveryTask")

    # THEN each is retried once after 2 s (at most) and the execution succeeds
    assert run.description["status"] == "SUCCEEDED"
    for name in ("Validate order file", "Flatten to Parquet", "Start crawl", "Check crawl"):
        (state,) = run.visits(name)
        assert (state.attempts, state.failures) == (2, 1), state
        run.assert_backoff(name, LAMBDA_BACKOFF[:1])


def test_data_error_found_by_flatten_is_quarantined_even_if_quarantine_is_throttled(engine: Engine) -> None:
    # GIVEN flatten finds the file too large after decompressing it, and the quarantine call is throttled once
    run = Run(engine, "DataErrorFoundByFlatten")
    thrown = mocked("DataErrorFoundByFlatten", "Flatten to Parquet", 0)["Throw"]

    # THEN the file is quarantined on the second attempt and the execution fails with the data error
    assert run.path == [*PROCESS, "Quarantine the file", "Reject the file"]
    (quarantine,) = run.visits("Quarantine the file")
    assert (quarantine.attempts, quarantine.failures) == (2, 1)
    assert (run.description["error"], run.description["cause"]) == ("FileTooLarge", thrown["Cause"])


def test_every_lambda_task_has_the_same_retry_and_catch_policy() -> None:
    # The behaviour tests above throw each transient error at one task and each data error at one catch; this
    # makes that evidence hold for every task: the Retry (and, where data is read, the Catch) blocks are identical.
    states = json.loads(DEFINITION.read_text(encoding="utf-8"))["States"]
    lambda_tasks = {name: s for name, s in states.items() if s.get("Resource") == "arn:aws:states:::lambda:invoke"}
    assert set(lambda_tasks) == set(TASKS)
    assert all(s["Retry"] == lambda_tasks["Validate order file"]["Retry"] for s in lambda_tasks.values())
    assert states["Validate order file"]["Catch"] == states["Flatten to Parquet"]["Catch"]
    assert all("Catch" not in lambda_tasks[name] for name in ("Start crawl", "Check crawl", "Quarantine the file"))
    # AND the errors caught into quarantine are exactly the package's data errors (with Lambda's timeout)
    caught = [set(c["ErrorEquals"]) for c in states["Validate order file"]["Catch"]]
    assert caught == [{"NothingToProcess"}, set(DATA_ERRORS), {"Sandbox.Timedout"}]


# The Retry entry for Lambda's timeout: one more attempt after 2 s (no jitter), then the Catch (validate, flatten)
# or a failure in place (every other task).
TIMEOUT_BACKOFF = [2]


def test_validate_that_times_out_twice_quarantines_the_file_with_the_timeout_as_the_reason(engine: Engine) -> None:
    # GIVEN validate runs past its Timeout on both attempts (Lambda reports Sandbox.Timedout)
    run = Run(engine, "ValidateTimesOutTwice")
    thrown = mocked("ValidateTimesOutTwice", "Validate order file", 1)["Throw"]

    # THEN the timeout is retried once, then caught: the file is quarantined and the execution fails with it
    assert run.path == [FIRST, "Validate order file", "Quarantine the file", "Reject the file"]
    (validate,) = run.visits("Validate order file")
    assert (validate.attempts, validate.failures) == (2, 2)
    run.assert_backoff("Validate order file", TIMEOUT_BACKOFF)
    assert run.description["status"] == "FAILED"
    assert (run.description["error"], run.description["cause"]) == ("Sandbox.Timedout", thrown["Cause"])
    # AND the quarantine step got the timeout as the reason (its report explains it)
    (sent,) = run.task_parameters("Quarantine the file")
    assert sent["Payload"]["error"] == {"Error": "Sandbox.Timedout", "Cause": thrown["Cause"]}


def test_flatten_that_times_out_once_is_retried_and_the_file_is_published(engine: Engine) -> None:
    # GIVEN flatten runs past its Timeout once, then finishes
    run = Run(engine, "FlattenTimesOutOnceThenSucceeds")

    # THEN it is retried once after 2 s and the execution goes on to the crawl and succeeds, nothing quarantined
    assert run.description["status"] == "SUCCEEDED"
    assert run.path == [*PROCESS, "Start crawl", *ONE_CHECK, *ONE_CHECK, "Table updated"]
    (flatten,) = run.visits("Flatten to Parquet")
    assert (flatten.attempts, flatten.failures) == (2, 1)
    run.assert_backoff("Flatten to Parquet", TIMEOUT_BACKOFF)
    assert run.output()["flatten"]["rows"] == 4


def test_quarantine_that_times_out_twice_fails_in_place_for_a_redrive(engine: Engine) -> None:
    # GIVEN a bad file, and a quarantine step that runs past its Timeout on both attempts
    run = Run(engine, "QuarantineTimesOutTwice")
    thrown = mocked("QuarantineTimesOutTwice", "Quarantine the file", 1)["Throw"]

    # THEN the execution fails at the quarantine step with the timeout (no Catch there): a redrive resumes it
    assert run.description["status"] == "FAILED"
    assert (run.description["error"], run.description["cause"]) == ("Sandbox.Timedout", thrown["Cause"])
    assert run.path == [FIRST, "Validate order file", "Quarantine the file"]
    (quarantine,) = run.visits("Quarantine the file")
    assert (quarantine.attempts, quarantine.failures) == (2, 2)
