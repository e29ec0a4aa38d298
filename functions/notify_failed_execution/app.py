"""Notify of a failed execution: one message on the notification topic for an execution that did not succeed.

EventBridge invokes it (asynchronously) with the "Step Functions Execution Status Change" event of an execution
that ended FAILED, TIMED_OUT or ABORTED, or of a backfill that SUCCEEDED (it may have left files behind); the event
has no error, no state and no counts, so they are read back first.
"""

import os
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from orders_etl.failed_executions import read_failed_execution
from orders_etl.notifications import NotificationContext, notification_for, publish

logger = Logger()
tracer = Tracer()
sfn = boto3.client("stepfunctions")
sns = boto3.client("sns")


@logger.inject_lambda_context(log_event=True)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    failure = read_failed_execution(sfn, event["detail"]["executionArn"])
    notification = notification_for(failure, NotificationContext.from_env())
    if notification is None:  # a backfill that succeeded with nothing left behind
        logger.info("nothing to notify", extra={"execution": failure.execution_arn})
        return {"message_id": None, "subject": None}
    message_id = publish(sns, os.environ["NOTIFICATION_TOPIC_ARN"], notification)
    logger.info(
        "notification sent",
        extra={"subject": notification.subject, "message_id": message_id, "execution": failure.execution_arn},
    )
    return {"message_id": message_id, "subject": notification.subject}
