"""A Step Functions engine that runs the order pipeline's definition with mocked service integrations.

Both engines (the embedded one, Step Functions Local) read statemachine/test/MockConfigFile.json; the tests
create the state machine from statemachine/order_pipeline.asl.json under the name its test cases are defined for.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from embedded_aws.clock import RetryWait

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Overridable so that tests/state_machine/mutants.py can run the suite on altered copies of the definition.
DEFINITION = Path(
    os.environ.get("ORDER_PIPELINE_DEFINITION", PROJECT_ROOT / "statemachine" / "order_pipeline.asl.json")
)
MOCK_CONFIG = PROJECT_ROOT / "statemachine" / "test" / "MockConfigFile.json"
STATE_MACHINE_NAME = "OrderPipeline"  # the StateMachines key in MockConfigFile.json
ACCOUNT = "123456789012"
REGION = "us-east-1"
TERMINAL = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")


def definition_placeholders() -> set[str]:
    return set(re.findall(r"\$\{(\w+)\}", DEFINITION.read_text(encoding="utf-8")))


def mocked_definition() -> str:
    """The definition with every substitution filled in; mocked Tasks never call what they name."""
    text = DEFINITION.read_text(encoding="utf-8")
    for name in definition_placeholders():
        function = name.removesuffix("Arn")
        text = text.replace("${" + name + "}", f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function}")
    return text


@dataclass
class Engine:
    """A Step Functions endpoint that runs `<stateMachineArn>#<TestCase>` executions from MockConfigFile.json."""

    name: str
    sfn: Any
    timeout: float  # seconds an execution may take before the test fails (never hangs)
    # The backoff the engine requested for each retry, when the engine can tell (the embedded one records it).
    retry_waits: Callable[[str], list[RetryWait]] | None = None

    def state_machine(self) -> str:
        """Create or update the OrderPipeline state machine from the definition file; returns its ARN."""
        definition = mocked_definition()
        for page in self.sfn.get_paginator("list_state_machines").paginate():
            for machine in page["stateMachines"]:
                if machine["name"] == STATE_MACHINE_NAME:
                    self.sfn.update_state_machine(stateMachineArn=machine["stateMachineArn"], definition=definition)
                    return str(machine["stateMachineArn"])
        created = self.sfn.create_state_machine(
            name=STATE_MACHINE_NAME,
            definition=definition,
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/OrderPipelineTestRole",
            type="STANDARD",
        )
        return str(created["stateMachineArn"])

    def run(self, state_machine_arn: str, test_case: str, execution_input: dict[str, Any]) -> dict[str, Any]:
        """Start the test case and return DescribeExecution once it has ended; fails the test after `timeout`."""
        started = self.sfn.start_execution(
            stateMachineArn=f"{state_machine_arn}#{test_case}", input=json.dumps(execution_input)
        )
        deadline = time.monotonic() + self.timeout
        while True:
            description: dict[str, Any] = self.sfn.describe_execution(executionArn=started["executionArn"])
            if description["status"] in TERMINAL:
                return description
            if time.monotonic() > deadline:
                self.sfn.stop_execution(executionArn=started["executionArn"], error="TestTimeout")
                pytest.fail(f"{test_case} still {description['status']} after {self.timeout} s on {self.name}")
            time.sleep(0.05)
