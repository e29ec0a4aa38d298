"""embedded_aws.mocked_responses + start_execution: MockConfigFile test cases, as on Step Functions Local."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from embedded_aws import start_execution

FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:never-called"

# Polls "Ask" until it answers done, at most 5 times: a state entered again and again in a loop.
POLLING = {
    "StartAt": "Ask",
    "States": {
        "Ask": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": FUNCTION, "Payload": {}},
            "ResultSelector": {"done.$": "$.Payload.done", "answer.$": "$.Payload.answer"},
            "Retry": [{"ErrorEquals": ["Lambda.ServiceException"], "IntervalSeconds": 1, "MaxAttempts": 2}],
            "Next": "Done?",
        },
        "Done?": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.done", "BooleanEquals": True, "Next": "Yes"}],
            "Default": "Ask",
        },
        "Yes": {"Type": "Succeed"},
    },
}


def answer(done: bool, text: str) -> dict[str, Any]:
    return {"Return": {"StatusCode": 200, "Payload": {"done": done, "answer": text}}}


CONFIG = {
    "StateMachines": {
        "polling": {
            "TestCases": {
                "ThirdTimeLucky": {"Ask": "NotYetTwiceThenDone"},
                "RetriedThenLucky": {"Ask": "FailsOnceThenDone"},
                "RunsOutOfAnswers": {"Ask": "NeverDone"},
            }
        }
    },
    "MockedResponses": {
        "NotYetTwiceThenDone": {"0-1": answer(False, "not yet"), "2": answer(True, "third")},
        "FailsOnceThenDone": {
            "0": {"Throw": {"Error": "Lambda.ServiceException", "Cause": "boom"}},
            "1": answer(True, "after a retry"),
        },
        "NeverDone": {"0-2": answer(False, "never")},
    },
}


@pytest.fixture
def mock_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "MockConfigFile.json"
    path.write_text(json.dumps(CONFIG))
    monkeypatch.setattr(start_execution, "_mock_config", path)
    return path


def run_case(aws: Any, test_case: str) -> dict[str, Any]:
    machine = aws.state_machine("polling", POLLING)
    return dict(aws.run_to_end(f"{machine}#{test_case}", {}))


def asks(aws: Any, execution: dict[str, Any]) -> int:
    events = aws.client("stepfunctions").get_execution_history(executionArn=execution["executionArn"])["events"]
    return sum(e["type"] == "TaskScheduled" for e in events)


def test_responses_are_numbered_per_invocation_across_loop_visits(aws: Any, mock_config: Path) -> None:
    # GIVEN a state asked in a loop, mocked "not yet" on invocations 0-1 and "done" on 2 (the function does not exist)
    execution = run_case(aws, "ThirdTimeLucky")

    # THEN the loop ends on the third visit with the third answer: moto alone would answer "0" every time
    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    assert json.loads(execution["output"]) == {"done": True, "answer": "third"}
    assert asks(aws, execution) == 3


def test_retries_take_the_next_numbered_response(aws: Any, mock_config: Path) -> None:
    execution = run_case(aws, "RetriedThenLucky")
    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    assert json.loads(execution["output"])["answer"] == "after a retry"
    assert asks(aws, execution) == 2


def test_a_mocked_throw_names_the_tasks_resource_in_its_task_failed_event(aws: Any, mock_config: Path) -> None:
    execution = run_case(aws, "RetriedThenLucky")

    events = aws.client("stepfunctions").get_execution_history(executionArn=execution["executionArn"])["events"]
    (failed,) = [event["taskFailedEventDetails"] for event in events if event["type"] == "TaskFailed"]
    # as on AWS and Step Functions Local: TaskFailedEventDetails requires resource and resourceType
    assert failed == {
        "resourceType": "lambda",
        "resource": "invoke",
        "error": "Lambda.ServiceException",
        "cause": "boom",
    }


def test_an_invocation_without_a_mocked_response_fails_the_execution_saying_so(aws: Any, mock_config: Path) -> None:
    # GIVEN three mocked answers for a loop that never ends
    execution = run_case(aws, "RunsOutOfAnswers")

    # THEN the fourth invocation fails the execution (as on Step Functions Local), naming the state and invocation
    assert execution["status"] == "FAILED"
    assert "no mocked response for invocation 3 of state 'Ask'" in execution["cause"]
    assert asks(aws, execution) == 4


def test_plain_arn_runs_the_real_integration(aws: Any, mock_config: Path) -> None:
    # GIVEN no #TestCase THEN nothing is mocked: the (missing) function is really invoked and the execution fails
    machine = aws.state_machine("polling", POLLING)
    execution = aws.run_to_end(machine, {})
    assert execution["status"] == "FAILED"
    assert "never-called" in execution["cause"]


@pytest.mark.parametrize(
    ("test_case", "code", "message"),
    [
        ("NoSuchCase", "InvalidName", "defines no test case 'NoSuchCase' for 'polling'"),
        ("", "InvalidArn", "names no test case after '#'"),
    ],
)
def test_unknown_test_case_is_refused_at_start(
    aws: Any, mock_config: Path, test_case: str, code: str, message: str
) -> None:
    machine = aws.state_machine("polling", POLLING)
    with pytest.raises(ClientError) as raised:
        aws.client("stepfunctions").start_execution(stateMachineArn=f"{machine}#{test_case}")
    assert raised.value.response["Error"]["Code"] == code
    assert message in raised.value.response["Error"]["Message"]


def test_malformed_mocked_response_is_refused_with_its_name(aws: Any, mock_config: Path) -> None:
    config = json.loads(mock_config.read_text())
    config["MockedResponses"]["NeverDone"] = {"0": {"Throw": {"Error": "X"}}}  # no Cause
    mock_config.write_text(json.dumps(config))
    machine = aws.state_machine("polling", POLLING)
    with pytest.raises(ClientError) as raised:
        aws.client("stepfunctions").start_execution(stateMachineArn=f"{machine}#RunsOutOfAnswers")
    assert "NeverDone['0'] must hold exactly one of Return, or Throw with string Error and Cause" in str(raised.value)


def test_test_case_without_a_mock_configuration_file_is_refused(aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(start_execution, "_mock_config", None)
    machine = aws.state_machine("polling", POLLING)
    with pytest.raises(ClientError) as raised:
        aws.client("stepfunctions").start_execution(stateMachineArn=f"{machine}#ThirdTimeLucky")
    assert raised.value.response["Error"]["Code"] == "InvalidArn"
    assert "set SFN_MOCK_CONFIG" in raised.value.response["Error"]["Message"]


def test_executions_started_without_a_name_get_distinct_uuid_names(aws: Any) -> None:
    # moto names them "None", so the second start would fail with ExecutionAlreadyExists
    machine = aws.state_machine("pass", {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    sfn = aws.client("stepfunctions")
    names = [
        sfn.describe_execution(executionArn=sfn.start_execution(stateMachineArn=machine)["executionArn"])["name"]
        for _ in range(2)
    ]
    assert len(set(names)) == 2
    assert all(len(name) == 36 and name.count("-") == 4 for name in names)
