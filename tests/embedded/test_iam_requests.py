"""The IAM actions and resources a request needs, as AWS's Service Authorization Reference names them (no
endpoint needed). moto checked every non-S3 request against "*", HeadObject of a version as s3:GetObject, and
never the source of a copy."""

from __future__ import annotations

import json

import pytest

from embedded_aws.iam_requests import Check, describe_json_service, describe_query_service, describe_s3

BUCKET = "arn:aws:s3:::data"
OBJECT = f"{BUCKET}/raw/a b+c.json"
ENDPOINT = "http://127.0.0.1:1"


@pytest.mark.parametrize(
    ("method", "query", "action"),
    [
        ("GET", "", "s3:GetObject"),
        ("GET", "?versionId=v1", "s3:GetObjectVersion"),
        ("HEAD", "", "s3:GetObject"),
        ("HEAD", "?versionId=v1", "s3:GetObjectVersion"),
        ("GET", "?tagging&versionId=v1", "s3:GetObjectVersionTagging"),
        ("PUT", "", "s3:PutObject"),
        ("PUT", "?partNumber=1&uploadId=u", "s3:PutObject"),
        ("POST", "?uploads", "s3:PutObject"),
        ("DELETE", "", "s3:DeleteObject"),
        ("DELETE", "?versionId=v1", "s3:DeleteObjectVersion"),
        ("DELETE", "?uploadId=u", "s3:AbortMultipartUpload"),
    ],
)
def test_object_requests_name_the_object_action(method: str, query: str, action: str) -> None:
    description = describe_s3(method, f"{ENDPOINT}/data/raw/a{query}", {}, b"", OBJECT, "moto's guess")
    assert description.checks == [Check(action, OBJECT)]


def test_a_copy_also_needs_to_read_its_source_version() -> None:
    headers = {"x-amz-copy-source": "/data/raw/a%20b%2Bc.json?versionId=v1"}
    description = describe_s3("PUT", f"{ENDPOINT}/data/quarantine/a", headers, b"", f"{BUCKET}/quarantine/a", "")
    assert description.checks == [
        Check("s3:PutObject", f"{BUCKET}/quarantine/a"),
        Check("s3:GetObjectVersion", OBJECT),
    ]


def test_listings_carry_their_prefix_as_a_condition_key() -> None:
    versions = describe_s3("GET", f"{ENDPOINT}/data?versions&prefix=raw%2Fa&max-keys=1", {}, b"", BUCKET, "")
    assert versions.checks == [Check("s3:ListBucketVersions", BUCKET)]
    assert versions.context == {"s3:prefix": ["raw/a"], "s3:max-keys": ["1"]}
    objects = describe_s3("GET", f"{ENDPOINT}/data?list-type=2", {}, b"", BUCKET, "ListBucket")
    assert objects.checks == [Check("s3:ListBucket", BUCKET)]
    assert "s3:prefix" not in objects.context


def test_head_bucket_is_list_bucket_and_delete_objects_is_checked_key_by_key() -> None:
    assert describe_s3("HEAD", f"{ENDPOINT}/data", {}, b"", BUCKET, "HeadBucket").checks == [
        Check("s3:ListBucket", BUCKET)
    ]
    body = (
        b"<Delete><Object><Key>raw/a</Key></Object><Object><Key>raw/b</Key><VersionId>v</VersionId></Object></Delete>"
    )
    assert describe_s3("POST", f"{ENDPOINT}/data?delete", {}, body, BUCKET, "").checks == [
        Check("s3:DeleteObject", f"{BUCKET}/raw/a"),
        Check("s3:DeleteObjectVersion", f"{BUCKET}/raw/b"),
    ]


GLUE = "arn:aws:glue:us-east-1:123456789012"


@pytest.mark.parametrize(
    ("operation", "parameters", "resources"),
    [
        ("StartCrawler", {"Name": "c"}, [f"{GLUE}:crawler/c"]),
        ("GetDatabase", {"Name": "db"}, [f"{GLUE}:catalog", f"{GLUE}:database/db"]),
        (
            "GetTable",
            {"DatabaseName": "db", "Name": "t"},
            [f"{GLUE}:catalog", f"{GLUE}:database/db", f"{GLUE}:table/db/t"],
        ),
        (
            "CreateTable",
            {"DatabaseName": "db", "TableInput": {"Name": "t"}},
            [f"{GLUE}:catalog", f"{GLUE}:database/db", f"{GLUE}:table/db/t"],
        ),
        (
            "BatchCreatePartition",
            {"DatabaseName": "db", "TableName": "t"},
            [f"{GLUE}:catalog", f"{GLUE}:database/db", f"{GLUE}:table/db/t"],
        ),
        ("GetTables", {"DatabaseName": "db"}, [f"{GLUE}:catalog", f"{GLUE}:database/db", f"{GLUE}:table/db/*"]),
        ("ListCrawlers", {}, ["*"]),
    ],
)
def test_glue_operations_name_the_catalog_database_table_or_crawler(
    operation: str, parameters: dict[str, object], resources: list[str]
) -> None:
    description = describe_json_service(
        "glue", operation, f"{ENDPOINT}/", json.dumps(parameters), "us-east-1", "123456789012"
    )
    assert description.checks == [Check(f"glue:{operation}", r) for r in resources]


STATES = "arn:aws:states:us-east-1:123456789012"


@pytest.mark.parametrize(
    ("operation", "parameters", "resource"),
    [
        ("StartExecution", {"stateMachineArn": f"{STATES}:stateMachine:m#HappyPath"}, f"{STATES}:stateMachine:m"),
        ("DescribeExecution", {"executionArn": f"{STATES}:execution:m:e"}, f"{STATES}:execution:m:e"),
        ("DescribeMapRun", {"mapRunArn": f"{STATES}:mapRun:m/label:id"}, f"{STATES}:mapRun:m/label:id"),
        ("ListStateMachines", {}, "*"),
    ],
)
def test_step_functions_operations_name_their_state_machine_execution_or_map_run(
    operation: str, parameters: dict[str, object], resource: str
) -> None:
    description = describe_json_service(
        "states", operation, f"{ENDPOINT}/", json.dumps(parameters), "us-east-1", "123456789012"
    )
    assert description.checks == [Check(f"states:{operation}", resource)]


@pytest.mark.parametrize(
    ("path", "resource"),
    [
        ("/2015-03-31/functions/f/invocations", "arn:aws:lambda:us-east-1:123456789012:function:f"),
        ("/2015-03-31/functions/f/invocations?Qualifier=live", "arn:aws:lambda:us-east-1:123456789012:function:f:live"),
        (
            "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Af/invocations",
            "arn:aws:lambda:us-east-1:123456789012:function:f",
        ),
    ],
)
def test_invoke_is_lambda_invoke_function_on_the_function(path: str, resource: str) -> None:
    # The body of an invocation is the function's event: never read as parameters.
    description = describe_json_service(
        "lambda", "Invoke", f"{ENDPOINT}{path}", b'{"Name": "x"}', "us-east-1", "123456789012"
    )
    assert description.checks == [Check("lambda:InvokeFunction", resource)]


QUEUE = "arn:aws:sqs:us-east-1:123456789012:q"


@pytest.mark.parametrize(
    ("operation", "parameters", "check"),
    [
        ("ReceiveMessage", {"QueueUrl": f"{ENDPOINT}/123456789012/q"}, Check("sqs:ReceiveMessage", QUEUE)),
        ("DeleteMessageBatch", {"QueueUrl": f"{ENDPOINT}/123456789012/q"}, Check("sqs:DeleteMessage", QUEUE)),
        (
            "PurgeQueue",
            {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/q"},
            Check("sqs:PurgeQueue", QUEUE),
        ),
        ("GetQueueUrl", {"QueueName": "q"}, Check("sqs:GetQueueUrl", QUEUE)),
        (
            "GetQueueUrl",
            {"QueueName": "q", "QueueOwnerAWSAccountId": "210987654321"},
            Check("sqs:GetQueueUrl", "arn:aws:sqs:us-east-1:210987654321:q"),
        ),
        ("ListQueues", {}, Check("sqs:ListQueues", "*")),
    ],
)
def test_sqs_operations_name_their_queue_and_batches_their_single_action(
    operation: str, parameters: dict[str, object], check: Check
) -> None:
    description = describe_json_service(
        "sqs", operation, f"{ENDPOINT}/", json.dumps(parameters), "us-east-1", "123456789012"
    )
    assert description.checks == [check]


TOPIC = "arn:aws:sns:us-east-1:123456789012:alerts"


@pytest.mark.parametrize(
    ("operation", "form", "check"),
    [
        ("Publish", {"TopicArn": [TOPIC], "Message": ["hi"]}, Check("sns:Publish", TOPIC)),
        ("PublishBatch", {"TopicArn": [TOPIC]}, Check("sns:Publish", TOPIC)),
        ("Subscribe", {"TopicArn": [TOPIC], "Protocol": ["sqs"]}, Check("sns:Subscribe", TOPIC)),
        ("Unsubscribe", {"SubscriptionArn": [f"{TOPIC}:0b5a-11"]}, Check("sns:Unsubscribe", TOPIC)),
        ("CreateTopic", {"Name": ["alerts"]}, Check("sns:CreateTopic", TOPIC)),
        ("ListTopics", {}, Check("sns:ListTopics", "*")),
    ],
)
def test_sns_operations_name_their_topic(operation: str, form: dict[str, list[str]], check: Check) -> None:
    # SNS speaks the query protocol: its parameters are form fields, as moto parsed them
    description = describe_query_service("sns", operation, f"{ENDPOINT}/", form, "us-east-1", "123456789012")
    assert description.checks == [check]
