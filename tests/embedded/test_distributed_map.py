"""embedded_aws.distributed_map: Distributed Map with an S3 ItemReader, ItemSelector and ItemBatcher, as on AWS."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from embedded_aws import iam_enforcement
from embedded_aws.distributed_map import batches, without_item_batchers

BUCKET = "batcher-test"
# Returns what its child workflow received; fails a batch holding a key with "bad" in it.
WORKER = """
def lambda_handler(event, context):
    keys = [item["key"] for item in event["Items"]]
    if any("bad" in key for key in keys):
        raise ValueError("a bad key in " + ", ".join(keys))
    return {"keys": keys, "runs": sorted({item["run"] for item in event["Items"]})}
"""


def distributed_map(worker_arn: str, batcher: dict[str, Any], tolerated_percentage_path: str = "$.tolerated") -> Any:
    return {
        "StartAt": "Each batch",
        "States": {
            "Each batch": {
                "Type": "Map",
                "ItemReader": {
                    "Resource": "arn:aws:states:::s3:listObjectsV2",
                    "Parameters": {"Bucket": BUCKET, "Prefix.$": "$.prefix"},
                },
                "ItemSelector": {"key.$": "$$.Map.Item.Value.Key", "run.$": "$$.Execution.Name"},
                "ItemBatcher": batcher,
                "MaxConcurrency": 2,
                "ToleratedFailurePercentagePath": tolerated_percentage_path,
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                    "StartAt": "Work",
                    "States": {
                        "Work": {
                            "Type": "Task",
                            "Resource": "arn:aws:states:::lambda:invoke",
                            "Parameters": {"FunctionName": worker_arn, "Payload.$": "$"},
                            "OutputPath": "$.Payload",
                            "End": True,
                        }
                    },
                },
                "End": True,
            }
        },
    }


def files(aws: Any, keys: list[str]) -> Any:
    s3 = aws.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    for key in keys:
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"{}")
    return s3


def map_run(aws: Any, execution_arn: str) -> dict[str, Any]:
    sfn = aws.client("stepfunctions")
    [run] = sfn.list_map_runs(executionArn=execution_arn)["mapRuns"]
    described: dict[str, Any] = sfn.describe_map_run(mapRunArn=run["mapRunArn"])
    return described


def test_items_are_selected_one_by_one_then_batched(aws: Any) -> None:
    # GIVEN 7 files and a Distributed Map batching at most 3 items, the size read from the input
    keys = [f"raw/f{i}.json" for i in range(7)]
    files(aws, [*keys, "elsewhere/x.json"])
    machine = aws.state_machine(
        "batched", distributed_map(aws.function("w1", {"app.py": WORKER}), {"MaxItemsPerBatchPath": "$.batch"})
    )
    # WHEN it runs over raw/
    execution = aws.run_to_end(machine, {"prefix": "raw/", "batch": 3, "tolerated": 0}, timeout=30)
    # THEN each child got {"Items": [...]} with ItemSelector applied per item: 3 + 3 + 1, in listing order
    assert execution["status"] == "SUCCEEDED", execution
    output = json.loads(execution["output"])
    assert [child["keys"] for child in output] == [keys[0:3], keys[3:6], keys[6:7]]
    assert {run for child in output for run in child["runs"]} == {execution["name"]}
    # AND the map run counts items, not children
    counts = map_run(aws, execution["executionArn"])["itemCounts"]
    assert (counts["total"], counts["succeeded"], counts["failed"], counts["pending"], counts["running"]) == (
        7,
        7,
        0,
        0,
        0,
    )


def test_a_failed_batch_counts_all_its_items_and_the_tolerance_applies_to_items(aws: Any) -> None:
    # GIVEN 6 files in batches of 2, one batch holding a file its worker rejects
    files(aws, ["raw/a.json", "raw/b.json", "raw/bad.json", "raw/c.json", "raw/d.json", "raw/e.json"])
    worker = aws.function("w2", {"app.py": WORKER})
    machine = aws.state_machine("tolerant", distributed_map(worker, {"MaxItemsPerBatch": 2}))
    # WHEN up to 40 % of items may fail, THEN 2 of 6 failing (33 %) is tolerated
    tolerated = aws.run_to_end(machine, {"prefix": "raw/", "tolerated": 40}, timeout=30)
    assert tolerated["status"] == "SUCCEEDED", tolerated
    counts = map_run(aws, tolerated["executionArn"])["itemCounts"]
    assert (counts["total"], counts["succeeded"], counts["failed"]) == (6, 4, 2)
    # AND with 20 % it is not: the Map fails with AWS's error
    strict = aws.run_to_end(machine, {"prefix": "raw/", "tolerated": 20}, timeout=30)
    assert strict["status"] == "FAILED"
    assert strict["error"] == "States.ExceedToleratedFailureThreshold"


def test_batches_respect_both_limits() -> None:
    items = [{"key": "k" * 100}] * 10
    assert [len(b["Items"]) for b in batches(items, 4, 1_000_000)] == [4, 4, 2]
    by_bytes = batches(items, None, 400)
    assert [len(b["Items"]) for b in by_bytes] == [3, 3, 3, 1]
    assert all(len(json.dumps(b)) <= 400 for b in by_bytes)


def test_a_definition_without_batcher_is_left_as_it_is_and_batch_input_is_refused(aws: Any) -> None:
    plain = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    assert without_item_batchers(plain) == plain
    definition = distributed_map("arn:aws:lambda:us-east-1:123456789012:function:x", {"BatchInput": {"a": 1}})
    with pytest.raises(ClientError, match="BatchInput is not supported"):
        aws.state_machine("batch-input", definition)


def test_map_runs_can_be_listed_while_an_execution_has_not_started_its_worker(aws: Any) -> None:
    # GIVEN an execution whose worker has not started yet (right after StartExecution; moto answered 500)
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    machine = aws.state_machine("idle", {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}})
    arn = aws.run_to_end(machine, {})["executionArn"]
    backend = stepfunctions_parser_backends["123456789012"]["us-east-1"]
    execution = backend.describe_execution(execution_arn=arn)
    worker, execution.exec_worker = execution.exec_worker, None
    try:
        # THEN ListMapRuns says there is none yet, and DescribeMapRun of an unknown run is a 400 as on AWS
        sfn = aws.client("stepfunctions")
        assert sfn.list_map_runs(executionArn=arn)["mapRuns"] == []
        unknown = f"{machine.replace(':stateMachine:', ':mapRun:')}/x:y"
        with pytest.raises(ClientError) as raised:
            sfn.describe_map_run(mapRunArn=unknown)
        assert raised.value.response["Error"]["Code"] == "ResourceNotFound"
    finally:
        execution.exec_worker = worker


def test_child_workflows_start_only_if_the_role_may_start_the_state_machine(aws: Any) -> None:
    # GIVEN IAM enforced, and a role that may list the bucket and invoke the worker but not start executions
    files(aws, ["raw/a.json"])
    worker = aws.function("w4", {"app.py": WORKER})
    statements = [
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{BUCKET}"},
        {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": worker},
    ]
    role = aws.role("states.amazonaws.com", policy={"Version": "2012-10-17", "Statement": statements})
    machine = aws.state_machine("no-children", distributed_map(worker, {"MaxItemsPerBatch": 2}), role=role)
    was = iam_enforcement.is_enabled()
    iam_enforcement.set_enabled(True)
    try:
        # WHEN it runs
        execution = aws.run_to_end(machine, {"prefix": "raw/", "tolerated": 0}, timeout=30)
    finally:
        iam_enforcement.set_enabled(was)
    # THEN the Map Run fails naming the missing states:StartExecution on the state machine itself
    assert execution["status"] == "FAILED"
    assert execution["error"] == "States.Runtime"
    assert f"perform: states:StartExecution on resource: {machine}" in execution["cause"]


def waiting_map(execution_type: str, wait_seconds: int) -> Any:
    """A Distributed Map whose child workflows each wait `wait_seconds` (of the embedded clock)."""
    definition = distributed_map("arn:aws:lambda:us-east-1:123456789012:function:unused", {"MaxItemsPerBatch": 2})
    processor = definition["States"]["Each batch"]["ItemProcessor"]
    processor["ProcessorConfig"]["ExecutionType"] = execution_type
    processor["States"] = {"Work": {"Type": "Wait", "Seconds": wait_seconds, "End": True}}
    return definition


@pytest.mark.slow  # 3-8 s: in `make test-slow` and .ci/run, to keep `make test` near 4 minutes
@pytest.mark.parametrize(
    ("execution_type", "wait_seconds", "ends"),
    [("EXPRESS", 320, "timed out"), ("EXPRESS", 100, "succeeded"), ("STANDARD", 320, "succeeded")],
)
def test_an_express_child_workflow_lasts_at_most_five_minutes(
    aws: Any, execution_type: str, wait_seconds: int, ends: str
) -> None:
    # GIVEN 3 files in batches of 2, and child workflows that each take `wait_seconds`
    files(aws, ["raw/a.json", "raw/b.json", "raw/c.json"])
    machine = aws.state_machine(f"children-{execution_type}-{wait_seconds}", waiting_map(execution_type, wait_seconds))
    # WHEN it runs (no failure tolerated)
    execution = aws.run_to_end(machine, {"prefix": "raw/", "tolerated": 0}, timeout=30)
    counts = map_run(aws, execution["executionArn"])["itemCounts"]
    if ends == "timed out":
        # THEN EXPRESS children past 300 s are stopped, as on AWS: their items time out and the Map fails
        assert (counts["timedOut"], counts["succeeded"]) == (3, 0), counts
        assert execution["status"] == "FAILED"
        assert execution["error"] == "States.ExceedToleratedFailureThreshold"
    else:
        # THEN within 5 minutes, or as STANDARD children (no such limit), every item succeeds
        assert (counts["timedOut"], counts["succeeded"]) == (0, 3), counts
        assert execution["status"] == "SUCCEEDED", execution
