"""embedded_aws.deploy and cfn_template: template.yaml deployed through the public APIs, intrinsics resolved."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from embedded_aws.cfn_template import ACCOUNT_ID, Resolver, load_template
from embedded_aws.deploy import StackDeployer, _merge_globals
from embedded_aws.server import EmbeddedAws

# Logical id of each function -> its POWERTOOLS_SERVICE_NAME in template.yaml.
FUNCTIONS = {
    "ValidateOrderFileFunction": "validate_order_file",
    "FlattenOrdersFunction": "flatten_orders",
    "StartCrawlFunction": "start_crawl",
    "CheckCrawlFunction": "check_crawl",
    "QuarantineOrderFileFunction": "quarantine_order_file",
    "SummarizeBackfillFunction": "summarize_backfill",
}
STACK = "orders-etl"


def rule_pattern(events: Any) -> dict[str, Any]:
    (rule,) = events.list_rules()["Rules"]
    pattern: dict[str, Any] = json.loads(rule["EventPattern"])
    return pattern


# ---------- the deployed stack ----------


def test_outputs_name_the_stack_resources(stack: Any) -> None:
    # GIVEN / WHEN template.yaml is deployed
    # THEN its outputs are resolved to the deployed names and parameter values
    assert set(stack.outputs) == {
        "DataBucketName",
        "StateMachineArn",
        "CrawlerName",
        "GlueDatabaseName",
        "AthenaWorkGroupName",
        "RawPrefix",
        "QuarantinePrefix",
        "ReportPrefix",
        "BackfillStateMachineArn",
    }
    assert (stack.outputs["RawPrefix"], stack.outputs["QuarantinePrefix"]) == ("raw/", "quarantine/")
    assert stack.outputs["BackfillStateMachineArn"].endswith(f":stateMachine:{STACK}-backfill")
    assert stack.outputs["DataBucketName"] == f"{STACK}-data-{ACCOUNT_ID}-us-east-1"
    assert stack.outputs["CrawlerName"] == "etl_serverless_parquet"
    assert stack.outputs["GlueDatabaseName"] == "orders_etl"
    assert stack.outputs["AthenaWorkGroupName"] == f"{STACK}-orders"
    described = stack.client("stepfunctions").describe_state_machine(stateMachineArn=stack.state_machine_arn)
    assert described["stateMachineArn"] == stack.state_machine_arn


def test_functions_have_globals_merged_with_their_own_properties(stack: Any) -> None:
    lambda_client = stack.client("lambda")
    # GIVEN the deployed stack / WHEN its functions are listed
    deployed = {f["FunctionName"]: f for f in lambda_client.list_functions()["Functions"]}

    # THEN there is one per template function
    assert set(deployed) == {f"{STACK}-{logical_id}" for logical_id in FUNCTIONS}
    for logical_id, service in FUNCTIONS.items():
        config = deployed[f"{STACK}-{logical_id}"]
        # AND Globals apply to each
        assert config["Runtime"] == "python3.12"
        assert config["Handler"] == "app.lambda_handler"
        variables = config["Environment"]["Variables"]
        assert variables["DATA_BUCKET"] == stack.bucket
        assert variables["RAW_PREFIX"] == "raw/"
        assert variables["PARQUET_PREFIX"] == "parquet_files/orders/"
        assert variables["CRAWLER_NAME"] == "etl_serverless_parquet"
        assert variables["CRAWL_POLL_INTERVAL_SECONDS"] == "30"
        assert variables["POWERTOOLS_METRICS_NAMESPACE"] == "OrdersEtl"
        # AND the function's own variables are merged in, not replacing the global ones
        assert variables["POWERTOOLS_SERVICE_NAME"] == service
    # AND scalar properties of a function override Globals, others keep the global value
    assert deployed[f"{STACK}-FlattenOrdersFunction"]["Timeout"] == 300
    assert deployed[f"{STACK}-FlattenOrdersFunction"]["MemorySize"] == 2048
    assert deployed[f"{STACK}-ValidateOrderFileFunction"]["MemorySize"] == 1024
    assert deployed[f"{STACK}-StartCrawlFunction"]["Timeout"] == 60
    assert deployed[f"{STACK}-StartCrawlFunction"]["MemorySize"] == 512


def test_state_machine_definition_is_fully_substituted(stack: Any) -> None:
    # GIVEN the deployed state machine
    definition = stack.client("stepfunctions").describe_state_machine(stateMachineArn=stack.state_machine_arn)[
        "definition"
    ]

    # THEN no ${...} placeholder is left, it is valid JSON, and every task calls a deployed function by ARN
    assert not re.search(r"\$\{[^}]*\}", definition)
    states = json.loads(definition)["States"]
    called = {s["Parameters"]["FunctionName"] for s in states.values() if s["Type"] == "Task"}
    arns = {f["FunctionArn"]: f["FunctionName"] for f in stack.client("lambda").list_functions()["Functions"]}
    # every function but the backfill's summary, which only the Backfill state machine calls
    assert called == {arn for arn, name in arns.items() if not name.endswith("SummarizeBackfillFunction")}
    assert len(called) == len(FUNCTIONS) - 1


def test_rule_routes_new_raw_order_files_of_the_bucket_to_the_state_machine(stack: Any) -> None:
    events = stack.client("events")
    # GIVEN the deployed rule
    pattern = rule_pattern(events)
    (rule,) = events.list_rules()["Rules"]

    # THEN it matches Object Created in this bucket under raw/, and targets the state machine
    assert pattern["source"] == ["aws.s3"]
    assert pattern["detail-type"] == ["Object Created"]
    assert pattern["detail"]["bucket"]["name"] == [stack.bucket]
    assert {"wildcard": "raw/*.json"} in pattern["detail"]["object"]["key"]
    (target,) = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
    assert target["Arn"] == stack.state_machine_arn


def test_crawler_targets_the_parquet_table_prefix(stack: Any) -> None:
    # GIVEN / WHEN the deployed crawler is described
    crawler = stack.client("glue").get_crawler(Name=stack.outputs["CrawlerName"])["Crawler"]

    # THEN it crawls the Parquet prefix into the stack's database, deleting vanished partitions
    assert crawler["Targets"]["S3Targets"] == [{"Path": f"s3://{stack.bucket}/parquet_files/orders/"}]
    assert crawler["DatabaseName"] == stack.outputs["GlueDatabaseName"]
    assert crawler["SchemaChangePolicy"]["DeleteBehavior"] == "DELETE_FROM_DATABASE"
    assert crawler["Role"].endswith(f":role/{STACK}-CrawlerRole")
    assert stack.client("glue").get_database(Name="orders_etl")["Database"]["Name"] == "orders_etl"


def test_bucket_sends_its_object_events_to_eventbridge(stack: Any) -> None:
    # GIVEN the deployed bucket and a probe rule sending its events to a queue (moto's
    # GetBucketNotificationConfiguration does not report EventBridgeConfiguration, so this checks the behaviour)
    sqs, events = stack.client("sqs"), stack.client("events")
    queue_url = sqs.create_queue(QueueName="probe")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pattern = {"source": ["aws.s3"], "detail": {"bucket": {"name": [stack.bucket]}}}
    events.put_rule(Name="probe", EventPattern=json.dumps(pattern), State="ENABLED")
    events.put_targets(Rule="probe", Targets=[{"Id": "queue", "Arn": queue_arn}])

    # WHEN an object outside raw/ is written (so the pipeline does not start)
    stack.client("s3").put_object(Bucket=stack.bucket, Key="probe/object.txt", Body=b"x")

    # THEN its Object Created event reached EventBridge
    messages = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=0).get("Messages", [])
    assert [json.loads(m["Body"])["detail"]["object"]["key"] for m in messages] == ["probe/object.txt"]
    assert stack.client("stepfunctions").list_executions(stateMachineArn=stack.state_machine_arn)["executions"] == []


def test_bucket_has_encryption_public_access_block_and_tls_only_policy(stack: Any) -> None:
    s3 = stack.client("s3")
    # GIVEN / WHEN the data bucket's configuration is read
    encryption = s3.get_bucket_encryption(Bucket=stack.bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    public_access = s3.get_public_access_block(Bucket=stack.bucket)["PublicAccessBlockConfiguration"]
    policy = json.loads(s3.get_bucket_policy(Bucket=stack.bucket)["Policy"])

    # THEN it encrypts, blocks public access and denies insecure transport
    assert encryption[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert public_access == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }
    (statement,) = policy["Statement"]
    assert statement["Sid"] == "DenyInsecureTransport"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert statement["Resource"] == [f"arn:aws:s3:::{stack.bucket}", f"arn:aws:s3:::{stack.bucket}/*"]
    # AND keeps replaced versions for 30 days
    assert s3.get_bucket_versioning(Bucket=stack.bucket)["Status"] == "Enabled"
    (rule,) = s3.get_bucket_lifecycle_configuration(Bucket=stack.bucket)["Rules"]
    assert (rule["Status"], rule["NoncurrentVersionExpiration"]["NoncurrentDays"]) == ("Enabled", 30)


def test_log_groups_have_retention(stack: Any) -> None:
    # GIVEN / WHEN the log groups are listed
    groups = {g["logGroupName"]: g for g in stack.client("logs").describe_log_groups()["logGroups"]}

    # THEN each function and the state machine has one, kept for LogRetentionDays
    expected = {f"/aws/lambda/{STACK}-{logical_id}" for logical_id in FUNCTIONS}
    expected.add(f"/aws/vendedlogs/states/{STACK}-order-pipeline")
    assert expected <= set(groups)
    assert all(groups[name].get("retentionInDays") == 30 for name in expected)


def test_athena_work_group_and_named_query(stack: Any) -> None:
    athena = stack.client("athena")
    # GIVEN / WHEN the work group is described
    work_group = athena.get_work_group(WorkGroup=stack.outputs["AthenaWorkGroupName"])["WorkGroup"]

    # THEN its results go to the data bucket and the template's named query is in it
    location = work_group["Configuration"]["ResultConfiguration"]["OutputLocation"]
    assert location == f"s3://{stack.bucket}/athena-results/"
    query_ids = athena.list_named_queries(WorkGroup=work_group["Name"])["NamedQueryIds"]
    names = [athena.get_named_query(NamedQueryId=i)["NamedQuery"]["Name"] for i in query_ids]
    assert names == ["revenue-by-category"]


# ---------- parameters ----------


def test_parameter_override_changes_the_rule_and_the_environment(embedded_aws: EmbeddedAws, aws: Any) -> None:
    # GIVEN a fresh endpoint (the aws fixture resets it)

    # WHEN the stack is deployed with RawPrefix incoming/
    outputs = embedded_aws.deploy(parameter_overrides={"RawPrefix": "incoming/"})

    # THEN the rule watches incoming/ and the functions are told so
    pattern = rule_pattern(aws.client("events"))
    keys = pattern["detail"]["object"]["key"]
    assert {"wildcard": "incoming/*.json"} in keys
    assert not any(k["wildcard"].startswith("raw/") for k in keys)
    config = aws.client("lambda").get_function_configuration(FunctionName=f"{STACK}-ValidateOrderFileFunction")
    assert config["Environment"]["Variables"]["RAW_PREFIX"] == "incoming/"
    assert outputs["DataBucketName"] == f"{STACK}-data-{ACCOUNT_ID}-us-east-1"


def test_unknown_parameter_override_is_refused_before_anything_is_created(embedded_aws: EmbeddedAws, aws: Any) -> None:
    # GIVEN a fresh endpoint (the aws fixture resets it)

    # WHEN a parameter the template does not declare is overridden
    with pytest.raises(ValueError, match="RawPrefixx"):
        embedded_aws.deploy(parameter_overrides={"RawPrefixx": "incoming/"})

    # THEN nothing was deployed
    assert aws.client("s3").list_buckets()["Buckets"] == []
    assert aws.client("lambda").list_functions()["Functions"] == []


def test_override_breaking_the_allowed_pattern_is_refused(embedded_aws: EmbeddedAws, aws: Any) -> None:
    # GIVEN a fresh endpoint and a RawPrefix without the trailing / its AllowedPattern requires
    # WHEN it is deployed / THEN it is refused, as CloudFormation refuses it
    with pytest.raises(ValueError, match="RawPrefix"):
        embedded_aws.deploy(parameter_overrides={"RawPrefix": "incoming"})


def test_unsupported_resource_type_is_refused(embedded_aws: EmbeddedAws, tmp_path: Path) -> None:
    # GIVEN a template with a resource type the deployer does not know
    template = tmp_path / "template.yaml"
    template.write_text(
        "Resources:\n"
        "  Queue:\n"
        "    Type: AWS::SQS::Queue\n"
        "  Bucket:\n"
        "    Type: AWS::S3::Bucket\n"
        "Outputs:\n"
        "  QueueName:\n"
        "    Value: !Ref Queue\n",
        encoding="utf-8",
    )
    deployer = StackDeployer(template_path=template, endpoint_url=embedded_aws.endpoint_url)

    # WHEN it is deployed / THEN it is refused, naming the type, before anything is created
    with pytest.raises(NotImplementedError, match="AWS::SQS::Queue"):
        deployer.deploy()


# ---------- intrinsic functions ----------


@pytest.fixture
def resolver() -> Resolver:
    def attribute(logical_id: str, name: str | None) -> str:
        return f"<{logical_id}>" if name is None else f"<{logical_id}.{name}>"

    return Resolver({"Env": "dev", "Port": "8080"}, stack_name="my-stack", region="eu-west-1", attribute=attribute)


@pytest.mark.parametrize(
    ("node", "expected"),
    [
        ({"Ref": "Env"}, "dev"),
        ({"Ref": "AWS::Region"}, "eu-west-1"),
        ({"Ref": "AWS::AccountId"}, ACCOUNT_ID),
        ({"Ref": "AWS::StackName"}, "my-stack"),
        ({"Ref": "AWS::Partition"}, "aws"),
        ({"Ref": "Bucket"}, "<Bucket>"),
        ({"Fn::GetAtt": ["Bucket", "Arn"]}, "<Bucket.Arn>"),
        ({"Fn::Sub": "${Bucket.Arn}/${Env}/*"}, "<Bucket.Arn>/dev/*"),
        ({"Fn::Sub": "${AWS::StackName}-${AWS::Region}-${Bucket}"}, "my-stack-eu-west-1-<Bucket>"),
        ({"Fn::Sub": "${!Literal} and ${Env}"}, "${Literal} and dev"),
        ({"Fn::Sub": ["${Name}:${Port}", {"Name": {"Ref": "Env"}}]}, "dev:8080"),
        ({"Fn::Join": ["-", ["a", {"Ref": "Env"}, {"Fn::GetAtt": ["Fn", "Arn"]}]]}, "a-dev-<Fn.Arn>"),
        ({"Fn::Select": [1, ["x", {"Ref": "Env"}]]}, "dev"),
        (
            {"List": [{"Ref": "Env"}, 3], "Nested": {"Key": {"Ref": "Port"}}},
            {"List": ["dev", 3], "Nested": {"Key": "8080"}},
        ),
    ],
    ids=[
        "ref-parameter",
        "ref-region",
        "ref-account",
        "ref-stack-name",
        "ref-partition",
        "ref-resource",
        "getatt",
        "sub-attribute-and-parameter",
        "sub-pseudo-and-resource",
        "sub-escape",
        "sub-variables",
        "join",
        "select",
        "nested",
    ],
)
def test_resolver_evaluates_intrinsics(resolver: Resolver, node: Any, expected: Any) -> None:
    # GIVEN a node with intrinsic functions / WHEN resolved / THEN it is the value CloudFormation would produce
    assert resolver.resolve(node) == expected


def test_resolver_refuses_unsupported_intrinsics(resolver: Resolver) -> None:
    # GIVEN an intrinsic the deployer does not implement / WHEN resolved / THEN it is an error, not left as is
    with pytest.raises(NotImplementedError, match="Fn::If"):
        resolver.resolve({"Fn::If": ["IsProd", "a", "b"]})


def test_load_template_turns_short_forms_into_long_forms(tmp_path: Path) -> None:
    # GIVEN a template written with the YAML short forms
    path = tmp_path / "template.yaml"
    path.write_text(
        "A: !Ref Env\n"
        "B: !GetAtt Bucket.Arn\n"
        "C: !Sub '${Bucket}/x'\n"
        "D: !Join ['-', [a, !Ref Env]]\n"
        "E: !Select [0, [x, y]]\n",
        encoding="utf-8",
    )

    # WHEN it is loaded
    document = load_template(path)

    # THEN each tag is its long form
    assert document == {
        "A": {"Ref": "Env"},
        "B": {"Fn::GetAtt": ["Bucket", "Arn"]},
        "C": {"Fn::Sub": "${Bucket}/x"},
        "D": {"Fn::Join": ["-", ["a", {"Ref": "Env"}]]},
        "E": {"Fn::Select": [0, ["x", "y"]]},
    }


def test_globals_merge_maps_and_replace_scalars_and_lists() -> None:
    # GIVEN Globals and a function's own properties
    base = {"Timeout": 60, "Layers": ["a"], "Environment": {"Variables": {"A": "1", "B": "2"}}}
    own = {"Timeout": 300, "Layers": ["b"], "Environment": {"Variables": {"B": "3", "C": "4"}}}

    # WHEN merged / THEN maps merge key by key, scalars and lists are replaced (SAM semantics)
    assert _merge_globals(base, own) == {
        "Timeout": 300,
        "Layers": ["b"],
        "Environment": {"Variables": {"A": "1", "B": "3", "C": "4"}},
    }
    assert base["Environment"] == {"Variables": {"A": "1", "B": "2"}}


def test_backfill_definition_is_fully_substituted_and_calls_deployed_functions(stack: Any) -> None:
    sfn = stack.client("stepfunctions")
    definition = sfn.describe_state_machine(stateMachineArn=stack.outputs["BackfillStateMachineArn"])["definition"]
    assert not re.search(r"\$\{[^}]*\}", definition)
    called = set(re.findall(r'"FunctionName": "([^"]+)"', definition))
    arns = {f["FunctionArn"] for f in stack.client("lambda").list_functions()["Functions"]}
    assert called <= arns and len(called) == 6
