"""Which target an `orders-etl` command acts on, and that it never falls back from the embedded AWS (named by an
outputs file or by AWS_ENDPOINT_URL) to a real account: the rule in orders_etl_cli.stack (TARGET_RULE), without a
stack (tests/e2e/test_aws_cli.py runs commands against one through AWS_ENDPOINT_URL)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from orders_etl_cli import stack as stack_module
from orders_etl_cli.main import main
from orders_etl_cli.stack import StackContext

ACCOUNT = "111122223333"
MACHINE = f"arn:aws:states:eu-west-1:{ACCOUNT}:stateMachine:orders-etl-order-pipeline"

# Every command that acts on a stack, as a user types it.
STACK_COMMANDS = [
    ["executions", "list"],
    ["executions", "list", "--json"],
    ["executions", "show", "some-execution"],
    ["executions", "redrive", "some-execution"],
    ["executions", "redrive", "--all-failed", "--dry-run"],
    ["quarantine", "list"],
    ["quarantine", "show", "2025/bad.json"],
    ["quarantine", "replay", "2025/bad.json"],
    ["backfill", "--prefix", "2025/"],
    ["query", "SELECT 1"],
    ["local", "fail", "FlattenOrders=ConnectionResetError"],
    ["local", "fail", "--clear"],
    ["local", "fail"],
]


@pytest.fixture
def no_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[list[str]]:
    """No credentials, no region, no AWS_ENDPOINT_URL; every host name a command resolves is recorded, and
    anything but this machine is refused: a request to AWS would show there."""
    for name in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    resolved: list[str] = []
    real_getaddrinfo = socket.getaddrinfo

    def local_only(host: Any, *args: Any, **kwargs: Any) -> Any:
        resolved.append(str(host))
        if host not in ("127.0.0.1", "localhost"):
            raise OSError(f"test: no request may leave this machine ({host})")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", local_only)
    yield resolved


@pytest.fixture
def stopped_endpoint() -> Iterator[str]:
    """A port on this machine that nothing listens on: bound, never listening, so a connection is refused."""
    with socket.socket() as bound:
        bound.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{bound.getsockname()[1]}"


@pytest.fixture
def stopped_local_outputs(stopped_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The outputs of a stopped embedded AWS where commands look for them by default (.local/outputs.json)."""
    monkeypatch.chdir(tmp_path)
    write_outputs(tmp_path / ".local" / "outputs.json", stopped_endpoint)
    return stopped_endpoint


def write_outputs(path: Path, endpoint: str | None) -> Path:
    outputs = {"StateMachineArn": MACHINE, "RawPrefix": "raw/", "DataBucketName": "bucket", "QuarantinePrefix": "q/"}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**outputs, "EndpointUrl": endpoint} if endpoint else outputs))
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_error_line(err: str, starts: str) -> None:
    lines = err.strip().splitlines()
    assert [line for line in lines if "error:" in line] == [lines[-1]], err
    assert lines[-1].startswith(starts), err
    assert "Traceback" not in err


@pytest.mark.parametrize("command", STACK_COMMANDS, ids=" ".join)
def test_a_stopped_embedded_aws_is_one_line_naming_it_and_nothing_reaches_aws(
    command: list[str], no_aws: list[str], stopped_local_outputs: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN the outputs of an embedded AWS that has stopped, where commands look for them by default
    stopped_endpoint = stopped_local_outputs
    # WHEN a command runs THEN it says so in one line, exit 1, and asked nothing of AWS
    code, out, err = run(capsys, *command)
    assert code == 1 and out == ""
    line = f"error: the embedded AWS at {stopped_endpoint} does not answer: start it with `make local`"
    # (`local fail` acts on the embedded AWS only: it suggests no AWS)
    assert_one_error_line(err, line if command[0] == "local" else f"{line} (or pass --stack-name to use AWS)")
    assert err.strip().endswith("`make local`") == (command[0] == "local")
    assert set(no_aws) <= {"127.0.0.1"}, no_aws


def test_an_outputs_file_given_that_does_not_exist_is_refused_not_replaced_by_aws(
    no_aws: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "executions", "list", "--outputs", str(tmp_path / "gone.json"))
    assert code == 1
    assert_one_error_line(err, f"error: no stack outputs at {tmp_path / 'gone.json'}: start the embedded AWS")
    assert no_aws == []


@pytest.mark.parametrize(
    ("document", "line"),
    [("not json", "is not the stack outputs of `orders-etl local start`"), ("{}", "names no EndpointUrl")],
    ids=["not-json", "no-endpoint"],
)
def test_an_outputs_file_that_names_no_endpoint_is_refused(
    document: str, line: str, no_aws: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = tmp_path / "outputs.json"
    outputs.write_text(document)
    code, _, err = run(capsys, "quarantine", "list", "--outputs", str(outputs))
    assert code == 1
    assert_one_error_line(err, f"error: {outputs} ")
    assert line in err and no_aws == []


# The commands that read the stack through TARGET_RULE (`local fail` always reads an outputs file).
ENDPOINT_COMMANDS = [command for command in STACK_COMMANDS if command[0] != "local"]


@pytest.mark.parametrize("command", ENDPOINT_COMMANDS, ids=" ".join)
def test_aws_endpoint_url_that_does_not_answer_is_one_line_naming_it_and_nothing_reaches_aws(
    command: list[str],
    no_aws: list[str],
    stopped_endpoint: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # GIVEN AWS_ENDPOINT_URL naming a stopped endpoint, and no outputs file
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AWS_ENDPOINT_URL", stopped_endpoint)
    # WHEN a command runs THEN it probed that endpoint alone, and says so in one line
    code, out, err = run(capsys, *command)
    assert code == 1 and out == ""
    assert_one_error_line(
        err,
        f"error: the embedded AWS at {stopped_endpoint} does not answer: start it with `make local` "
        "(or unset AWS_ENDPOINT_URL to use AWS)",
    )
    assert set(no_aws) <= {"127.0.0.1"}, no_aws


def test_stack_name_with_aws_endpoint_url_is_the_stack_at_that_endpoint_not_on_aws(
    no_aws: list[str],
    stopped_endpoint: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AWS_ENDPOINT_URL", stopped_endpoint)
    code, _, err = run(capsys, "executions", "list", "--stack-name", "other-stack")
    assert code == 1
    assert_one_error_line(err, f"error: the embedded AWS at {stopped_endpoint} does not answer")
    assert set(no_aws) <= {"127.0.0.1"}, no_aws


def test_a_local_outputs_file_is_honoured_before_aws_endpoint_url(
    no_aws: list[str], stopped_local_outputs: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN the outputs of one (stopped) embedded AWS and AWS_ENDPOINT_URL naming another
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    # WHEN a command runs THEN it is the outputs file's endpoint it tried
    code, _, err = run(capsys, "executions", "list")
    assert code == 1
    assert_one_error_line(err, f"error: the embedded AWS at {stopped_local_outputs} does not answer")


def test_profile_with_aws_endpoint_url_means_the_callers_own_credentials(
    no_aws: list[str], stopped_endpoint: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", stopped_endpoint)
    code, _, err = run(capsys, "executions", "list", "--profile", "ops")
    assert code == 1
    assert_one_error_line(err, "error: The config profile (ops) could not")


class _RefusingEndpoint(BaseHTTPRequestHandler):
    """Answers every request as CloudFormation answers DescribeStacks of a stack it does not have."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        body = (
            b"<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code>"
            b"<Message>Stack with id orders-etl does not exist</Message></Error>"
            b"<RequestId>1</RequestId></ErrorResponse>"
        )
        self.send_response(400)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def endpoint_without_the_stack() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _RefusingEndpoint)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_aws_endpoint_url_without_the_stack_says_so_and_nothing_reaches_aws(
    no_aws: list[str],
    endpoint_without_the_stack: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # GIVEN AWS_ENDPOINT_URL naming an endpoint that answers, but has no stack orders-etl
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint_without_the_stack)
    # WHEN a command runs THEN it says which stack is missing where, in one line
    code, out, err = run(capsys, "quarantine", "list")
    assert code == 1 and out == ""
    assert_one_error_line(
        err,
        f"error: the embedded AWS at {endpoint_without_the_stack} (AWS_ENDPOINT_URL) has no stack orders-etl in "
        "us-east-1: Stack with id orders-etl does not exist",
    )
    assert set(no_aws) <= {"127.0.0.1"}, no_aws


def test_the_stack_at_aws_endpoint_url_is_looked_for_in_the_environments_region(
    no_aws: list[str],
    endpoint_without_the_stack: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # GIVEN AWS_ENDPOINT_URL and a region in the environment, as `aws` would use them
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint_without_the_stack)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    # WHEN a command names another stack / THEN it looked for that stack in that region
    code, _, err = run(capsys, "executions", "list", "--stack-name", "etl-eu")
    assert code == 1
    assert_one_error_line(
        err,
        f"error: the embedded AWS at {endpoint_without_the_stack} (AWS_ENDPOINT_URL) has no stack etl-eu in eu-west-1",
    )


def test_outputs_and_stack_name_together_are_a_usage_mistake(
    no_aws: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = write_outputs(tmp_path / "outputs.json", "http://127.0.0.1:1")
    code, _, err = run(capsys, "executions", "list", "--outputs", str(outputs), "--stack-name", "orders-etl")
    assert code == 2
    assert_one_error_line(
        err, "error: --outputs names the embedded AWS, --stack-name and --profile a CloudFormation stack"
    )


@pytest.mark.parametrize("choice", [["--stack-name", "orders-etl"], ["--profile", "ops"]], ids=["stack", "profile"])
def test_stack_name_or_profile_means_aws_even_beside_a_local_outputs_file(
    choice: list[str], no_aws: list[str], stopped_local_outputs: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a local outputs file, and no AWS region anywhere
    stopped_endpoint = stopped_local_outputs
    # WHEN a command names a stack or profile THEN it goes to AWS, which needs a region (or the profile is unknown)
    code, _, err = run(capsys, "executions", "list", *choice)
    assert code == 1
    assert stopped_endpoint not in err
    expected = "error: no AWS region" if choice[0] == "--stack-name" else "error: The config profile (ops) could not"
    assert_one_error_line(err, expected)


def test_without_outputs_file_or_endpoint_the_stack_on_aws_is_used(
    no_aws: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "executions", "list")
    assert code == 1
    assert_one_error_line(err, "error: no AWS region: pass --region")


class StubbedSession:
    """A boto3 session of the caller on AWS whose clients answer from stubs."""

    region_name = "eu-west-1"

    def __init__(self) -> None:
        self.clients: dict[str, Any] = {}
        self.stubbers: dict[str, Stubber] = {}

    def client(self, service: str) -> Any:
        if service not in self.clients:
            self.clients[service] = boto3.client(
                service, region_name=self.region_name, aws_access_key_id="x", aws_secret_access_key="x"
            )
            self.stubbers[service] = Stubber(self.clients[service])
        return self.clients[service]

    def stub(self, service: str, operation: str, response: dict[str, Any]) -> None:
        self.client(service)
        self.stubbers[service].add_response(operation, response)
        self.stubbers[service].activate()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> StubbedSession:
    session = StubbedSession()
    monkeypatch.setattr(stack_module, "aws_session", lambda profile, region: session)
    session.stub(
        "cloudformation",
        "describe_stacks",
        {
            "Stacks": [
                {
                    "StackName": "orders-etl",
                    "CreationTime": "2025-11-01T00:00:00Z",
                    "StackStatus": "CREATE_COMPLETE",
                    "Outputs": [{"OutputKey": "StateMachineArn", "OutputValue": MACHINE}],
                }
            ]
        },
    )
    arn = f"arn:aws:iam::{ACCOUNT}:user/operator"
    session.stub("sts", "get_caller_identity", {"Account": ACCOUNT, "Arn": arn, "UserId": "AIDA"})
    return session


def test_on_aws_the_target_line_names_account_region_and_stack_on_stderr(
    aws: StubbedSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a stack on AWS with no executions
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    aws.stub("stepfunctions", "list_executions", {"executions": []})
    # WHEN its executions are listed for a script
    code, out, err = run(capsys, "executions", "list", "--stack-name", "orders-etl", "--json")
    # THEN stdout is the JSON alone, and stderr says where it came from
    assert code == 0, err
    assert json.loads(out) == []
    assert err == f"target: AWS account {ACCOUNT}, region eu-west-1, stack orders-etl\n"


def test_the_embedded_target_line_names_the_endpoint_and_the_outputs_file() -> None:
    stack = StackContext(outputs={}, endpoint_url="http://127.0.0.1:4566", outputs_file=Path(".local/outputs.json"))
    assert (
        stack.describe_target() == "target: embedded AWS at http://127.0.0.1:4566 (stack outputs .local/outputs.json)"
    )


def test_the_target_line_of_the_stack_at_aws_endpoint_url_names_endpoint_region_and_stack() -> None:
    stack = StackContext(outputs={}, endpoint_url="http://127.0.0.1:4566", region="us-east-1", stack_name="etl")
    assert stack.describe_target() == (
        "target: embedded AWS at http://127.0.0.1:4566 (AWS_ENDPOINT_URL), region us-east-1, stack etl"
    )


def test_on_aws_through_an_endpoint_the_target_line_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    session = StubbedSession()
    arn = f"arn:aws:iam::{ACCOUNT}:user/operator"
    session.stub("sts", "get_caller_identity", {"Account": ACCOUNT, "Arn": arn, "UserId": "AIDA"})
    stack = StackContext(outputs={}, region="eu-west-1", stack_name="etl", profile="ops", session=session)
    assert stack.describe_target() == (
        f"target: AWS account {ACCOUNT}, region eu-west-1, stack etl, profile ops, "
        "through AWS_ENDPOINT_URL=http://127.0.0.1:4566"
    )


def test_the_stack_arguments_help_states_the_rule(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["executions", "list", "--help"]) == 0
    help_text = " ".join(capsys.readouterr().out.split())
    assert (
        "The command acts on the embedded AWS of --outputs FILE, or of .local/outputs.json when it exists" in help_text
    )
    assert (
        "else, when AWS_ENDPOINT_URL is set and --profile is not, the stack --stack-name (default orders-etl) at that "
        "endpoint; else that stack on AWS" in help_text
    )
