"""Validate order file: check a raw file against the data contract before anything is written."""

from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from orders_etl.aws_errors import retry_later_when_aws_is_busy
from orders_etl.engine import scan_order_file
from orders_etl.settings import PipelineSettings
from orders_etl.source_files import SourceVersion, download_object, scratch_directory

logger = Logger()
tracer = Tracer()
metrics = Metrics()
s3 = boto3.client("s3")


@logger.inject_lambda_context(log_event=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
@retry_later_when_aws_is_busy
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = PipelineSettings.from_env()
    key = event["key"]
    with scratch_directory() as scratch:
        local = scratch / "input"
        size = download_object(
            s3, event["bucket"], key, local, max_bytes=settings.max_file_bytes, version=SourceVersion.from_event(event)
        )
        summary = scan_order_file(
            local,
            source_key=key,
            max_bytes=settings.max_file_bytes,
            workdir=scratch / "work",
            settings=settings.engine(),
        )
    metrics.add_metric(name="OrdersValidated", unit=MetricUnit.Count, value=summary.orders)
    logger.info(
        "order file is valid",
        extra={"orders": summary.orders, "rows": summary.rows, "engine": summary.engine, "reason": summary.reason},
    )
    return {"orders": summary.orders, "rows": summary.rows, "size_bytes": size}
