"""Test support: the deployed stack as tests see it, and builders of order documents."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from embedded_aws.credentials import admin_client
from orders_etl.settings import PipelineSettings
from orders_etl_cli.executions import history, list_executions, source_key, timeline, wait_for, wait_for_executions
from orders_etl_cli.query import run_query

# The order pipeline's first state (a Choice on the event), before Validate in every execution's history.
FIRST_STATE: str = json.loads((Path(__file__).parents[1] / "statemachine" / "order_pipeline.asl.json").read_text())[
    "StartAt"
]

# `orders-etl ARGS` run in-process: (exit code, stdout, stderr); the `cli` fixture in tests/e2e.
Cli = Callable[..., tuple[int, str, str]]


@dataclass
class Stack:
    """The deployed stack's outputs and clients pointed at the embedded endpoint."""

    outputs: dict[str, str]
    endpoint_url: str
    clients: dict[str, Any] = field(default_factory=dict)

    def client(self, service: str) -> Any:
        if service not in self.clients:
            self.clients[service] = admin_client(service, self.endpoint_url)
        return self.clients[service]

    @property
    def bucket(self) -> str:
        return self.outputs["DataBucketName"]

    @property
    def state_machine_arn(self) -> str:
        return self.outputs["StateMachineArn"]

    def pause_pipeline(self) -> None:
        """Uploads stop starting executions (the EventBridge rule is disabled): for tests that call handlers."""
        events = self.client("events")
        for rule in events.list_rules()["Rules"]:
            targets = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
            if any(target["Arn"] == self.state_machine_arn for target in targets):  # not the notifier's rules
                events.disable_rule(Name=rule["Name"])

    def upload(self, files: dict[str, bytes]) -> None:
        for key, body in files.items():
            self.client("s3").put_object(Bucket=self.bucket, Key=key, Body=body)

    def run(self, files: dict[str, bytes], timeout: float = 60.0) -> list[dict[str, Any]]:
        """Upload `files` (key -> bytes) and wait until every execution of the stack has ended."""
        already = len(list_executions(self.client("stepfunctions"), self.state_machine_arn))
        self.upload(files)
        return self.wait_for_count(already + len(files), timeout=timeout)

    def wait_for_count(self, count: int, timeout: float = 60.0) -> list[dict[str, Any]]:
        """Every execution of the stack, once there are `count` or more and none is running."""
        return wait_for_executions(self.client("stepfunctions"), self.state_machine_arn, count, timeout=timeout)

    def wait_for(self, execution_arns: list[str], timeout: float = 60.0) -> list[dict[str, Any]]:
        return wait_for(self.client("stepfunctions"), execution_arns, timeout=timeout)

    def describe(self, execution: dict[str, Any]) -> dict[str, Any]:
        description: dict[str, Any] = self.client("stepfunctions").describe_execution(
            executionArn=execution["executionArn"]
        )
        return description

    def source_key(self, execution: dict[str, Any]) -> str | None:
        return source_key(self.client("stepfunctions"), execution["executionArn"])

    def states(self, execution: dict[str, Any]) -> list[str]:
        return [run.name for run in timeline(history(self.client("stepfunctions"), execution["executionArn"]))]

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        """The rows of `sql` run in the stack's Athena workgroup, as Python values of their columns' types."""
        result = run_query(
            sql,
            athena=self.client("athena"),
            database=self.outputs["GlueDatabaseName"],
            work_group=self.outputs["AthenaWorkGroupName"],
        )
        return result.rows

    def get(self, key: str) -> bytes:
        body: bytes = self.client("s3").get_object(Bucket=self.bucket, Key=key)["Body"].read()
        return body

    def keys(self, prefix: str) -> list[str]:
        listing = self.client("s3").list_objects_v2(Bucket=self.bucket, Prefix=prefix)
        return sorted(item["Key"] for item in listing.get("Contents", []))


def pipeline_settings(data_bucket: str = "orders-etl-data", **overrides: Any) -> PipelineSettings:
    """The template's default prefixes, for tests that call the domain code directly."""
    defaults: dict[str, Any] = {
        "raw_prefix": "raw/",
        "parquet_prefix": "parquet_files/orders/",
        "quarantine_prefix": "quarantine/",
        "manifest_prefix": "manifests/orders/",
        "crawler_name": "crawler",
        "crawl_poll_interval_seconds": 30,
        "crawl_poll_limit": 40,
        "max_file_bytes": 1024,
        "engine_memory_limit": "256MB",
    }
    return PipelineSettings(data_bucket=data_bucket, **(defaults | overrides))


def order(order_id: str | int, order_date: str, *products: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """One order as a JSON-ready dict; `products` from `product()`."""
    document: dict[str, Any] = {
        "order_id": order_id,
        "order_date": order_date,
        "total_amount": fields.pop("total_amount", 10),
        "customer": fields.pop("customer", {"customer_id": "C-1", "name": "Ann"}),
        "products": list(products),
    }
    document.update(fields)
    return document


def product(product_id: str | int, price: float | int, quantity: int = 1, category: str = "misc") -> dict[str, Any]:
    return {
        "product_id": product_id,
        "name": f"item {product_id}",
        "category": category,
        "price": price,
        "quantity": quantity,
    }
