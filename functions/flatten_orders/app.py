"""Flatten to Parquet: publish the file's rows, one Parquet object per order date, under dt=YYYY-MM-DD/."""

from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from orders_etl.aws_errors import retry_later_when_aws_is_busy
from orders_etl.file_steps import flatten_file
from orders_etl.metric_names import FILES_PUBLISHED, ROWS_WRITTEN
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
    key = event["key"]
    version = SourceVersion.from_event(event)
    outcome = flatten_file(
        s3,
        settings,
        event["bucket"],
        key,
        version,
        staged_by_validate=event.get("staged", True),
        execution=event.get("execution"),
    )
    result = outcome.summary
    metrics.add_metric(name=ROWS_WRITTEN, unit=MetricUnit.Count, value=result.rows)
    if not outcome.published.superseded:  # a later version of the key won: this one published nothing
        metrics.add_metric(name=FILES_PUBLISHED, unit=MetricUnit.Count, value=1)
    summary: dict[str, Any] = {
        "key": key,
        "rows": result.rows,
        "orders": result.orders,
        "orders_without_products": result.orders_without_products,
    }
    summary |= outcome.published.summary()
    # The partitions the rows are in, which Check crawl looks for in the table (none when a later version won).
    summary["partition_dates"] = outcome.partition_dates
    logger.info(
        "parquet written",
        extra={**summary, "engine": result.engine, "reason": result.reason, "read_the_file": outcome.read_the_file},
    )
    return summary
