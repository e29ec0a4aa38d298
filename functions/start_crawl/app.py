"""Start crawl: start the Glue crawler, or join the crawl already running."""

from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from orders_etl.aws_errors import retry_later_when_aws_is_busy
from orders_etl.crawl import start_crawl
from orders_etl.metric_names import CRAWLS_JOINED, CRAWLS_STARTED
from orders_etl.settings import PipelineSettings

logger = Logger()
tracer = Tracer()
metrics = Metrics()
glue = boto3.client("glue")


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@retry_later_when_aws_is_busy
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = PipelineSettings.from_env()
    started = start_crawl(glue, settings.crawler_name)
    metrics.add_metric(name=CRAWLS_STARTED if started else CRAWLS_JOINED, unit=MetricUnit.Count, value=1)
    logger.info("crawl started" if started else "joined the running crawl", extra={"crawler": settings.crawler_name})
    # The state machine waits wait_seconds between checks and gives up after poll_limit checks.
    return {
        "crawler": settings.crawler_name,
        "started": started,
        "wait_seconds": settings.crawl_poll_interval_seconds,
        "poll_limit": settings.crawl_poll_limit,
        # The execution's redrive count as this crawl started: Check crawl crawls again after a later redrive.
        "redrive_count": event.get("redrive_count", 0),
    }
