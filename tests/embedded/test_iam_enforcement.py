"""embedded_aws.iam_enforcement, service_roles, state_machine_role, s3_missing_objects: every request is
authorized as AWS authorizes it, and the functions and state machines act as their roles."""

from __future__ import annotations

import json
import uuid
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from embedded_aws import iam_enforcement, service_roles

BUCKET = "iam-test"
OBJECT_ARN = f"arn:aws:s3:::{BUCKET}/raw/a.json"


# IAM enforced in every test here, whatever EMBEDDED_AWS_IAM says (conftest's fixture restores the setting).
pytestmark = pytest.mark.usefixtures("iam_enforced")


def statement(action: Any, resource: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def as_role(aws: Any, service: str, *statements: dict[str, Any]) -> boto3.Session:
    """A session signed as a new role holding exactly `statements`, as `service` would get it."""
    policy = {"Version": "2012-10-17", "Statement": list(statements)}
    role = aws.role(service, policy=policy)
    credentials = service_roles.credentials_for(role, service)
    return boto3.Session(region_name="us-east-1", **credentials.as_client_arguments())


def error_of(call: Any, **arguments: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as caught:
        call(**arguments)
    error: dict[str, Any] = caught.value.response["Error"]
    return error


@pytest.fixture
def versioned_object(aws: Any) -> str:
    s3 = aws.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    version: str = s3.put_object(Bucket=BUCKET, Key="raw/a.json", Body=b"[]")["VersionId"]
    return version


def test_a_role_with_only_get_object_reads_the_latest_version_but_not_the_one_its_event_names(
    aws: Any, versioned_object: str
) -> None:
    # GIVEN a function role holding exactly s3:GetObject on raw/* (Validate's statement before the fix)
    s3 = as_role(aws, "lambda.amazonaws.com", statement("s3:GetObject", f"arn:aws:s3:::{BUCKET}/raw/*")).client(
        "s3", endpoint_url=aws.endpoint_url
    )
    # THEN it reads the latest version
    assert s3.get_object(Bucket=BUCKET, Key="raw/a.json")["Body"].read() == b"[]"
    # AND a read of that exact version is denied, naming the principal, the action and the resource, as AWS does
    error = error_of(s3.get_object, Bucket=BUCKET, Key="raw/a.json", VersionId=versioned_object)
    assert error["Code"] == "AccessDenied"
    assert ":assumed-role/" in error["Message"]
    assert f'perform: s3:GetObjectVersion on resource: "{OBJECT_ARN}"' in error["Message"]
    assert "because no identity-based policy allows the s3:GetObjectVersion action" in error["Message"]
    # AND so is its head (a HEAD error has no body: only the status tells)
    assert error_of(s3.head_object, Bucket=BUCKET, Key="raw/a.json", VersionId=versioned_object)["Code"] == "403"


@pytest.mark.parametrize(
    ("list_bucket", "expected"),
    [
        (None, "403"),
        ({"StringLike": {"s3:prefix": "raw/*"}}, "403"),  # a GetObject request carries no prefix
        ({}, "404"),
    ],
)
def test_a_missing_object_is_403_unless_the_caller_may_list_the_bucket(
    aws: Any, versioned_object: str, list_bucket: dict[str, Any] | None, expected: str
) -> None:
    statements = [statement(["s3:GetObject", "s3:GetObjectVersion"], f"arn:aws:s3:::{BUCKET}/raw/*")]
    if list_bucket is not None:
        condition = {"Condition": list_bucket} if list_bucket else {}
        statements.append(statement("s3:ListBucket", f"arn:aws:s3:::{BUCKET}", **condition))
    s3 = as_role(aws, "lambda.amazonaws.com", *statements).client("s3", endpoint_url=aws.endpoint_url)

    assert error_of(s3.head_object, Bucket=BUCKET, Key="raw/missing.json")["Code"] == expected
    get_error = error_of(s3.get_object, Bucket=BUCKET, Key="raw/missing.json")
    assert get_error["Code"] == ("AccessDenied" if expected == "403" else "NoSuchKey")
    if expected == "403":
        assert f'perform: s3:ListBucket on resource: "arn:aws:s3:::{BUCKET}"' in get_error["Message"]
        # the existing object still reads, and a listing within the condition's prefix is allowed
        assert s3.get_object(Bucket=BUCKET, Key="raw/a.json")["Body"].read() == b"[]"
    if list_bucket:
        listing = s3.list_objects_v2(Bucket=BUCKET, Prefix="raw/missing.json")
        assert listing["KeyCount"] == 0
        assert error_of(s3.list_objects_v2, Bucket=BUCKET, Prefix="parquet/")["Code"] == "AccessDenied"


def test_copying_a_version_needs_to_read_that_version(aws: Any, versioned_object: str) -> None:
    # GIVEN a role that may write quarantine/ and read only the latest raw/ objects
    s3 = as_role(
        aws,
        "lambda.amazonaws.com",
        statement("s3:PutObject", f"arn:aws:s3:::{BUCKET}/quarantine/*"),
        statement("s3:GetObject", f"arn:aws:s3:::{BUCKET}/raw/*"),
    ).client("s3", endpoint_url=aws.endpoint_url)
    source = {"Bucket": BUCKET, "Key": "raw/a.json", "VersionId": versioned_object}
    # THEN copying that version is denied on its source (moto checked only the destination)
    error = error_of(s3.copy_object, Bucket=BUCKET, Key="quarantine/a.json", CopySource=source)
    assert f'perform: s3:GetObjectVersion on resource: "{OBJECT_ARN}"' in error["Message"]
    # AND copying the latest is allowed
    s3.copy_object(Bucket=BUCKET, Key="quarantine/a.json", CopySource={"Bucket": BUCKET, "Key": "raw/a.json"})


def test_an_explicit_deny_in_the_bucket_policy_binds_even_the_administrator(aws: Any, versioned_object: str) -> None:
    s3 = aws.client("s3")
    deny = {"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject", "Resource": f"arn:aws:s3:::{BUCKET}/raw/*"}
    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps({"Version": "2012-10-17", "Statement": [deny]}))
    error = error_of(s3.delete_object, Bucket=BUCKET, Key="raw/a.json")
    assert "with an explicit deny in a resource-based policy" in error["Message"]


def test_keys_the_account_did_not_issue_are_refused(aws: Any) -> None:
    session = boto3.Session(
        aws_access_key_id="AKIAIOSFODNN7EXAMPLE", aws_secret_access_key="x", region_name="us-east-1"
    )
    assert error_of(session.client("s3", endpoint_url=aws.endpoint_url).list_buckets)["Code"] == "InvalidAccessKeyId"
    glue = session.client("glue", endpoint_url=aws.endpoint_url)
    assert error_of(glue.get_databases)["Code"] == "UnrecognizedClientException"


def test_glue_and_step_functions_permissions_apply_to_the_resources_they_name(aws: Any) -> None:
    # GIVEN two crawlers, and a role that may start and read only the first
    glue_admin = aws.client("glue")
    glue_admin.create_database(DatabaseInput={"Name": "db"})
    for name in ("ours", "theirs"):
        glue_admin.create_crawler(
            Name=name, Role=aws.role("glue.amazonaws.com"), DatabaseName="db", Targets={"S3Targets": []}
        )
    crawler_arn = "arn:aws:glue:us-east-1:123456789012:crawler/ours"
    session = as_role(aws, "lambda.amazonaws.com", statement(["glue:GetCrawler", "glue:StartCrawler"], crawler_arn))
    glue = session.client("glue", endpoint_url=aws.endpoint_url)
    # THEN it reads its crawler (moto checked every Glue call against "*", so this was denied)
    assert glue.get_crawler(Name="ours")["Crawler"]["Name"] == "ours"
    # AND the other crawler is denied with AccessDeniedException naming action and resource
    error = error_of(glue.start_crawler, Name="theirs")
    assert error["Code"] == "AccessDeniedException"
    assert (
        "perform: glue:StartCrawler on resource: arn:aws:glue:us-east-1:123456789012:crawler/theirs" in error["Message"]
    )
    # AND Step Functions likewise: no permission on any state machine
    sfn = session.client("stepfunctions", endpoint_url=aws.endpoint_url)
    machine = aws.state_machine("m", {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}})
    assert error_of(sfn.start_execution, stateMachineArn=machine)["Code"] == "AccessDeniedException"


FUNCTION = """
import boto3
s3 = boto3.client("s3")


def lambda_handler(event, context):
    s3.put_object(Bucket=event["bucket"], Key=event["key"], Body=b"x")
    return {"written": event["key"]}
"""


def invoke(aws: Any, function: str, payload: dict[str, Any]) -> dict[str, Any]:
    response = aws.client("lambda").invoke(FunctionName=function, Payload=json.dumps(payload))
    document: dict[str, Any] = json.loads(response["Payload"].read())
    return document


def test_a_function_runs_with_its_roles_credentials(aws: Any) -> None:
    # GIVEN a function whose role may write only under out/
    aws.client("s3").create_bucket(Bucket=BUCKET)
    policy = {"Version": "2012-10-17", "Statement": [statement("s3:PutObject", f"arn:aws:s3:::{BUCKET}/out/*")]}
    function = aws.function(f"writer-{uuid.uuid4().hex[:6]}", {"app.py": FUNCTION}, role=aws.role(policy=policy))
    # THEN its module-level client writes under out/ and is denied elsewhere, as its role
    assert invoke(aws, function, {"bucket": BUCKET, "key": "out/a"}) == {"written": "out/a"}
    refused = invoke(aws, function, {"bucket": BUCKET, "key": "raw/a"})
    assert refused["errorType"] == "AccessDenied"
    assert "assumed-role/" in refused["errorMessage"]
    assert f'perform: s3:PutObject on resource: "arn:aws:s3:::{BUCKET}/raw/a"' in refused["errorMessage"]


def test_a_function_whose_role_lambda_may_not_assume_fails_saying_so(aws: Any) -> None:
    function = aws.function(
        f"untrusted-{uuid.uuid4().hex[:6]}", {"app.py": FUNCTION}, role=aws.role("glue.amazonaws.com")
    )
    refused = invoke(aws, function, {"bucket": BUCKET, "key": "out/a"})
    assert refused["errorType"] == "InvalidParameterValueException"
    assert "lambda.amazonaws.com cannot assume" in refused["errorMessage"]


ECHO = """
def lambda_handler(event, context):
    return event
"""


def test_a_state_machine_invokes_only_what_its_role_allows(aws: Any) -> None:
    # GIVEN a state machine whose role holds no lambda:InvokeFunction
    function = aws.function(f"echo-{uuid.uuid4().hex[:6]}", {"app.py": ECHO})
    definition = {
        "StartAt": "Call",
        "States": {
            "Call": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": function, "Payload.$": "$"},
                "End": True,
            }
        },
    }
    nothing = {"Version": "2012-10-17", "Statement": [statement("s3:ListBucket", "arn:aws:s3:::none")]}
    denied = aws.state_machine("denied", definition, role=aws.role("states.amazonaws.com", policy=nothing))
    allowed_policy = {"Version": "2012-10-17", "Statement": [statement("lambda:InvokeFunction", f"{function}*")]}
    allowed = aws.state_machine("allowed", definition, role=aws.role("states.amazonaws.com", policy=allowed_policy))
    # THEN the first fails at the task, the Lambda error naming the denied action; the second succeeds
    failed = aws.run_to_end(denied, {"a": 1})
    assert failed["status"] == "FAILED"
    assert f"perform: lambda:InvokeFunction on resource: {function}" in failed["cause"]
    assert aws.run_to_end(allowed, {"a": 1})["status"] == "SUCCEEDED"


def test_with_enforcement_off_nothing_is_checked(aws: Any, versioned_object: str) -> None:
    iam_enforcement.set_enabled(False)
    session = boto3.Session(aws_access_key_id="anything", aws_secret_access_key="x", region_name="us-east-1")
    assert session.client("s3", endpoint_url=aws.endpoint_url).get_object(Bucket=BUCKET, Key="raw/a.json")


def test_a_role_may_always_ask_who_it_is(aws: Any) -> None:
    # GIVEN a role whose only policy denies everything
    everything = {"Effect": "Deny", "Action": "*", "Resource": "*"}
    sts = as_role(aws, "lambda.amazonaws.com", everything).client("sts", endpoint_url=aws.endpoint_url)
    # THEN GetCallerIdentity still answers, with the role session's ARN (AWS allows it to every principal)
    assert ":assumed-role/" in sts.get_caller_identity()["Arn"]


def test_signatures_of_calls_without_a_body_are_verified_as_signed(aws: Any) -> None:
    # GIVEN a function (moto verified a bodiless REST call against its URI parameters, so these were refused)
    function = aws.function(f"echo-{uuid.uuid4().hex[:6]}", {"app.py": ECHO})
    lambda_ = aws.client("lambda")
    # THEN reads by GET and an Invoke without payload pass the signature check, as the administrator
    assert lambda_.get_function_configuration(FunctionName=function)["FunctionArn"] == function
    assert lambda_.list_functions()["Functions"]
    assert lambda_.invoke(FunctionName=function, InvocationType="DryRun")["StatusCode"] == 204
    # AND a wrong secret is still refused
    forged = boto3.Session(aws_access_key_id="embedded", aws_secret_access_key="wrong", region_name="us-east-1")
    error = error_of(forged.client("lambda", endpoint_url=aws.endpoint_url).list_functions)
    assert error["Code"] == "InvalidSignatureException"
