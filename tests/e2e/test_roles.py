"""Each role of the deployed stack, in both directions: the calls its job needs are allowed, calls outside it are
denied. The calls are made for real, on the embedded AWS with IAM enforced, signed with the session the service
gets when it assumes the role (the rest of the suite proves the whole jobs run under these roles)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from embedded_aws import service_roles
from embedded_aws.cfn_template import ACCOUNT_ID
from support import Stack

RAW = "raw/roles/probe.json"
MANIFEST = "manifests/orders/probe.json"
PARQUET = "parquet_files/orders/dt=2025-01-01/probe.parquet"
STAGED = "manifests/orders/staging/dt=2025-01-01/probe.parquet"
QUARANTINED = "quarantine/roles/probe.json"
REPORT = "reports/roles/probe.json"
DENIED = ("AccessDenied", "AccessDeniedException", "AuthorizationError", "403")  # SNS says AuthorizationError


@dataclass
class Role:
    """Clients signed as one deployed role, and what the probes need to know of the stack."""

    stack: Stack
    session: boto3.Session
    version_id: str

    def client(self, service: str) -> Any:
        return self.session.client(service, endpoint_url=self.stack.endpoint_url)

    @property
    def bucket(self) -> str:
        return self.stack.bucket


Probe = Callable[[Role], Any]


def outcome(probe: Probe, role: Role) -> str:
    """'allowed' when the call succeeds, 'denied' when IAM refuses it, else the error (the probes are arranged
    to succeed when allowed, so that no other failure can pass for an allowed call)."""
    try:
        probe(role)
    except ClientError as error:
        code = error.response["Error"]["Code"]
        return "denied" if code in DENIED else f"failed with {code}"
    return "allowed"


# ---------- the probes: one call each ----------
def read_raw_version(r: Role) -> Any:
    return r.client("s3").get_object(Bucket=r.bucket, Key=RAW, VersionId=r.version_id)


def read_raw_latest(r: Role) -> Any:
    return r.client("s3").get_object(Bucket=r.bucket, Key=RAW)


def write_raw(r: Role) -> Any:
    return r.client("s3").put_object(Bucket=r.bucket, Key="raw/roles/new.json", Body=b"[]")


def delete_raw(r: Role) -> Any:
    return r.client("s3").delete_object(Bucket=r.bucket, Key=RAW)


def delete_raw_version(r: Role) -> Any:
    return r.client("s3").delete_object(Bucket=r.bucket, Key=RAW, VersionId=r.version_id)


def list_raw(r: Role) -> Any:
    return r.client("s3").list_objects_v2(Bucket=r.bucket, Prefix=RAW)


def list_raw_versions(r: Role) -> Any:
    return r.client("s3").list_object_versions(Bucket=r.bucket, Prefix=RAW, MaxKeys=1)


def list_whole_bucket(r: Role) -> Any:
    return r.client("s3").list_objects_v2(Bucket=r.bucket)


def read_manifest(r: Role) -> Any:
    return r.client("s3").get_object(Bucket=r.bucket, Key=MANIFEST)


def write_manifest(r: Role) -> Any:
    return r.client("s3").put_object(Bucket=r.bucket, Key=MANIFEST, Body=b"{}")


def list_manifests(r: Role) -> Any:
    return r.client("s3").list_objects_v2(Bucket=r.bucket, Prefix="manifests/orders/")


def read_parquet(r: Role) -> Any:
    return r.client("s3").get_object(Bucket=r.bucket, Key=PARQUET)


def write_parquet(r: Role) -> Any:
    return r.client("s3").put_object(Bucket=r.bucket, Key=PARQUET, Body=b"PAR1")


def delete_parquet(r: Role) -> Any:
    return r.client("s3").delete_object(Bucket=r.bucket, Key=PARQUET)


def copy_raw_version_to_quarantine(r: Role) -> Any:
    source = {"Bucket": r.bucket, "Key": RAW, "VersionId": r.version_id}
    return r.client("s3").copy_object(Bucket=r.bucket, Key=QUARANTINED, CopySource=source)


def multipart_copy_raw_version_to_quarantine(r: Role) -> Any:
    """A quarantine over CopyObject's 5 GiB: create, copy a part of the version, abort (as after a failure)."""
    s3 = r.client("s3")
    upload = {"Bucket": r.bucket, "Key": QUARANTINED}
    upload_id = s3.create_multipart_upload(**upload)["UploadId"]
    source = {"Bucket": r.bucket, "Key": RAW, "VersionId": r.version_id}
    s3.upload_part_copy(**upload, UploadId=upload_id, PartNumber=1, CopySource=source)
    return s3.abort_multipart_upload(**upload, UploadId=upload_id)


def write_staged(r: Role) -> Any:
    return r.client("s3").put_object(Bucket=r.bucket, Key=STAGED, Body=b"PAR1")


def read_staged(r: Role) -> Any:
    return r.client("s3").get_object(Bucket=r.bucket, Key=STAGED)


def multipart_upload_to_staging(r: Role) -> Any:
    """A Parquet file over 8 MiB: create, upload a part, abort (as after a failure)."""
    s3 = r.client("s3")
    upload = {"Bucket": r.bucket, "Key": STAGED}
    upload_id = s3.create_multipart_upload(**upload)["UploadId"]
    s3.upload_part(**upload, UploadId=upload_id, PartNumber=1, Body=b"PAR1")
    return s3.abort_multipart_upload(**upload, UploadId=upload_id)


def write_quarantine(r: Role) -> Any:
    return r.client("s3").put_object(Bucket=r.bucket, Key=QUARANTINED, Body=b"[]")


def delete_quarantine(r: Role) -> Any:
    return r.client("s3").delete_object(Bucket=r.bucket, Key=QUARANTINED)


def write_report(r: Role) -> Any:
    return r.client("s3").put_object(Bucket=r.bucket, Key=REPORT, Body=b"{}")


def read_report(r: Role) -> Any:
    return r.client("s3").get_object(Bucket=r.bucket, Key=REPORT)


def get_crawler(r: Role) -> Any:
    return r.client("glue").get_crawler(Name=r.stack.outputs["CrawlerName"])


def start_crawler(r: Role) -> Any:
    return r.client("glue").start_crawler(Name=r.stack.outputs["CrawlerName"])


def get_orders_table(r: Role) -> Any:
    return r.client("glue").get_table(DatabaseName=r.stack.outputs["GlueDatabaseName"], Name="orders")


def delete_orders_table(r: Role) -> Any:
    return r.client("glue").delete_table(DatabaseName=r.stack.outputs["GlueDatabaseName"], Name="orders")


def get_orders_partitions(r: Role) -> Any:
    wanted = [{"Values": ["2025-01-01"]}]
    return r.client("glue").batch_get_partition(
        DatabaseName=r.stack.outputs["GlueDatabaseName"], TableName="orders", PartitionsToGet=wanted
    )


def crawl_event_queue(r: Role) -> str:
    return f"{r.stack.endpoint_url}/{ACCOUNT_ID}/orders-etl-CrawlEventQueue"


def receive_crawl_events(r: Role) -> Any:
    return r.client("sqs").receive_message(QueueUrl=crawl_event_queue(r), WaitTimeSeconds=0)


def purge_crawl_events(r: Role) -> Any:
    return r.client("sqs").purge_queue(QueueUrl=crawl_event_queue(r))


def send_crawl_event(r: Role) -> Any:
    return r.client("sqs").send_message(QueueUrl=crawl_event_queue(r), MessageBody="{}")


def invoke(logical_id: str) -> Probe:
    def probe(r: Role) -> Any:
        # DryRun: Lambda checks the permission without running the function.
        return r.client("lambda").invoke(FunctionName=f"orders-etl-{logical_id}", InvocationType="DryRun")

    probe.__name__ = f"invoke_{logical_id}"
    return probe


def start_pipeline(r: Role) -> Any:
    return r.client("stepfunctions").start_execution(stateMachineArn=r.stack.state_machine_arn, input="{}")


def start_backfill(r: Role) -> Any:
    return r.client("stepfunctions").start_execution(stateMachineArn=r.stack.outputs["BackfillStateMachineArn"])


def describe_a_pipeline_map_run(r: Role) -> Any:
    arn = r.stack.state_machine_arn.replace(":stateMachine:", ":mapRun:") + "/label:0"
    return r.client("stepfunctions").describe_map_run(mapRunArn=arn)


def an_execution(r: Role, machine_output: str, execution_input: dict[str, Any]) -> str:
    """An execution of the stack's state machine (started once, as the administrator), for probes to read."""
    sfn, machine = r.stack.client("stepfunctions"), r.stack.outputs[machine_output]
    arn = f"{machine.replace(':stateMachine:', ':execution:')}:role-probe"
    try:
        sfn.describe_execution(executionArn=arn)
    except ClientError:
        sfn.start_execution(stateMachineArn=machine, name="role-probe", input=json.dumps(execution_input))
    return arn


def describe_a_pipeline_execution(r: Role) -> Any:
    return r.client("stepfunctions").describe_execution(executionArn=an_execution(r, "StateMachineArn", {}))


def read_a_pipeline_history(r: Role) -> Any:
    arn = an_execution(r, "StateMachineArn", {})
    return r.client("stepfunctions").get_execution_history(executionArn=arn, reverseOrder=True, maxResults=5)


def describe_a_backfill_execution(r: Role) -> Any:
    # A prefix outside the raw area: the backfill fails at once, and its execution stays to be read.
    arn = an_execution(r, "BackfillStateMachineArn", {"prefix": "elsewhere/"})
    return r.client("stepfunctions").describe_execution(executionArn=arn)


def read_a_backfill_history(r: Role) -> Any:
    arn = an_execution(r, "BackfillStateMachineArn", {"prefix": "elsewhere/"})
    return r.client("stepfunctions").get_execution_history(executionArn=arn, reverseOrder=True, maxResults=5)


def describe_another_machines_execution(r: Role) -> Any:
    arn = f"arn:aws:states:us-east-1:{ACCOUNT_ID}:execution:another-machine:role-probe"
    return r.client("stepfunctions").describe_execution(executionArn=arn)


def stop_a_pipeline_execution(r: Role) -> Any:
    return r.client("stepfunctions").stop_execution(executionArn=an_execution(r, "StateMachineArn", {}))


def publish_a_notification(r: Role) -> Any:
    return r.client("sns").publish(TopicArn=r.stack.outputs["NotificationTopicArn"], Subject="probe", Message="probe")


def publish_to_another_topic(r: Role) -> Any:
    topic = r.stack.client("sns").create_topic(Name="another-topic")["TopicArn"]
    return r.client("sns").publish(TopicArn=topic, Message="probe")


# ---------- each role: allowed, then denied ----------
ROLES: dict[str, tuple[list[Probe], list[Probe]]] = {
    "ValidateOrderFileFunction": (
        [read_raw_version, read_raw_latest, write_staged, multipart_upload_to_staging],
        [write_parquet, delete_raw, read_manifest, write_manifest, read_staged],
    ),
    "FlattenOrdersFunction": (
        [
            read_raw_version,
            read_manifest,
            write_manifest,
            list_manifests,
            list_raw,
            write_parquet,
            delete_parquet,
            read_staged,
            multipart_upload_to_staging,
        ],
        [
            delete_raw,
            write_raw,
            write_quarantine,
            list_whole_bucket,
            read_report,
            multipart_copy_raw_version_to_quarantine,
        ],
    ),
    "QuarantineOrderFileFunction": (
        [
            copy_raw_version_to_quarantine,
            multipart_copy_raw_version_to_quarantine,
            write_quarantine,
            delete_raw_version,
            list_raw_versions,
        ],
        [write_parquet, read_manifest, delete_quarantine, list_whole_bucket, multipart_upload_to_staging],
    ),
    "StartCrawlFunction": ([start_crawler, get_crawler], [read_raw_latest, get_orders_table, get_orders_partitions]),
    "CheckCrawlFunction": (
        [get_crawler, get_orders_partitions],
        [start_crawler, read_raw_latest, get_orders_table, receive_crawl_events],
    ),
    "SummarizeBackfillFunction": ([write_report, read_report], [read_raw_latest, describe_a_pipeline_map_run]),
    "OrderPipelineStateMachine": (
        [invoke("ValidateOrderFileFunction"), invoke("QuarantineOrderFileFunction"), invoke("CheckCrawlFunction")],
        [invoke("SummarizeBackfillFunction"), read_raw_latest, start_backfill],
    ),
    "PinLatestVersionFunction": ([list_raw_versions], [read_raw_latest, list_whole_bucket, write_report]),
    "BackfillStateMachine": (
        [list_raw, write_report, invoke("SummarizeBackfillFunction"), invoke("PinLatestVersionFunction")],
        [write_raw, read_raw_latest, start_pipeline, list_raw_versions],
    ),
    "OrderPipelineStateMachineOrderFileCreated": ([start_pipeline], [start_backfill, read_raw_latest]),
    "NotifyFailedExecutionFunction": (
        [
            describe_a_pipeline_execution,
            read_a_pipeline_history,
            describe_a_backfill_execution,
            read_a_backfill_history,
            publish_a_notification,
        ],
        [
            describe_another_machines_execution,
            stop_a_pipeline_execution,
            start_pipeline,
            publish_to_another_topic,
            read_raw_latest,
            describe_a_pipeline_map_run,
        ],
    ),
    "OrdersCrawler": (
        [read_parquet, get_orders_table, receive_crawl_events, purge_crawl_events, delete_orders_table],
        [read_raw_latest, write_parquet, send_crawl_event],
    ),
}


def role_arn_and_service(stack: Stack, name: str) -> tuple[str, str]:
    """The role a deployed resource names, and the service that assumes it."""
    if name.endswith("Function"):
        function = stack.client("lambda").get_function(FunctionName=f"orders-etl-{name}")
        return function["Configuration"]["Role"], service_roles.LAMBDA
    if name.endswith("StateMachine"):
        arn = stack.outputs["StateMachineArn" if name == "OrderPipelineStateMachine" else "BackfillStateMachineArn"]
        return stack.client("stepfunctions").describe_state_machine(stateMachineArn=arn)[
            "roleArn"
        ], service_roles.STATES
    if name == "OrdersCrawler":
        return stack.client("glue").get_crawler(Name=stack.outputs["CrawlerName"])["Crawler"][
            "Role"
        ], service_roles.GLUE
    (target,) = stack.client("events").list_targets_by_rule(Rule=f"orders-etl-{name}")["Targets"]
    return target["RoleArn"], service_roles.EVENTS


@pytest.mark.parametrize("name", list(ROLES))
def test_each_role_may_do_its_job_and_nothing_outside_it(stack: Stack, name: str) -> None:
    # GIVEN the deployed stack, with a raw file, a manifest, a Parquet object, a report and a table to act on
    stack.pause_pipeline()
    s3 = stack.client("s3")
    version_id = s3.put_object(Bucket=stack.bucket, Key=RAW, Body=b"[]")["VersionId"]
    for key, body in ((MANIFEST, b"{}"), (PARQUET, b"PAR1"), (STAGED, b"PAR1"), (REPORT, json.dumps({}).encode())):
        s3.put_object(Bucket=stack.bucket, Key=key, Body=body)
    stack.client("glue").create_table(
        DatabaseName=stack.outputs["GlueDatabaseName"], TableInput={"Name": "orders", "TableType": "EXTERNAL_TABLE"}
    )
    role_arn, service = role_arn_and_service(stack, name)
    credentials = service_roles.credentials_for(role_arn, service)
    role = Role(stack, boto3.Session(region_name="us-east-1", **credentials.as_client_arguments()), version_id)
    allowed, denied = ROLES[name]

    # WHEN each probe is made as that role, THEN exactly the job's calls are allowed
    outcomes = {probe.__name__: outcome(probe, role) for probe in [*allowed, *denied]}
    expected = {p.__name__: "allowed" for p in allowed} | {p.__name__: "denied" for p in denied}
    assert outcomes == expected
