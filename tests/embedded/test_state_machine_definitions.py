"""embedded_aws.state_machine_definitions: ValidateStateMachineDefinition, and CreateStateMachine/UpdateStateMachine
refusing with InvalidDefinition what AWS refuses, in AWS's words."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.config import Config

from embedded_aws.credentials import admin_session

STATE_MACHINES = Path(__file__).resolve().parents[2] / "statemachine"
LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"
VALID = {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}


def pass_states(**states: dict[str, Any]) -> dict[str, Any]:
    return {name: {"Type": "Pass", **fields} for name, fields in states.items()}


def diagnostics_of(aws: Any, definition: Any, **arguments: Any) -> list[tuple[str, str, str | None]]:
    text = definition if isinstance(definition, str) else json.dumps(definition)
    answer = aws.client("stepfunctions").validate_state_machine_definition(definition=text, **arguments)
    assert answer["result"] == ("FAIL" if answer["diagnostics"] else "OK")
    return [(d["code"], d["message"], d.get("location")) for d in answer["diagnostics"]]


def test_a_valid_definition_is_ok_without_diagnostics(aws: Any) -> None:
    answer = aws.client("stepfunctions").validate_state_machine_definition(definition=json.dumps(VALID))

    assert (answer["result"], answer["diagnostics"], answer["truncated"]) == ("OK", [], False)


@pytest.mark.parametrize("path", sorted(STATE_MACHINES.glob("*.asl.json")), ids=lambda path: path.name)
def test_the_project_state_machines_are_valid(aws: Any, path: Path) -> None:
    assert diagnostics_of(aws, path.read_text(encoding="utf-8")) == []


MISSING = "MISSING_TRANSITION_TARGET"
SCHEMA = "SCHEMA_VALIDATION_FAILED"
NO_NEXT_NOR_END = (SCHEMA, "This object should have only one of the following fields: [Next, End]", "/States/A")


@pytest.mark.parametrize(
    ("definition", "expected"),
    [
        pytest.param(" ", [(SCHEMA, "Definition must be a valid JSON object", None)], id="blank"),
        pytest.param({}, [(SCHEMA, "These fields are required: [States, StartAt]", "/")], id="empty"),
        pytest.param(
            {"States": VALID["States"]}, [(SCHEMA, "These fields are required: [StartAt]", "/")], id="no-StartAt"
        ),
        pytest.param(
            {"StartAt": "A", "States": pass_states(A={"Next": "NOPE"})},
            [
                (MISSING, "Missing 'Next' target: NOPE", "/States/A/Next"),
                ("MISSING_END_STATE", "Workflow has no terminal state", None),
            ],
            id="Next-names-no-state",
        ),
        pytest.param(
            {"StartAt": "Start", "States": pass_states(Run={"End": True})},
            [
                (MISSING, "Missing 'Next' target: Start", "/StartAt"),
                (MISSING, 'State "Run" is not reachable.', "/States/Run"),
            ],
            id="StartAt-names-no-state",
        ),
        pytest.param(
            {"StartAt": "A", "States": pass_states(A={"Next": "B"}, B={"Next": "A"}, Unused={"Next": "A"})},
            [("MISSING_END_STATE", "Workflow has no terminal state", None)],
            id="no-terminal-state",
        ),
        pytest.param(
            {"StartAt": "A", "States": pass_states(A={"Next": "B"}, B={"Next": "A"}, C={"End": True})},
            [(MISSING, 'State "C" is not reachable.', "/States/C")],
            id="unreachable-state",
        ),
        pytest.param(
            {
                "StartAt": "C",
                "States": {
                    "C": {
                        "Type": "Choice",
                        "Choices": [{"Variable": "$.x", "IsPresent": True, "Next": "Z"}],
                        "Default": "Ghost",
                    },
                    "Z": {"Type": "Succeed"},
                },
            },
            [(MISSING, "Missing 'Next' target: Ghost", "/States/C/Default")],
            id="Choice-Default-names-no-state",
        ),
        pytest.param(
            {
                "StartAt": "C",
                "States": {
                    "C": {
                        "Type": "Choice",
                        "Choices": [{"Variable": "$.x", "IsPresent": True, "Next": "Ghost"}],
                        "Default": "Z",
                    },
                    "Z": {"Type": "Succeed"},
                },
            },
            [(MISSING, "Missing 'Next' target: Ghost", "/States/C/Choices[0]/Next")],
            id="choice-Next-names-no-state",
        ),
        pytest.param(
            {
                "StartAt": "T",
                "States": {
                    "T": {
                        "Type": "Task",
                        "Resource": LAMBDA_INVOKE,
                        "Parameters": {"FunctionName": "f"},
                        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Ghost"}],
                        "End": True,
                    }
                },
            },
            [(MISSING, "Missing 'Next' target: Ghost", "/States/T/Catch[0]/Next")],
            id="Catch-Next-names-no-state",
        ),
        pytest.param(
            {"StartAt": "A", "States": pass_states(A={})},
            [NO_NEXT_NOR_END],
            id="neither-Next-nor-End",
        ),
        pytest.param(
            {"StartAt": "A", "States": pass_states(A={"Next": "A", "End": True})},
            [(SCHEMA, "There should only be one of the following fields: [Next, End]", "/States/A")],
            id="both-Next-and-End",
        ),
        pytest.param(
            {
                "StartAt": "M",
                "States": {
                    "M": {
                        "Type": "Map",
                        "ItemProcessor": {"StartAt": "W", "States": pass_states(W={"End": True}, Ghost={"End": True})},
                        "End": True,
                    }
                },
            },
            [(MISSING, 'State "Ghost" is not reachable.', "/States/M/ItemProcessor/States/Ghost")],
            id="unreachable-in-Map",
        ),
        pytest.param(
            {
                "StartAt": "P",
                "States": {
                    "P": {
                        "Type": "Parallel",
                        "Branches": [{"StartAt": "W", "States": pass_states(W={"Next": "Ghost"})}],
                        "End": True,
                    }
                },
            },
            [(MISSING, "Missing 'Next' target: Ghost", "/States/P/Branches[0]/States/W/Next")],
            id="Next-in-Parallel-branch",
        ),
        pytest.param(
            {"StartAt": "P", "States": {"P": {"Type": "Parallel", "Branches": [{"States": {}}], "End": True}}},
            [(SCHEMA, "These fields are required: [StartAt]", "/States/P/Branches[0]")],
            id="branch-without-StartAt",
        ),
    ],
)
def test_what_aws_refuses_is_diagnosed_in_its_words(aws: Any, definition: Any, expected: list[Any]) -> None:
    assert diagnostics_of(aws, definition) == expected


def test_a_loop_inside_a_map_needs_no_terminal_state(aws: Any) -> None:
    # MISSING_END_STATE is the top level's rule: AWS accepts an item processor that loops
    loop = {"StartAt": "A", "States": pass_states(A={"Next": "B"}, B={"Next": "A"})}
    definition = {"StartAt": "M", "States": {"M": {"Type": "Map", "ItemProcessor": loop, "End": True}}}

    assert diagnostics_of(aws, definition) == []


def test_text_that_is_not_json_is_an_invalid_json_description(aws: Any) -> None:
    ((code, message, location),) = diagnostics_of(aws, "not a definition")

    assert code == "INVALID_JSON_DESCRIPTION"
    assert location == '[Source: (String)"not a definition"; line: 1, column: 1]'
    assert message.endswith(f"\n at {location}")


def test_an_express_machine_cannot_wait_for_a_task_token(aws: Any) -> None:
    task = {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "End": True}
    definition = {"StartAt": "Send", "States": {"Send": {**task, "Parameters": {"QueueUrl": "q", "MessageBody": "m"}}}}

    assert diagnostics_of(aws, definition, type="STANDARD") == []
    assert diagnostics_of(aws, definition, type="EXPRESS") == [
        (
            SCHEMA,
            "Express state machine does not support '.waitForTaskToken' service integration ",
            "/States/Send/Resource",
        )
    ]


def test_max_results_truncates_the_diagnostics_and_zero_means_the_default(aws: Any) -> None:
    three_missing = {"StartAt": "A", "States": pass_states(A={"Next": "X"}, B={"Next": "Y"}, C={"End": True})}
    sfn = aws.client("stepfunctions")

    one = sfn.validate_state_machine_definition(definition=json.dumps(three_missing), maxResults=1)
    every = sfn.validate_state_machine_definition(definition=json.dumps(three_missing), maxResults=0)

    assert (one["result"], len(one["diagnostics"]), one["truncated"]) == ("FAIL", 1, True)
    assert (len(every["diagnostics"]), every["truncated"]) == (4, False)  # X, Y; B and C unreachable


def test_a_request_outside_the_api_model_is_a_validation_exception(aws: Any) -> None:
    # An SDK refuses these before sending; another client may not
    session = admin_session()
    sfn = session.client("stepfunctions", endpoint_url=aws.endpoint_url, config=Config(parameter_validation=False))

    for arguments, rule in [
        ({"maxResults": 101}, "Value '101' at 'maxResults' failed to satisfy constraint"),
        ({"severity": "LOUD"}, "Value 'LOUD' at 'severity' failed to satisfy constraint"),
    ]:
        with pytest.raises(sfn.exceptions.ValidationException, match=rule):
            sfn.validate_state_machine_definition(definition=json.dumps(VALID), **arguments)


def test_create_state_machine_refuses_with_invalid_definition_in_aws_words(aws: Any) -> None:
    sfn = aws.client("stepfunctions")
    definition = {"StartAt": "A", "States": pass_states(A={"Next": "B"})}

    with pytest.raises(sfn.exceptions.InvalidDefinition) as refused:
        aws.state_machine("refused", definition)

    assert refused.value.response["Error"]["Message"] == (
        "Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: Missing 'Next' target: B at /States/A/Next, "
        "MISSING_END_STATE: Workflow has no terminal state at null'"
    )
    assert sfn.list_state_machines()["stateMachines"] == []


def test_what_moto_cannot_parse_is_an_invalid_definition_too(aws: Any) -> None:
    # moto's parser refused this with an empty error code: InvalidDefinition could not be caught
    sfn = aws.client("stepfunctions")

    with pytest.raises(sfn.exceptions.InvalidDefinition, match=r"SCHEMA_VALIDATION_FAILED: .*Foo"):
        aws.state_machine("refused", {"StartAt": "A", "States": {"A": {"Type": "Foo", "End": True}}})


def test_update_state_machine_refuses_and_keeps_the_definition(aws: Any) -> None:
    sfn = aws.client("stepfunctions")
    arn = aws.state_machine("kept", VALID)

    with pytest.raises(sfn.exceptions.InvalidDefinition, match=r"This object should have only one of the following"):
        sfn.update_state_machine(
            stateMachineArn=arn, definition=json.dumps({"StartAt": "A", "States": pass_states(A={})})
        )

    assert json.loads(sfn.describe_state_machine(stateMachineArn=arn)["definition"]) == VALID


def test_an_express_machine_is_checked_as_one_when_created(aws: Any) -> None:
    sfn = aws.client("stepfunctions")
    task = {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "End": True}
    definition = {"StartAt": "Send", "States": {"Send": {**task, "Parameters": {"QueueUrl": "q", "MessageBody": "m"}}}}

    with pytest.raises(sfn.exceptions.InvalidDefinition, match="Express state machine does not support"):
        sfn.create_state_machine(
            name="express", definition=json.dumps(definition), roleArn=aws.role("states.amazonaws.com"), type="EXPRESS"
        )
