"""The `orders-etl` command run in-process against the test's stack."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from embedded_aws.server import EmbeddedAws
from orders_etl_cli.main import main
from support import Cli, Stack

# Only so that a notification that never settles fails the test instead of hanging it.
_SETTLE_DEADLINE_SECONDS = 60.0


@pytest.fixture
def cli(stack: Stack, tmp_path: Path, capsys: pytest.CaptureFixture[str], embedded_aws: EmbeddedAws) -> Cli:
    """Runs `orders-etl ARGS --outputs <this stack>`; returns (exit code, stdout, stderr).

    The embedded Lambdas run in this process: while a command waits for an execution, their logs are captured
    with its output, so tests look for lines rather than compare whole outputs. A command starts once the
    notifications of executions that already ended are sent (the notifier runs asynchronously, on its own thread),
    so that their logs do not land in its output.
    """
    outputs = tmp_path / "outputs.json"

    def run(*args: str) -> tuple[int, str, str]:
        # Written per call: a test may redeploy the stack with other parameters.
        outputs.write_text(json.dumps({**stack.outputs, "EndpointUrl": stack.endpoint_url}))
        deadline = time.monotonic() + _SETTLE_DEADLINE_SECONDS
        while not embedded_aws.settled():
            if time.monotonic() > deadline:
                pytest.fail("the stack's asynchronous work (notifications) did not settle")
            time.sleep(0.01)
        capsys.readouterr()  # drop what the pipeline logged before
        code = main([*args, "--outputs", str(outputs)])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run
