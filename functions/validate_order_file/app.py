"""Validate order file: check a raw file against the data contract, and stage its Parquet for Flatten."""

from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from orders_etl.aws_errors import retry_later_when_aws_is_busy
from orders_etl.file_steps import validate_file
from orders_etl.metric_names import ORDERS_VALIDATED
from orders_etl.settings import PipelineSettings
from orders_etl.source_files import SourceVersion

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
    validated = validate_file(s3, settings, event["bucket"], event["key"], SourceVersion.from_event(event))
    summary = validated.summary
    metrics.add_metric(name=ORDERS_VALIDATED, unit=MetricUnit.Count, value=summary.orders)
    logger.info(
        "order file is valid",
        extra={"orders": summary.orders, "rows": summary.rows, "engine": summary.engine, "reason": summary.reason},
    )
    return {
        "orders": summary.orders,
        "rows": summary.rows,
        "size_bytes": validated.size_bytes,
        "staged": validated.staged,
        "version_id": validated.version_id,
    }
