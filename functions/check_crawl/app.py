"""Check crawl: RUNNING, SUCCEEDED, FAILED, or STALE (the finished crawl predates our Parquet)."""

from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from orders_etl.crawl import check_crawl, parse_timestamp
from orders_etl.settings import PipelineSettings

logger = Logger()
tracer = Tracer()
metrics = Metrics()
glue = boto3.client("glue")


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(raise_on_empty_metrics=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = PipelineSettings.from_env()
    check = check_crawl(glue, settings.crawler_name, written_at=parse_timestamp(event["written_at"]))
    logger.info("crawl checked", extra={"crawl": check.as_dict()})
    return check.as_dict()
