"""embedded_aws.lambda_runtime: Lambda functions run in this process with their own environment and context."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import threading
import time
import uuid
from typing import Any

import pytest

from embedded_aws import clock, lambda_runtime

HANDLER = """
import os


class BadThing(Exception):
    pass


def lambda_handler(event, context):
    if event.get("fail"):
        raise BadThing("why")
    return {
        "event": event,
        "greeting": os.environ.get("GREETING"),
        "endpoint": os.environ.get("AWS_ENDPOINT_URL"),
        "function_name_env": os.environ.get("AWS_LAMBDA_FUNCTION_NAME"),
        "context_function_name": context.function_name,
        "context_arn": context.invoked_function_arn,
        "remaining_ms": context.get_remaining_time_in_millis(),
    }
"""


def invoke(aws: Any, name: str, event: Any) -> tuple[dict[str, Any], Any]:
    response = aws.client("lambda").invoke(FunctionName=name, Payload=json.dumps(event).encode())
    return response, json.loads(response["Payload"].read())


@pytest.fixture
def echo(aws: Any) -> str:
    name = f"echo-{uuid.uuid4().hex[:8]}"
    aws.function(name, {"app.py": HANDLER}, variables={"GREETING": "hello from the function"}, timeout=30)
    return name


def test_invoke_returns_the_handler_result_computed_with_the_function_environment(aws: Any, echo: str) -> None:
    # GIVEN a function whose Environment sets GREETING
    # WHEN it is invoked through the Lambda API
    response, result = invoke(aws, echo, {"order": 42, "nested": {"a": [1, 2]}})

    # THEN the handler ran in process and saw its event, its variables and the embedded endpoint
    assert response["StatusCode"] == 200
    assert "FunctionError" not in response
    assert result["event"] == {"order": 42, "nested": {"a": [1, 2]}}
    assert result["greeting"] == "hello from the function"
    assert result["endpoint"] == aws.endpoint_url
    assert result["function_name_env"] == echo


def test_function_environment_is_not_left_in_the_process_environment(aws: Any, echo: str) -> None:
    # GIVEN the process environment before the call
    before = dict(os.environ)
    assert "GREETING" not in before

    # WHEN the function runs with its own variables
    _, result = invoke(aws, echo, {})

    # THEN they were visible inside and are gone afterwards: the environment is exactly what it was
    assert result["greeting"] == "hello from the function"
    assert "GREETING" not in os.environ
    assert dict(os.environ) == before


def test_raised_exception_comes_back_as_a_lambda_error_document(aws: Any, echo: str) -> None:
    # GIVEN a handler that raises BadThing("why") for this event
    # WHEN it is invoked
    response, error = invoke(aws, echo, {"fail": True})

    # THEN the invoke reports a function error whose type is the exception's class name
    assert response.get("FunctionError")
    assert error["errorType"] == "BadThing"
    assert error["errorMessage"] == "why"
    assert error["requestId"]
    assert isinstance(error["stackTrace"], list)
    assert any("BadThing" in line for line in error["stackTrace"])
    # AND the function's variables are not left behind by the failed call either
    assert "GREETING" not in os.environ


def test_context_has_the_function_name_and_time_left(aws: Any, echo: str) -> None:
    # GIVEN a function with a 30 s timeout
    # WHEN it is invoked
    _, result = invoke(aws, echo, {})

    # THEN its context names it and counts down from its timeout
    assert result["context_function_name"] == echo
    assert result["context_arn"].endswith(f":function:{echo}")
    assert 0 < result["remaining_ms"] <= 30_000


def test_before_invoke_hook_sees_the_function_name_and_event(aws: Any, echo: str) -> None:
    # GIVEN a hook registered before the call
    seen: list[tuple[str, Any]] = []

    def hook(name: str, event: Any) -> None:
        seen.append((name, event))

    lambda_runtime.add_before_invoke(hook)
    try:
        # WHEN the function is invoked
        _, result = invoke(aws, echo, {"order": 7})
    finally:
        lambda_runtime.remove_before_invoke(hook)

    # THEN the hook saw the call before the handler ran, and the handler still ran
    assert seen == [(echo, {"order": 7})]
    assert result["event"] == {"order": 7}
    # AND once removed it sees no more calls
    assert hook not in lambda_runtime._before_invoke
    invoke(aws, echo, {})
    assert len(seen) == 1


def test_exception_raised_by_a_hook_is_the_function_error(aws: Any, echo: str) -> None:
    # GIVEN a fault-injection hook that fails every call
    class Throttled(Exception):
        pass

    def hook(name: str, event: Any) -> None:
        raise Throttled(f"injected for {name}")

    lambda_runtime.add_before_invoke(hook)
    try:
        # WHEN the function is invoked
        response, error = invoke(aws, echo, {})
    finally:
        lambda_runtime.remove_before_invoke(hook)

    # THEN the call fails as if the function had raised it
    assert response.get("FunctionError")
    assert error["errorType"] == "Throttled"
    assert error["errorMessage"] == f"injected for {echo}"


def test_updated_code_is_loaded_again(aws: Any, echo: str) -> None:
    # GIVEN a function that has already run (its handler module is cached)
    invoke(aws, echo, {})

    # WHEN its code is replaced
    new_code = "def lambda_handler(event, context):\n    return {'version': 2}\n"
    aws.client("lambda").update_function_code(FunctionName=echo, ZipFile=aws.zip_source({"app.py": new_code}))
    _, result = invoke(aws, echo, {})

    # THEN the next call runs the new code
    assert result == {"version": 2}


def test_handler_can_import_modules_packaged_beside_it(aws: Any) -> None:
    # GIVEN a deployment package whose handler imports a helper module from the same zip (as on AWS,
    # where the package root /var/task is on sys.path)
    name = f"helper-{uuid.uuid4().hex[:8]}"
    files = {
        "app.py": "from helper_mod_embedded import shout\n\n\ndef lambda_handler(event, context):\n"
        "    return shout('hi')\n",
        "helper_mod_embedded.py": "def shout(text):\n    return text.upper()\n",
    }
    aws.function(name, files)

    # WHEN it is invoked
    response, result = invoke(aws, name, {})

    # THEN the import resolved inside the package
    assert "FunctionError" not in response, result
    assert result == "HI"


NESTED_CALLER = """
import json

import boto3
from botocore.config import Config


def lambda_handler(event, context):
    client = boto3.client("lambda", config=Config(read_timeout=2, retries={"max_attempts": 0}))
    try:
        response = client.invoke(FunctionName=event["callee"], Payload=b"{}")
    except Exception as error:
        return {"error": type(error).__name__}
    return json.loads(response["Payload"].read())
"""


def test_handler_can_invoke_another_function(aws: Any) -> None:
    # GIVEN a function that synchronously invokes another one (boto3 with a 2 s read timeout, no retries)
    suffix = uuid.uuid4().hex[:8]
    aws.function(f"callee-{suffix}", {"app.py": "def lambda_handler(event, context):\n    return {'callee': 'ran'}\n"})
    aws.function(f"caller-{suffix}", {"app.py": NESTED_CALLER})

    # WHEN the caller is invoked
    _, result = invoke(aws, f"caller-{suffix}", {"callee": f"callee-{suffix}"})

    # THEN it got the callee's result
    assert result == {"callee": "ran"}


LOGGING_AT_IMPORT = """
import logging
import sys

logger = logging.getLogger("logs-at-import")
logger.addHandler(logging.StreamHandler(sys.stdout))  # as Powertools' Logger binds sys.stdout when created
logger.setLevel(logging.INFO)


def lambda_handler(event, context):
    logger.info("call %s", event["n"])
    return {}
"""


def test_a_logger_made_at_import_writes_each_calls_lines_to_the_functions_log_not_to_a_stdout(aws: Any) -> None:
    # GIVEN a handler whose logger took sys.stdout when the module was imported, during a first call
    name = f"logs-{uuid.uuid4().hex[:8]}"
    aws.function(name, {"app.py": LOGGING_AT_IMPORT})
    first, second = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(first):
        invoke(aws, name, {"n": 1})
    first.close()  # as a test's capture is closed when it ends
    # WHEN it is called again with another stdout
    with contextlib.redirect_stdout(second):
        invoke(aws, name, {"n": 2})
    # THEN each call's line went to the function's log group (as on AWS), none to a stdout, the closed one included
    assert second.getvalue() == ""
    events = aws.client("logs").filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
    assert [e["message"] for e in events if e["message"].startswith("call ")] == ["call 1", "call 2"]


# Works in steps (as real work does) and records each in a file; the module token tells one import from the next.
SLOW_HANDLER = """
import time
import uuid

from embedded_aws import lambda_runtime

TOKEN = uuid.uuid4().hex  # new at every import of this module


def lambda_handler(event, context):
    if event.get("pause"):
        before = context.get_remaining_time_in_millis()
        lambda_runtime.pause(event["pause"])
        return {"before_ms": before, "after_ms": context.get_remaining_time_in_millis()}
    for _ in range(int(event.get("steps", 0))):
        time.sleep(0.01)
        with open(event["ticks"], "a") as ticks:
            ticks.write(".")
    return {"token": TOKEN}
"""


@pytest.fixture
def slow(aws: Any) -> str:
    name = f"slow-{uuid.uuid4().hex[:8]}"
    aws.function(name, {"app.py": SLOW_HANDLER}, variables={"GREETING": "from the slow one"}, timeout=1)
    return name


def test_a_handler_past_its_timeout_is_stopped_and_fails_as_on_aws(aws: Any, slow: str, tmp_path: Any) -> None:
    # GIVEN a function with a 1 s Timeout that has run once (its module is imported: a warm start follows)
    _, first = invoke(aws, slow, {})
    _, warm = invoke(aws, slow, {})
    assert warm["token"] == first["token"]
    before = dict(os.environ)

    # WHEN a call works for 3 s, in steps
    ticks = tmp_path / "ticks"
    response, error = invoke(aws, slow, {"steps": 300, "ticks": str(ticks)})

    # THEN it fails after 1 s with Lambda's timeout document: AWS's error name and message, nothing else
    assert response.get("FunctionError")
    assert set(error) == {"errorType", "errorMessage"}
    assert error["errorType"] == "Sandbox.Timedout"
    assert re.fullmatch(r"RequestId: [0-9a-f-]{36} Error: Task timed out after 1\.00 seconds", error["errorMessage"])
    # AND the handler was stopped, not left running: no thread of it is alive and it works no more
    assert not [thread for thread in threading.enumerate() if thread.name == f"lambda:{slow}"]
    done = len(ticks.read_text())
    assert 0 < done < 300
    time.sleep(0.2)
    assert len(ticks.read_text()) == done
    # AND the function's environment is gone from the process
    assert dict(os.environ) == before
    # AND the next call is a cold start (Lambda replaces the runtime after a timeout)
    _, after = invoke(aws, slow, {})
    assert after["token"] != first["token"]


def test_paused_time_counts_in_full_against_the_timeout_and_the_time_remaining(aws: Any) -> None:
    # GIVEN a function with a 60 s Timeout that pauses (as an injected delay does) at the embedded clock's scale
    name = f"pausing-{uuid.uuid4().hex[:8]}"
    aws.function(name, {"app.py": SLOW_HANDLER}, timeout=60)

    # WHEN it pauses 30 s of function time
    started = time.monotonic()
    _, result = invoke(aws, name, {"pause": 30})

    # THEN the context counts the 30 s in full, though the pause took only a fraction of them in real time
    assert 59_000 < result["before_ms"] <= 60_000
    assert 29_000 < result["after_ms"] <= 30_000
    assert time.monotonic() - started < 30 * clock.scaled(1.0) + 5

    # AND a pause past the timeout ends the call with Sandbox.Timedout after the scaled 60 s
    _, error = invoke(aws, name, {"pause": 1000})
    assert error["errorType"] == "Sandbox.Timedout"
    assert error["errorMessage"].endswith("Error: Task timed out after 60.00 seconds")


def test_a_state_machine_sees_the_timeout_under_its_aws_name(aws: Any) -> None:
    # GIVEN a task that retries Sandbox.Timedout once, then catches it, on a function that always times out
    name = f"pausing-{uuid.uuid4().hex[:8]}"
    arn = aws.function(name, {"app.py": SLOW_HANDLER}, timeout=5)
    retry = {"ErrorEquals": ["Sandbox.Timedout"], "IntervalSeconds": 1, "MaxAttempts": 1}
    catch = {"ErrorEquals": ["Sandbox.Timedout"], "ResultPath": "$.error", "Next": "Caught"}
    task = {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": arn, "Payload": {"pause": 100}},
        "Retry": [retry],
        "Catch": [catch],
        "End": True,
    }
    definition = {"StartAt": "Slow", "States": {"Slow": task, "Caught": {"Type": "Pass", "End": True}}}
    machine = aws.state_machine(f"timeouts-{name}", definition)

    # WHEN it runs
    described = aws.run_to_end(machine, {})

    # THEN both attempts failed with Sandbox.Timedout, Lambda's document as the cause, and the Catch took it
    assert described["status"] == "SUCCEEDED"
    history = aws.client("stepfunctions").get_execution_history(executionArn=described["executionArn"])["events"]
    failures = [event["taskFailedEventDetails"] for event in history if event["type"] == "TaskFailed"]
    assert [failure["error"] for failure in failures] == ["Sandbox.Timedout"] * 2
    assert json.loads(failures[0]["cause"])["errorMessage"].endswith("Task timed out after 5.00 seconds")
    assert json.loads(described["output"])["error"]["Error"] == "Sandbox.Timedout"


# Each call marks its arrival in a shared folder, then waits (up to `wait` s) until `expected` calls have arrived,
# reading its function's variable and its credentials meanwhile, also from a thread it starts.
MEETING_HANDLER = """
import os
import pathlib
import threading
import time
import uuid

import boto3


def lambda_handler(event, context):
    folder = pathlib.Path(event["folder"])
    (folder / uuid.uuid4().hex).touch()
    deadline = time.monotonic() + event["wait"]
    while len(list(folder.iterdir())) < event["expected"] and time.monotonic() < deadline:
        time.sleep(0.01)
    seen_by_thread = []
    helper = threading.Thread(target=lambda: seen_by_thread.append(os.environ.get("GREETING")))
    helper.start()
    helper.join()
    return {
        "met": len(list(folder.iterdir())) >= event["expected"],
        "greeting": os.environ.get("GREETING"),
        "greeting_in_its_thread": seen_by_thread[0],
        "signs_as": boto3.client("s3")._request_signer._credentials.access_key,
        "key_in_environment": os.environ["AWS_ACCESS_KEY_ID"],
    }
"""


def invoke_together(aws: Any, calls: list[tuple[str, dict[str, Any]]]) -> list[Any]:
    results: list[Any] = [None] * len(calls)

    def call(index: int) -> None:
        results[index] = invoke(aws, calls[index][0], calls[index][1])[1]

    threads = [threading.Thread(target=call, args=(index,)) for index in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_calls_run_at_the_same_time_each_in_its_own_environment(aws: Any, embedded_aws: Any, tmp_path: Any) -> None:
    # GIVEN two functions with their own variable and their own role, the process's environment, and room for
    # three calls at once
    before = dict(os.environ)
    names = [f"meet-{n}-{uuid.uuid4().hex[:8]}" for n in (1, 2)]
    for name in names:
        aws.function(name, {"app.py": MEETING_HANDLER}, variables={"GREETING": f"from {name}"}, timeout=30)

    # WHEN three calls (two of the first function) are made at once, each waiting for the others
    event = {"folder": str(tmp_path), "expected": 3, "wait": 20}
    with lambda_runtime.installed(embedded_aws.endpoint_url, concurrency=3):
        results = invoke_together(aws, [(names[0], event), (names[0], event), (names[1], event)])

    # THEN they all ran at the same time (one at a time, the first would have waited alone)
    assert [result["met"] for result in results] == [True, True, True], results
    # AND each saw its own function's variable, in its own thread and in a thread it started
    for result, name in zip(results, [names[0], names[0], names[1]], strict=True):
        assert result["greeting"] == result["greeting_in_its_thread"] == f"from {name}"
        # AND its default boto3 session signs with its own role's credentials
        assert result["signs_as"] == result["key_in_environment"]
    assert results[0]["signs_as"] != results[2]["signs_as"]
    # AND the process's environment is as it was
    assert dict(os.environ) == before


def test_calls_past_the_concurrency_limit_wait_for_a_free_one(aws: Any, embedded_aws: Any, tmp_path: Any) -> None:
    # GIVEN a concurrency limit of one call at a time
    name = f"meet-{uuid.uuid4().hex[:8]}"
    aws.function(name, {"app.py": MEETING_HANDLER}, timeout=30)
    event = {"folder": str(tmp_path), "expected": 2, "wait": 1}
    with lambda_runtime.installed(embedded_aws.endpoint_url, concurrency=1):
        # WHEN two calls are made at once
        results = invoke_together(aws, [(name, event), (name, event)])

    # THEN the second ran once the first had ended: the first waited for it in vain, the second found it
    assert sorted(result["met"] for result in results) == [False, True]


def test_first_calls_at_the_same_time_all_run_the_whole_handler(aws: Any) -> None:
    # GIVEN a new function whose package takes a while to unpack (many files beside its handler)
    name = f"unpack-{uuid.uuid4().hex[:8]}"
    padding = {f"data/{n}.txt": "x" * 20_000 for n in range(300)}
    aws.function(name, {**padding, "app.py": HANDLER})

    # WHEN it is first called eight times at once
    results = invoke_together(aws, [(name, {"n": n}) for n in range(8)])

    # THEN every call ran the handler (none found the package half unpacked)
    assert [result["event"] for result in results] == [{"n": n} for n in range(8)]


# Adds its own metric, waits until the other call has added its own, then serialises what it would publish.
METRICS_HANDLER = """
import pathlib
import time
import uuid

from aws_lambda_powertools import Metrics

metrics = Metrics(namespace="Test")


def lambda_handler(event, context):
    metrics.add_metric(name=event["metric"], unit="Count", value=1)
    folder = pathlib.Path(event["folder"])
    (folder / uuid.uuid4().hex).touch()
    deadline = time.monotonic() + 20
    while len(list(folder.iterdir())) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    document = metrics.serialize_metric_set()
    metrics.clear_metrics()
    names = [metric["Name"] for metric in document["_aws"]["CloudWatchMetrics"][0]["Metrics"]]
    return {"metrics": names, "service": document["service"]}
"""


def test_powertools_metrics_of_calls_at_the_same_time_stay_apart(aws: Any, tmp_path: Any) -> None:
    # GIVEN two functions adding Powertools metrics (kept for the whole process: one call per process on AWS)
    names = [f"metrics-{n}-{uuid.uuid4().hex[:8]}" for n in (1, 2)]
    for name in names:
        aws.function(name, {"app.py": METRICS_HANDLER}, variables={"POWERTOOLS_SERVICE_NAME": name})

    # WHEN both are called at once, each adding its metric before the other serialises
    calls = [(name, {"metric": f"Made{n}", "folder": str(tmp_path)}) for n, name in enumerate(names)]
    results = invoke_together(aws, calls)

    # THEN each call publishes its own metric under its own service, nothing of the other's
    assert results == [{"metrics": [f"Made{n}"], "service": name} for n, name in enumerate(names)]
