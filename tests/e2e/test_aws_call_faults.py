"""Throttling and server errors from S3 and Glue, as AWS sends them: retried by the SDK, or a redrivable failure."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from embedded_aws import clock
from embedded_aws.api_faults import ApiFaultInjector
from embedded_aws.server import EmbeddedAws
from orders_etl.file_steps import STAGE_FROM_BYTES
from support import Stack, order, product

BODY = json.dumps(
    [order("T-1", "2025-09-01T10:00:00Z", product("P", 1, 2)), order("T-2", "2025-09-02", product("Q", 2, 1))]
).encode()


@pytest.fixture
def api_faults(embedded_aws: EmbeddedAws) -> Iterator[ApiFaultInjector]:
    embedded_aws.api_faults.clear()
    yield embedded_aws.api_faults
    embedded_aws.api_faults.clear()


def test_throttling_and_5xx_on_every_kind_of_call_are_retried_and_the_file_lands_once(
    stack: Stack, api_faults: ApiFaultInjector
) -> None:
    # GIVEN S3 and Glue answer two calls of each kind the pipeline makes with a throttling or server error
    api_faults.fail("s3", "GetObject", "SlowDown", count=2, path_contains="/raw/")
    api_faults.fail("s3", "PutObject", "SlowDown", count=2, path_contains="/manifests/orders/staging/")
    api_faults.fail("s3", "CopyObject", "SlowDown", count=2, path_contains="/parquet_files/")
    api_faults.fail("s3", "PutObject", "InternalError", count=2, path_contains="/manifests/orders/faults__a")
    api_faults.fail("glue", "StartCrawler", "ThrottlingException", count=2)
    api_faults.fail("glue", "GetCrawler", "InternalError", count=2)

    # WHEN a file is uploaded
    (execution,) = stack.run({"raw/faults/a.json": BODY})

    # THEN every fault was hit, the SDK retried each call, and the execution succeeded without a Lambda retry
    assert len(api_faults.injected) == 12, api_faults.injected
    assert execution["status"] == "SUCCEEDED", stack.describe(execution).get("cause")
    assert stack.query("SELECT order_id, product_id FROM orders ORDER BY 1") == [("T-1", "P"), ("T-2", "Q")]


# Eight retries of Flatten, then a redrive (~8 s): with the slow tests, so make test stays near 4 min.
@pytest.mark.slow
def test_exhausted_retries_leave_a_redrivable_failure_and_the_raw_file(
    stack: Stack, api_faults: ApiFaultInjector
) -> None:
    # GIVEN S3 refuses every Parquet upload
    api_faults.fail("s3", "PutObject", "SlowDown", path_contains="/manifests/orders/staging/")

    # WHEN a file is uploaded
    (execution,) = stack.run({"raw/faults/b.json": BODY})

    # THEN once the SDK gives up, the state machine retries the flatten later (AwsServiceBusy, 8 times: a file this
    # small is not staged by Validate, Flatten uploads its Parquet); then the execution fails there naming S3's
    # error, the raw file stays, nothing is quarantined, no Parquet was written
    described = stack.describe(execution)
    assert (described["status"], described["error"]) == ("FAILED", "AwsServiceBusy")
    assert "PutObject kept failing with SlowDown" in described["cause"]
    flatten_retries = [w for w in clock.retry_waits_of(execution["executionArn"]) if w.state == "Flatten to Parquet"]
    assert len(flatten_retries) == 8
    assert stack.states(execution)[-1] == "Flatten to Parquet"
    assert stack.keys("raw/") == ["raw/faults/b.json"]
    assert stack.keys("quarantine/") == [] and stack.keys("parquet_files/") == []

    # AND once S3 recovers, a redrive completes it with the file's rows once
    api_faults.clear()
    sfn = stack.client("stepfunctions")
    sfn.redrive_execution(executionArn=execution["executionArn"])
    (finished,) = stack.wait_for([execution["executionArn"]])
    assert finished["status"] == "SUCCEEDED"
    assert stack.query("SELECT COUNT(*) FROM orders") == [(2,)]


@pytest.mark.slow  # 5-8 s: in `make test-slow` and .ci/run, to keep `make test` near 4 minutes
def test_a_flatten_that_fails_half_way_through_its_uploads_leaves_nothing_in_the_table(
    stack: Stack, api_faults: ApiFaultInjector
) -> None:
    # GIVEN S3 refuses the upload of the file's second partition (the first one has gone through)
    api_faults.fail("s3", "PutObject", "SlowDown", path_contains="/dt=2025-09-02/")

    # WHEN the file is processed
    (execution,) = stack.run({"raw/faults/c.json": BODY})

    # THEN the execution fails at flatten and no Parquet object of the file is in the table's location
    assert stack.describe(execution)["error"] == "AwsServiceBusy"
    assert ("s3", "PutObject", "SlowDown") in api_faults.injected
    assert stack.keys("parquet_files/") == []

    # AND a redrive after the outage publishes both partitions and leaves no staged object behind
    api_faults.clear()
    stack.client("stepfunctions").redrive_execution(executionArn=execution["executionArn"])
    (finished,) = stack.wait_for([execution["executionArn"]])
    assert finished["status"] == "SUCCEEDED"
    assert [key.split("/")[2] for key in stack.keys("parquet_files/")] == ["dt=2025-09-01", "dt=2025-09-02"]
    assert stack.keys("manifests/orders/staging/") == []
    assert stack.query("SELECT COUNT(*) FROM orders") == [(2,)]


@pytest.mark.slow  # 3-8 s: in `make test-slow` and .ci/run, to keep `make test` near 4 minutes
def test_a_staged_file_whose_upload_is_refused_fails_at_validate_and_its_redrive_publishes_it_once(
    stack: Stack, api_faults: ApiFaultInjector
) -> None:
    # GIVEN a file large enough for Validate to stage its Parquet, and S3 refusing every upload to staging
    padding = [order(f"T-{n}", "2025-09-02") for n in range(3, 900)]  # orders without products: no rows
    body = json.dumps(json.loads(BODY) + padding).encode()
    assert len(body) >= STAGE_FROM_BYTES
    api_faults.fail("s3", "PutObject", "SlowDown", path_contains="/manifests/orders/staging/")

    # WHEN it is uploaded
    (execution,) = stack.run({"raw/faults/large.json": body})

    # THEN the execution fails at Validate (where the Parquet is uploaded), redrivable, and the table is untouched
    described = stack.describe(execution)
    assert (described["status"], described["error"]) == ("FAILED", "AwsServiceBusy")
    assert stack.states(execution)[-1] == "Validate order file"
    assert stack.keys("parquet_files/") == [] and stack.keys("quarantine/") == []

    # AND once S3 recovers, a redrive stages and publishes it: its rows once, nothing left in staging
    api_faults.clear()
    stack.client("stepfunctions").redrive_execution(executionArn=execution["executionArn"])
    (finished,) = stack.wait_for([execution["executionArn"]])
    assert finished["status"] == "SUCCEEDED"
    assert json.loads(stack.describe(finished)["output"])["validation"]["staged"] is True
    assert stack.query("SELECT order_id, product_id FROM orders ORDER BY 1") == [("T-1", "P"), ("T-2", "Q")]
    assert stack.keys("manifests/orders/staging/") == []
