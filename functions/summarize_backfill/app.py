"""Summarize the backfill: files published, rows, quarantined, skipped, failed; the full report goes to S3."""

from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from orders_etl.aws_errors import retry_later_when_aws_is_busy
from orders_etl.backfill_report import summarize_backfill
from orders_etl.metric_names import BACKFILL_FILES_FAILED
from orders_etl.settings import PipelineSettings

logger = Logger()
tracer = Tracer()
metrics = Metrics()
s3 = boto3.client("s3")
sfn = boto3.client("stepfunctions")


@logger.inject_lambda_context(log_event=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
@retry_later_when_aws_is_busy
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = PipelineSettings.from_env()
    summary = summarize_backfill(s3, sfn, settings, event["backfill"], event["map_run_arn"], event["prefix"])
    metrics.add_metric(name=BACKFILL_FILES_FAILED, unit=MetricUnit.Count, value=summary["failed"])
    logger.info("backfill summarized", extra=summary)
    return summary
