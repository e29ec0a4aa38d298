"""The `orders-etl` command run in-process against the test's stack."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orders_etl_cli.main import main
from support import Cli, Stack


@pytest.fixture
def cli(stack: Stack, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    """Runs `orders-etl ARGS --outputs <this stack>`; returns (exit code, stdout, stderr).

    The embedded Lambdas run in this process: while a command waits for an execution, their logs are captured
    with its output, so tests look for lines rather than compare whole outputs.
    """
    outputs = tmp_path / "outputs.json"

    def run(*args: str) -> tuple[int, str, str]:
        # Written per call: a test may redeploy the stack with other parameters.
        outputs.write_text(json.dumps({**stack.outputs, "EndpointUrl": stack.endpoint_url}))
        capsys.readouterr()  # drop what the pipeline logged before
        code = main([*args, "--outputs", str(outputs)])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


@pytest.fixture
def cli_through_endpoint(
    stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Cli:
    """Runs `orders-etl ARGS` with AWS_ENDPOINT_URL naming this stack's endpoint and no outputs file (the command
    finds the stack's outputs with DescribeStacks); returns (exit code, stdout, stderr)."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", stack.endpoint_url)
    monkeypatch.chdir(tmp_path)  # no .local/outputs.json here: it would be honoured first

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()  # drop what the pipeline logged before
        code = main(list(args))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run
