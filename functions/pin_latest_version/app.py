"""Pin the version: which version of a raw key a backfill processes; or that the key is gone, or a folder marker
(nothing to process, as in the per-file pipeline)."""

from typing import Any

import boto3
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from orders_etl.aws_errors import retry_later_when_aws_is_busy
from orders_etl.output_keys import is_folder_marker
from orders_etl.s3_objects import latest_version_id

logger = Logger()
tracer = Tracer()
s3 = boto3.client("s3")


@logger.inject_lambda_context(log_event=True)
@tracer.capture_lambda_handler
@retry_later_when_aws_is_busy
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if is_folder_marker(event["key"]):
        return {"outcome": "skipped", "version_id": None}
    version_id = latest_version_id(s3, event["bucket"], event["key"])
    logger.info("version pinned" if version_id else "key is gone", extra={"version_id": version_id})
    return {"outcome": "pinned" if version_id else "gone", "version_id": version_id}
