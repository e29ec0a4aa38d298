"""Check crawl: RUNNING, SUCCEEDED, or STALE (the finished crawl predates our Parquet, or left out a partition it
went to); CrawlFailed or CrawlPollLimitReached fail the execution here, where a redrive resumes."""

from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from orders_etl.aws_errors import retry_later_when_aws_is_busy
from orders_etl.crawl import (
    PollingLoop,
    WrittenPartitions,
    check_crawl,
    check_crawl_in_loop,
    parse_timestamp,
    partition_holds_parquet,
    table_name,
)
from orders_etl.settings import PipelineSettings

logger = Logger()
tracer = Tracer()
metrics = Metrics()
glue = boto3.client("glue")
s3 = boto3.client("s3")


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(raise_on_empty_metrics=False)
@retry_later_when_aws_is_busy
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = PipelineSettings.from_env()
    # The per-file pipeline passes the dates its Parquet went to; the backfill's final crawl passes none.
    dates: list[str] = event.get("partition_dates", [])
    has_data = partition_holds_parquet(s3, settings.data_bucket, settings.parquet_prefix, settings.partition_column)
    written = WrittenPartitions(settings.glue_database, table_name(settings.parquet_prefix), dates, has_data)
    written_at = parse_timestamp(event["written_at"])
    loop = PollingLoop.from_event(event)
    if loop is None:  # an execution of the definition before the crawl failed in this Task
        check = check_crawl(glue, settings.crawler_name, written_at=written_at, written=written)
    else:
        check = check_crawl_in_loop(glue, settings.crawler_name, loop, written_at=written_at, written=written)
    logger.info("crawl checked", extra={"crawl": check.as_dict()})
    return check.as_dict()
