"""The real AWS CLI against the test session's embedded AWS, as a user runs it after `orders-etl local start`:
`aws` (v1, installed by `make awscli` in .venv-awscli) with AWS_ENDPOINT_URL and the administrator's key; and
`orders-etl` with AWS_ENDPOINT_URL alone. One section per service; a test runs `aws_cli.json(...)` for a command's
JSON output, `aws_cli.output(...)` for its text (`aws s3 cp`), `aws_cli.run(...)` to see a refusal."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from athena_support import SAMPLES, revenue_by_category
from embedded_aws.credentials import ADMIN_ACCESS_KEY_ID, ADMIN_SECRET_ACCESS_KEY
from embedded_aws.server import PROJECT_ROOT
from support import Cli, Stack

# Where the Makefile installs it (AWSCLI); `make test` installs it first.
AWS_CLI = PROJECT_ROOT / ".venv-awscli" / "bin" / "aws"
REGION = "us-east-1"
STACK = "orders-etl"

pytestmark = pytest.mark.skipif(not AWS_CLI.exists(), reason=f"no AWS CLI at {AWS_CLI}: run `make awscli`")


def bare_environment(home: Path, **variables: str) -> dict[str, str]:
    """PATH and `variables` only: no credentials, region or config of the machine's user."""
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "AWS_CONFIG_FILE": str(home / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "no-credentials"),
        **variables,
    }


@dataclass
class AwsCli:
    """`aws` pointed at the stack's endpoint through AWS_ENDPOINT_URL, signing as the administrator."""

    environment: dict[str, str]
    cwd: Path

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """`aws ARGS`, whatever its exit code (for a test of a refusal)."""
        return subprocess.run(
            [str(AWS_CLI), *args],
            env=self.environment,
            cwd=self.cwd,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def output(self, *args: str) -> str:
        """The standard output of `aws ARGS`; a non-zero exit fails the test with the command's stderr."""
        done = self.run(*args)
        assert done.returncode == 0, f"aws {' '.join(args)}: exit {done.returncode}\n{done.stderr}"
        return done.stdout

    def json(self, *args: str) -> Any:
        """The parsed output of `aws ARGS --output json`."""
        return json.loads(self.output(*args, "--output", "json"))


@pytest.fixture
def aws_cli(stack: Stack, tmp_path: Path) -> AwsCli:
    environment = bare_environment(
        tmp_path,
        AWS_ENDPOINT_URL=stack.endpoint_url,
        AWS_ACCESS_KEY_ID=ADMIN_ACCESS_KEY_ID,
        AWS_SECRET_ACCESS_KEY=ADMIN_SECRET_ACCESS_KEY,
        AWS_DEFAULT_REGION=REGION,
    )
    return AwsCli(environment, tmp_path)


# ---------- CloudFormation ----------


def test_describe_stacks_shows_the_stack_and_its_outputs(aws_cli: AwsCli, stack: Stack) -> None:
    (described,) = aws_cli.json("cloudformation", "describe-stacks", "--stack-name", STACK)["Stacks"]

    assert (described["StackName"], described["StackStatus"]) == (STACK, "CREATE_COMPLETE")
    assert {o["OutputKey"]: o["OutputValue"] for o in described["Outputs"]} == stack.outputs


def test_list_stack_resources_names_each_resource_as_its_service_does(aws_cli: AwsCli, stack: Stack) -> None:
    summaries = aws_cli.json("cloudformation", "list-stack-resources", "--stack-name", STACK)["StackResourceSummaries"]

    resources = {s["LogicalResourceId"]: (s["ResourceType"], s["PhysicalResourceId"]) for s in summaries}
    assert resources["DataBucket"] == ("AWS::S3::Bucket", stack.bucket)
    assert resources["OrderPipelineStateMachine"] == ("AWS::StepFunctions::StateMachine", stack.state_machine_arn)
    assert {s["ResourceStatus"] for s in summaries} == {"CREATE_COMPLETE"}


def test_an_unknown_stack_is_the_validation_error_aws_gives(aws_cli: AwsCli) -> None:
    done = aws_cli.run("cloudformation", "describe-stacks", "--stack-name", "no-such-stack")

    assert done.returncode != 0
    assert (
        "(ValidationError) when calling the DescribeStacks operation: Stack with id no-such-stack does not exist"
        in (done.stderr)
    )


# ---------- S3 ----------


def test_a_20_mb_upload_in_parts_starts_exactly_one_execution(aws_cli: AwsCli, stack: Stack, tmp_path: Path) -> None:
    # GIVEN a 20 MB order file (`aws s3 cp` uploads a file from 8 MB in parts: a multipart upload)
    orders = [{"order_id": f"O{n}", "order_date": "2025-03-01T10:00:00Z", "products": []} for n in range(260_000)]
    body = json.dumps(orders).encode()
    assert len(body) > 20_000_000
    upload = tmp_path / "big.json"
    upload.write_bytes(body)

    # WHEN the AWS CLI copies it under raw/
    aws_cli.output("s3", "cp", str(upload), f"s3://{stack.bucket}/raw/cli/big.json")

    # THEN one execution ran for it, started by one Object Created event of reason CompleteMultipartUpload
    (execution,) = stack.wait_for_count(1)
    event = json.loads(stack.describe(execution)["input"])
    detail = event["detail"]
    assert (detail["object"]["key"], detail["reason"]) == ("raw/cli/big.json", "CompleteMultipartUpload")


# ---------- Athena ----------


def test_athena_answers_the_named_query_with_the_rows_of_the_demo_s_files(aws_cli: AwsCli, stack: Stack) -> None:
    # GIVEN the demo's files went through the pipeline, and the stack's saved query
    samples = sorted(path for path in SAMPLES.iterdir() if path.is_file())
    stack.run({f"raw/demo/{path.name}": path.read_bytes() for path in samples})
    work_group = stack.outputs["AthenaWorkGroupName"]
    (query_id,) = aws_cli.json("athena", "list-named-queries", "--work-group", work_group)["NamedQueryIds"]
    sql = aws_cli.json("athena", "get-named-query", "--named-query-id", query_id)["NamedQuery"]["QueryString"]

    # WHEN it runs through `aws athena start-query-execution`, and its results are read once it has succeeded
    execution_id = aws_cli.json(
        "athena", "start-query-execution", "--query-string", sql, "--work-group", work_group,
        "--query-execution-context", f"Database={stack.outputs['GlueDatabaseName']}",
    )["QueryExecutionId"]  # fmt: skip
    state = "QUEUED"
    for _ in range(600):  # 0.05 s apart: 30 s at most, never a hang
        status = aws_cli.json("athena", "get-query-execution", "--query-execution-id", execution_id)
        state = status["QueryExecution"]["Status"]["State"]
        if state not in ("QUEUED", "RUNNING"):
            break
        time.sleep(0.05)
    assert state == "SUCCEEDED", status
    results = aws_cli.json("athena", "get-query-results", "--query-execution-id", execution_id)

    # THEN the header and the rows are revenue, units and orders per category, as Athena writes them (text)
    header, *rows = [[cell.get("VarCharValue") for cell in row["Data"]] for row in results["ResultSet"]["Rows"]]
    assert header == ["category", "revenue", "units", "orders"]
    expected = [[category, f"{revenue:.2f}", str(units), str(count)] for category, revenue, units, count in
                revenue_by_category(samples)]  # fmt: skip
    assert rows == expected


# ---------- orders-etl with only AWS_ENDPOINT_URL ----------


def test_orders_etl_finds_the_stack_through_aws_endpoint_url(stack: Stack, cli_through_endpoint: Cli) -> None:
    # GIVEN one execution of the pipeline (a folder marker: it ends at once, with nothing to do)
    (execution,) = stack.run({"raw/cli/": b""})

    # WHEN its executions are listed with AWS_ENDPOINT_URL set and no outputs file
    code, out, err = cli_through_endpoint("executions", "list", "--json")

    # THEN the stack's outputs came from the endpoint's CloudFormation, and the target line says where
    assert code == 0, err
    assert [e["arn"] for e in json.loads(out)] == [execution["executionArn"]]
    assert err.splitlines()[0] == (
        f"target: embedded AWS at {stack.endpoint_url} (AWS_ENDPOINT_URL), region {REGION}, stack {STACK}"
    )


def test_orders_etl_needs_nothing_but_aws_endpoint_url(stack: Stack, tmp_path: Path) -> None:
    # GIVEN an environment with AWS_ENDPOINT_URL and nothing else of AWS's: no key, no region, no config
    environment = bare_environment(tmp_path, AWS_ENDPOINT_URL=stack.endpoint_url)

    # WHEN `orders-etl executions list` runs there, in a directory without an outputs file
    done = subprocess.run(
        [sys.executable, "-m", "orders_etl_cli.main", "executions", "list", "--json"],
        env=environment,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    # THEN it lists the stack's (no) executions from the embedded AWS
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []
    assert done.stderr.startswith(f"target: embedded AWS at {stack.endpoint_url} (AWS_ENDPOINT_URL)")
