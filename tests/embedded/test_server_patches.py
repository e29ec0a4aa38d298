"""The server enters every patch in one stack and leaves moto as it found it when it stops."""

from __future__ import annotations

import os
from typing import Any

from moto.awslambda.models import LambdaFunction
from moto.core.config import default_user_config
from moto.glue.models import FakeCrawler
from moto.glue.responses import GlueResponse
from moto.s3 import notifications
from moto.s3.models import S3Backend
from moto.stepfunctions.responses import StepFunctionResponse

from embedded_aws import clock, iam_enforcement, lambda_runtime
from embedded_aws.server import EmbeddedAws

PATCHED = [S3Backend, LambdaFunction, FakeCrawler, GlueResponse, StepFunctionResponse, notifications]


def attributes() -> list[dict[str, Any]]:
    return [dict(vars(owner)) for owner in PATCHED]


def process_settings() -> tuple[Any, ...]:
    """What a server sets for the whole process: where Step Functions calls back, whether it runs executions."""
    return os.environ.get("MOTO_PORT"), default_user_config["stepfunctions"]["execute_state_machine"]


def test_stop_restores_every_attribute_the_patches_replaced_and_added() -> None:
    # GIVEN moto as it is now (patched by the session's embedded AWS, or not at all)
    before, enforcing, scale = attributes(), iam_enforcement.is_enabled(), clock.scaled(1.0)
    settings = process_settings()

    # WHEN another embedded AWS starts, with other settings, THEN its patches are in place
    aws = EmbeddedAws(port=0, time_scale=0.5, enforce_iam=not enforcing, mock_config=None).start()
    try:
        assert LambdaFunction._invoke_lambda is lambda_runtime._invoke_in_process
        assert "redrive_execution" in vars(StepFunctionResponse)  # what moto lacks is added
        assert (iam_enforcement.is_enabled(), clock.scaled(1.0)) == (not enforcing, 0.5)
        assert process_settings() == (str(aws.port), True)
    finally:
        aws.stop()

    # AND when it stops, every one is back, the patch state too
    assert attributes() == before
    assert (iam_enforcement.is_enabled(), clock.scaled(1.0)) == (enforcing, scale)
    assert process_settings() == settings
