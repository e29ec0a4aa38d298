"""embedded_aws.execution_json: the JSON in history events and DescribeExecution's output is compact, as
AWS writes it; the execution's input stays as the caller wrote it."""

from __future__ import annotations

import json
from typing import Any

HANDLER = """
def lambda_handler(event, context):
    return {"got": event, "list": [1, 2]}
"""


def compact(document: Any) -> str:
    return json.dumps(document, separators=(",", ":"))


def history(aws: Any, execution: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each event's details by event type (the last event of each type)."""
    events = aws.client("stepfunctions").get_execution_history(executionArn=execution["executionArn"])["events"]
    return {
        event["type"]: next(v for k, v in event.items() if k.endswith("EventDetails"))
        for event in events
        if any(k.endswith("EventDetails") for k in event)
    }


def test_task_parameters_and_outputs_are_compact_json(aws: Any) -> None:
    function = aws.function("echo", {"app.py": HANDLER})
    invoke = {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": function, "Payload.$": "$"},
    }
    machine = aws.state_machine(
        "echoes", {"StartAt": "Invoke", "States": {"Invoke": {**invoke, "OutputPath": "$.Payload", "End": True}}}
    )

    execution = aws.run_to_end(machine, {"x": 1, "y": [1, 2]})

    events = history(aws, execution)
    assert events["TaskScheduled"]["parameters"] == compact(
        {"FunctionName": function, "Payload": {"x": 1, "y": [1, 2]}}
    )
    payload = {"got": {"x": 1, "y": [1, 2]}, "list": [1, 2]}
    assert events["TaskSucceeded"]["output"] == compact({"StatusCode": 200, "Payload": payload})
    assert execution["output"] == compact(payload)


def test_a_lambda_resource_input_and_output_are_compact_json(aws: Any) -> None:
    function = aws.function("echo", {"app.py": HANDLER})
    machine = aws.state_machine(
        "echoes", {"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": function, "End": True}}}
    )

    execution = aws.run_to_end(machine, {"x": [1, 2]})

    events = history(aws, execution)
    assert events["LambdaFunctionScheduled"]["input"] == compact({"x": [1, 2]})
    assert events["LambdaFunctionSucceeded"]["output"] == compact({"got": {"x": [1, 2]}, "list": [1, 2]})


def test_the_execution_input_stays_as_the_caller_wrote_it(aws: Any) -> None:
    machine = aws.state_machine("passes", {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}})
    sfn = aws.client("stepfunctions")
    written = '{\n    "Comment": "Insert your JSON here"\n}'

    arn = sfn.start_execution(stateMachineArn=machine, input=written)["executionArn"]
    execution = aws.wait_for(lambda: (d := sfn.describe_execution(executionArn=arn))["status"] != "RUNNING" and d)

    assert execution["input"] == written
    assert history(aws, execution)["ExecutionStarted"]["input"] == written
    assert execution["output"] == compact({"Comment": "Insert your JSON here"})
