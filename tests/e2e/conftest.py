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
