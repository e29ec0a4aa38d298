"""What an API request asks IAM for: the actions, the resources they act on, and the request's condition keys.

moto authorizes every non-S3 request against the resource "*", so a policy scoped to a crawler, a state machine
or a function never applies; it maps HeadObject to s3:GetObject even for a version, and never checks the
source of a CopyObject. This module names them as AWS's Service Authorization Reference does, for the calls
the stack's roles make; any other call of those services is checked against "*" (only the administrator,
whose policy allows everything, can make it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import xmltodict


@dataclass(frozen=True)
class Check:
    """One permission the request needs: an IAM action on a resource ARN."""

    action: str
    resource: str


@dataclass(frozen=True)
class RequestDescription:
    checks: list[Check]
    context: dict[str, list[str]] = field(default_factory=dict)


# ---------- S3 ----------
def describe_s3(
    method: str, uri: str, headers: Mapping[str, str], body: bytes | str | None, resource: str, moto_action: str
) -> RequestDescription:
    """`resource` is moto's arn:aws:s3:::bucket[/key]; `moto_action` its guess, kept for bucket settings."""
    query = parse_qs(urlparse(uri).query, keep_blank_values=True)
    bucket, _, key = resource.removeprefix("arn:aws:s3:::").partition("/")
    context = {
        name: values
        for name, parameter in (("s3:prefix", "prefix"), ("s3:delimiter", "delimiter"), ("s3:max-keys", "max-keys"))
        if (values := query.get(parameter)) is not None
    }
    if "versionId" in query:
        context["s3:versionid"] = query["versionId"]
    if key:
        checks = [Check(f"s3:{_s3_object_action(method, query)}", resource)]
        copy_source = headers.get("x-amz-copy-source")
        if copy_source and method == "PUT":
            checks.append(_copy_source_check(copy_source))
    elif method == "POST" and "delete" in query:
        checks = _delete_objects_checks(bucket, body)
    else:
        checks = [Check(f"s3:{_s3_bucket_action(method, query, moto_action)}", resource)]
    return RequestDescription(checks, context)


def _s3_object_action(method: str, query: Mapping[str, Any]) -> str:
    versioned = "versionId" in query
    if method in ("GET", "HEAD"):
        if "uploadId" in query:
            return "ListMultipartUploadParts"
        for parameter, action in (("acl", "Acl"), ("tagging", "Tagging"), ("attributes", "Attributes")):
            if parameter in query:
                return f"GetObject{'Version' if versioned else ''}{action}"
        return "GetObjectVersion" if versioned else "GetObject"
    if method == "PUT":
        for parameter, action in (("acl", "Acl"), ("tagging", "Tagging")):
            if parameter in query:
                return f"PutObject{'Version' if versioned else ''}{action}"
        return "PutObject"  # PutObject, CopyObject, UploadPart, UploadPartCopy
    if method == "DELETE":
        if "uploadId" in query:
            return "AbortMultipartUpload"
        if "tagging" in query:
            return f"DeleteObject{'Version' if versioned else ''}Tagging"
        return "DeleteObjectVersion" if versioned else "DeleteObject"
    if method == "POST":
        if "restore" in query:
            return "RestoreObject"
        return "GetObject" if "select" in query else "PutObject"  # Create/CompleteMultipartUpload
    raise ValueError(f"no IAM action known for S3 {method} on an object")


_BUCKET_SETTINGS = {
    "encryption": "EncryptionConfiguration",
    "publicAccessBlock": "BucketPublicAccessBlock",
    "ownershipControls": "BucketOwnershipControls",
}


def _s3_bucket_action(method: str, query: Mapping[str, Any], moto_action: str) -> str:
    if method == "HEAD":
        return "ListBucket"  # HeadBucket is authorized as s3:ListBucket
    if method == "GET" and "versions" in query:
        return "ListBucketVersions"
    verb = {"GET": "Get", "PUT": "Put", "DELETE": "Put"}.get(method)
    for parameter, setting in _BUCKET_SETTINGS.items():
        if parameter in query and verb:
            return f"{verb}{setting}"
    return moto_action


def _copy_source_check(copy_source: str) -> Check:
    """CopyObject and UploadPartCopy read their source: s3:GetObject, or s3:GetObjectVersion for a version."""
    path, _, version_query = unquote(copy_source).lstrip("/").partition("?")
    versioned = "versionId=" in version_query
    return Check("s3:GetObjectVersion" if versioned else "s3:GetObject", f"arn:aws:s3:::{path}")


def _delete_objects_checks(bucket: str, body: bytes | str | None) -> list[Check]:
    """DeleteObjects is authorized key by key, as s3:DeleteObject (or s3:DeleteObjectVersion)."""
    document = xmltodict.parse(body or b"<Delete/>").get("Delete") or {}
    objects = document.get("Object", [])
    objects = [objects] if isinstance(objects, dict) else objects
    return [
        Check(
            "s3:DeleteObjectVersion" if item.get("VersionId") else "s3:DeleteObject",
            f"arn:aws:s3:::{bucket}/{item['Key']}",
        )
        for item in objects
    ]


# ---------- JSON services ----------
# API operations whose IAM action has another name.
_IAM_ACTION_NAMES = {
    ("lambda", "Invoke"): "InvokeFunction",
    ("lambda", "InvokeAsync"): "InvokeFunction",
    # A batch is authorized as its single-message action (SQS API permissions reference).
    ("sqs", "SendMessageBatch"): "SendMessage",
    ("sqs", "DeleteMessageBatch"): "DeleteMessage",
    ("sqs", "ChangeMessageVisibilityBatch"): "ChangeMessageVisibility",
    ("sns", "PublishBatch"): "Publish",
}
# Services whose API takes form-encoded parameters (the query protocol) rather than JSON.
QUERY_SERVICES = {"sns"}

_GLUE_CRAWLER_ACTIONS = {"StartCrawler", "StopCrawler", "GetCrawler", "UpdateCrawler", "DeleteCrawler"}
_GLUE_DATABASE_ACTIONS = {"GetDatabase", "CreateDatabase", "UpdateDatabase", "DeleteDatabase"}
_GLUE_TABLE_ACTIONS = {
    "GetTable",
    "CreateTable",
    "UpdateTable",
    "DeleteTable",
    "GetTableVersions",
    "GetPartition",
    "GetPartitions",
    "BatchGetPartition",
    "CreatePartition",
    "BatchCreatePartition",
    "UpdatePartition",
    "BatchUpdatePartition",
    "DeletePartition",
    "BatchDeletePartition",
    "CreatePartitionIndex",
    "GetPartitionIndexes",
    "DeletePartitionIndex",
}
_STATES_BY_PARAMETER = {
    "stateMachineArn": {
        "StartExecution",
        "StartSyncExecution",
        "ListExecutions",
        "DescribeStateMachine",
        "UpdateStateMachine",
        "DeleteStateMachine",
    },
    "executionArn": {
        "DescribeExecution",
        "StopExecution",
        "GetExecutionHistory",
        "RedriveExecution",
        "DescribeStateMachineForExecution",
        "ListMapRuns",
    },
    "mapRunArn": {"DescribeMapRun", "UpdateMapRun"},
}


def describe_json_service(
    service: str, operation: str, uri: str, body: bytes | str | None, region: str, account: str
) -> RequestDescription:
    action = f"{service}:{_IAM_ACTION_NAMES.get((service, operation), operation)}"
    resources = _resources(service, operation, uri, _json_parameters(service, body), f"{region}:{account}")
    return RequestDescription([Check(action, resource) for resource in resources])


def describe_query_service(
    service: str, operation: str, uri: str, form: Mapping[str, Any], region: str, account: str
) -> RequestDescription:
    """A query-protocol request (SNS): its parameters are the form fields moto has already parsed."""
    parameters = {name: values[0] if isinstance(values, list) else values for name, values in form.items()}
    action = f"{service}:{_IAM_ACTION_NAMES.get((service, operation), operation)}"
    resources = _resources(service, operation, uri, parameters, f"{region}:{account}")
    return RequestDescription([Check(action, resource) for resource in resources])


def _json_parameters(service: str, body: bytes | str | None) -> dict[str, Any]:
    if service == "lambda" or not body:
        return {}  # a Lambda invocation's body is the function's event, not parameters
    try:
        parameters = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return {}
    return parameters if isinstance(parameters, dict) else {}


def _resources(service: str, operation: str, uri: str, parameters: dict[str, Any], where: str) -> Sequence[str]:
    if service == "glue":
        return _glue_resources(operation, parameters, f"arn:aws:glue:{where}")
    if service == "states":
        for parameter, operations in _STATES_BY_PARAMETER.items():
            if operation in operations and parameter in parameters:
                return [str(parameters[parameter]).split("#", 1)[0]]  # `<arn>#<TestCase>` is the state machine
    if service == "sqs":
        return _sqs_resources(parameters, where)
    if service == "sns":
        return _sns_resources(operation, parameters, f"arn:aws:sns:{where}")
    if service == "lambda":
        parsed = urlparse(uri)
        match = re.search(r"/functions/([^/]+)", parsed.path)
        if match:
            qualifier = parse_qs(parsed.query).get("Qualifier", [None])[0]
            return [_function_arn(unquote(match[1]), qualifier, f"arn:aws:lambda:{where}")]
    return ["*"]


def _glue_resources(operation: str, parameters: dict[str, Any], prefix: str) -> list[str]:
    """Glue asks for the catalog, the database and the table of a table operation (all three must be allowed)."""
    catalog = f"{prefix}:catalog"
    if operation in _GLUE_CRAWLER_ACTIONS:
        return [f"{prefix}:crawler/{parameters.get('Name', '')}"]
    if operation in _GLUE_DATABASE_ACTIONS:
        name = parameters.get("Name") or parameters.get("DatabaseInput", {}).get("Name", "")
        return [catalog, f"{prefix}:database/{name}"]
    if operation in _GLUE_TABLE_ACTIONS:
        database = parameters.get("DatabaseName", "")
        table = parameters.get("TableName") or parameters.get("Name") or parameters.get("TableInput", {}).get("Name")
        return [catalog, f"{prefix}:database/{database}", f"{prefix}:table/{database}/{table}"]
    if operation == "GetTables":
        database = parameters.get("DatabaseName", "")
        return [catalog, f"{prefix}:database/{database}", f"{prefix}:table/{database}/*"]
    return ["*"]


def _sqs_resources(parameters: dict[str, Any], where: str) -> list[str]:
    """The queue a call acts on, from its QueueUrl (`.../<account>/<name>`) or, for GetQueueUrl, its QueueName."""
    region, account = where.split(":")
    if "QueueUrl" in parameters:
        account, name = urlparse(str(parameters["QueueUrl"])).path.strip("/").split("/")[-2:]
    elif "QueueName" in parameters:
        account, name = str(parameters.get("QueueOwnerAWSAccountId", account)), str(parameters["QueueName"])
    else:
        return ["*"]  # ListQueues
    return [f"arn:aws:sqs:{region}:{account}:{name}"]


def _sns_resources(operation: str, parameters: dict[str, Any], prefix: str) -> list[str]:
    """The topic a call acts on: Publish, Subscribe and the topic calls name it; a subscription's ARN is its topic's
    ARN and an id (sns:Unsubscribe and the like are authorized on the topic)."""
    for parameter in ("TopicArn", "TargetArn", "ResourceArn"):
        if parameter in parameters:
            return [str(parameters[parameter])]
    if "SubscriptionArn" in parameters:
        return [str(parameters["SubscriptionArn"]).rsplit(":", 1)[0]]
    if operation == "CreateTopic" and "Name" in parameters:
        return [f"{prefix}:{parameters['Name']}"]
    return ["*"]


def _function_arn(name_or_arn: str, qualifier: str | None, prefix: str) -> str:
    """Invoke takes a name or an ARN, either possibly qualified (`:alias`), or a `Qualifier` parameter."""
    arn = name_or_arn if name_or_arn.startswith("arn:") else f"{prefix}:function:{name_or_arn}"
    return f"{arn}:{qualifier}" if qualifier and arn.count(":") == 6 else arn
