"""Shared fixtures: one embedded AWS per test session, a freshly deployed stack per test that asks for one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from embedded_aws.faults import FaultInjector
from embedded_aws.glue_crawls import CrawlTimeModel
from embedded_aws.server import EmbeddedAws
from support import Stack


@pytest.fixture(scope="session")
def embedded_aws() -> Iterator[EmbeddedAws]:
    # Waits and retries run at 1/100 of their real length; a crawl of a small table takes 20 AWS seconds (0.2 s)
    # instead of the model's 60, which would triple the tests' crawl waits. `<arn>#<TestCase>` executions take
    # their mocked responses from the definition's MockConfigFile, as on Step Functions Local.
    mock_config = Path(__file__).resolve().parents[1] / "statemachine" / "test" / "MockConfigFile.json"
    crawl_time = CrawlTimeModel(base_seconds=20, seconds_per_object=0.005)
    aws = EmbeddedAws(port=0, time_scale=0.01, crawl_time=crawl_time, mock_config=mock_config).start()
    yield aws
    aws.stop()


@pytest.fixture
def stack(embedded_aws: EmbeddedAws) -> Stack:
    embedded_aws.reset()
    return Stack(outputs=embedded_aws.deploy(), endpoint_url=embedded_aws.endpoint_url)


@pytest.fixture
def fault_injector(embedded_aws: EmbeddedAws) -> Iterator[FaultInjector]:
    injector = embedded_aws.faults
    injector.clear()
    yield injector
    injector.clear()
