"""Validate order file: check a raw file against the data contract before anything is written."""

from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from orders_etl.settings import PipelineSettings
from orders_etl.source_files import read_orders

logger = Logger()
tracer = Tracer()
metrics = Metrics()
s3 = boto3.client("s3")


@logger.inject_lambda_context(log_event=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = PipelineSettings.from_env()
    orders, size = read_orders(s3, event["bucket"], event["key"], max_bytes=settings.max_file_bytes)
    rows = sum(len(order.products) for order in orders)
    metrics.add_metric(name="OrdersValidated", unit=MetricUnit.Count, value=len(orders))
    logger.info("order file is valid", extra={"orders": len(orders), "rows": rows, "size_bytes": size})
    return {"orders": len(orders), "rows": rows, "size_bytes": size}
