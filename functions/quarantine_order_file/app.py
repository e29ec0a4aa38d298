"""Quarantine the file: move raw/<path> to quarantine/<path> and write quarantine/<path>.error.json."""

from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from orders_etl.aws_errors import retry_later_when_aws_is_busy
from orders_etl.metric_names import FILES_QUARANTINED
from orders_etl.quarantine import quarantine_file
from orders_etl.settings import PipelineSettings
from orders_etl.source_files import SourceVersion

logger = Logger()
tracer = Tracer()
metrics = Metrics()
s3 = boto3.client("s3")


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@retry_later_when_aws_is_busy
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = PipelineSettings.from_env()
    version = SourceVersion.from_event(event)
    result = quarantine_file(s3, settings, event["key"], event["error"], event["execution_arn"], version)
    metrics.add_metric(name=FILES_QUARANTINED, unit=MetricUnit.Count, value=1)
    logger.warning("file quarantined", extra={**result, "error": event["error"].get("Error")})
    return result
