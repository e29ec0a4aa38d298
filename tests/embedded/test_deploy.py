"""embedded_aws.deploy and cfn_template: template.yaml deployed through the public APIs, intrinsics resolved."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from embedded_aws.cfn_names import InvalidName, check_name, generated_name
from embedded_aws.cfn_template import ACCOUNT_ID, Resolver, load_template, stack_id
from embedded_aws.deploy import StackDeployer
from embedded_aws.server import TEMPLATE, EmbeddedAws
from support import Stack, order, product

# Logical id of each function -> its POWERTOOLS_SERVICE_NAME in template.yaml.
FUNCTIONS = {
    "ValidateOrderFileFunction": "validate_order_file",
    "FlattenOrdersFunction": "flatten_orders",
    "StartCrawlFunction": "start_crawl",
    "CheckCrawlFunction": "check_crawl",
    "QuarantineOrderFileFunction": "quarantine_order_file",
    "SummarizeBackfillFunction": "summarize_backfill",
    "PinLatestVersionFunction": "pin_latest_version",
}
BACKFILL_ONLY = ("SummarizeBackfillFunction", "PinLatestVersionFunction")
# Invoked by EventBridge when an execution does not succeed, by no state machine.
NOTIFIER = "NotifyFailedExecutionFunction"
ALL_FUNCTIONS = FUNCTIONS | {NOTIFIER: "notify_failed_execution"}
STACK = "orders-etl"
REGION = "us-east-1"
# The UUID at the end of the stack's id (AWS::StackId), which names the backfill state machine.
STACK_UUID = stack_id(STACK, REGION).rsplit("/", 1)[1]
# CloudFormation's name for the unnamed DataBucket: <stack>-<logical id>-<12 characters>, in lower case.
GENERATED_BUCKET_NAME = rf"{STACK}-databucket-[a-z2-7]{{12}}"
# What SAM attaches to every function role: logs, and X-Ray because Globals set `Tracing: Active`.
LAMBDA_BASIC_EXECUTION = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
XRAY_WRITE_ONLY = "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess"


def pipeline_rule(events: Any) -> dict[str, Any]:
    """The rule that starts the pipeline (the other one, the notifier's, targets a function)."""
    (rule,) = [
        rule
        for rule in events.list_rules()["Rules"]
        if any(":states:" in t["Arn"] for t in events.list_targets_by_rule(Rule=rule["Name"])["Targets"])
    ]
    return dict(rule)


def rule_pattern(events: Any) -> dict[str, Any]:
    pattern: dict[str, Any] = json.loads(pipeline_rule(events)["EventPattern"])
    return pattern


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def role_name(role_arn: str) -> str:
    return role_arn.rsplit("/", 1)[1]


def trusted_services(iam: Any, role_arn: str) -> set[str]:
    document = iam.get_role(RoleName=role_name(role_arn))["Role"]["AssumeRolePolicyDocument"]
    return {service for s in document["Statement"] for service in as_list(s["Principal"]["Service"])}


def inline_statements(iam: Any, role_arn: str) -> list[dict[str, Any]]:
    name = role_name(role_arn)
    documents = [
        iam.get_role_policy(RoleName=name, PolicyName=policy)["PolicyDocument"]
        for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]
    ]
    return [statement for document in documents for statement in as_list(document["Statement"])]


def allowed_resources(statements: list[dict[str, Any]], action: str) -> set[str]:
    return {
        resource
        for s in statements
        if s["Effect"] == "Allow" and action in as_list(s["Action"])
        for resource in as_list(s["Resource"])
    }


def attached_policies(iam: Any, role_arn: str) -> set[str]:
    attached = iam.list_attached_role_policies(RoleName=role_name(role_arn))["AttachedPolicies"]
    return {policy["PolicyArn"] for policy in attached}


def template_resolver(bucket: str) -> Resolver:
    """Resolves template.yaml's own properties as deployed with the default parameters."""
    parameters = {name: str(spec["Default"]) for name, spec in load_template(TEMPLATE)["Parameters"].items()}

    def attribute(logical_id: str, name: str | None) -> str:
        if (logical_id, name) in (("CrawlEventQueue", "Arn"), ("CrawlEventDeadLetterQueue", "Arn")):
            return f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{STACK}-{logical_id}"
        assert (logical_id, name) == ("DataBucket", "Arn"), f"the test resolves no {logical_id}.{name}"
        return f"arn:aws:s3:::{bucket}"

    return Resolver(parameters, stack_name=STACK, region=REGION, attribute=attribute)


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
        "NotificationTopicArn",
        "NotificationDeadLetterQueueUrl",
        "DashboardName",
    }
    assert (stack.outputs["RawPrefix"], stack.outputs["QuarantinePrefix"]) == ("raw/", "quarantine/")
    assert stack.outputs["BackfillStateMachineArn"].endswith(f":stateMachine:backfill-{STACK_UUID}")
    assert re.fullmatch(GENERATED_BUCKET_NAME, stack.outputs["DataBucketName"])
    assert stack.outputs["CrawlerName"] == "etl_serverless_parquet"
    assert stack.outputs["GlueDatabaseName"] == "orders_etl"
    assert stack.outputs["AthenaWorkGroupName"] == STACK
    described = stack.client("stepfunctions").describe_state_machine(stateMachineArn=stack.state_machine_arn)
    assert described["stateMachineArn"] == stack.state_machine_arn


def test_functions_have_globals_merged_with_their_own_properties(stack: Any) -> None:
    lambda_client = stack.client("lambda")
    # GIVEN the deployed stack / WHEN its functions are listed
    deployed = {f["FunctionName"]: f for f in lambda_client.list_functions()["Functions"]}

    # THEN there is one per template function
    assert set(deployed) == {f"{STACK}-{logical_id}" for logical_id in ALL_FUNCTIONS}
    for logical_id, service in ALL_FUNCTIONS.items():
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
    assert deployed[f"{STACK}-FlattenOrdersFunction"]["Timeout"] == 900
    assert deployed[f"{STACK}-FlattenOrdersFunction"]["MemorySize"] == 1024
    assert deployed[f"{STACK}-ValidateOrderFileFunction"]["MemorySize"] == 2048
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
    # every function but the backfill's own, which only the Backfill state machine calls
    assert called == {arn for arn, name in arns.items() if not name.endswith((*BACKFILL_ONLY, NOTIFIER))}
    assert len(called) == len(FUNCTIONS) - len(BACKFILL_ONLY)


def test_rule_routes_new_raw_order_files_of_the_bucket_to_the_state_machine(stack: Any) -> None:
    events = stack.client("events")
    # GIVEN the deployed rule
    pattern = rule_pattern(events)
    rule = pipeline_rule(events)

    # THEN it matches Object Created in this bucket under raw/, and targets the state machine
    assert pattern["source"] == ["aws.s3"]
    assert pattern["detail-type"] == ["Object Created"]
    assert pattern["detail"]["bucket"]["name"] == [stack.bucket]
    assert pattern["detail"]["object"]["key"] == [{"prefix": "raw/"}]  # every key: Validate sorts them out
    (target,) = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
    assert target["Arn"] == stack.state_machine_arn


def test_crawler_targets_the_parquet_table_prefix(stack: Any) -> None:
    # GIVEN / WHEN the deployed crawler is described
    crawler = stack.client("glue").get_crawler(Name=stack.outputs["CrawlerName"])["Crawler"]

    # THEN it crawls the Parquet prefix into the stack's database, deleting vanished partitions, in event mode
    queues = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{STACK}-CrawlEvent"
    assert crawler["Targets"]["S3Targets"] == [
        {
            "Path": f"s3://{stack.bucket}/parquet_files/orders/",
            "EventQueueArn": f"{queues}Queue",
            "DlqEventQueueArn": f"{queues}DeadLetterQueue",
        }
    ]
    assert crawler["RecrawlPolicy"] == {"RecrawlBehavior": "CRAWL_EVENT_MODE"}
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


def test_bucket_sends_the_parquet_prefix_object_events_to_the_crawl_event_queue(stack: Any) -> None:
    sqs, s3 = stack.client("sqs"), stack.client("s3")
    # GIVEN the deployed crawl event queue, encrypted, keeping messages 14 days, with a dead-letter queue
    url = sqs.get_queue_url(QueueName=f"{STACK}-CrawlEventQueue")["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (attributes["SqsManagedSseEnabled"], attributes["MessageRetentionPeriod"]) == ("true", "1209600")
    redrive = json.loads(attributes["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"].endswith(f":{STACK}-CrawlEventDeadLetterQueue")
    # AND a policy letting S3 of this account, and nobody else, send to it
    (statement,) = json.loads(attributes["Policy"])["Statement"]
    assert (statement["Principal"], statement["Action"]) == ({"Service": "s3.amazonaws.com"}, "sqs:SendMessage")
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}
    sqs.purge_queue(QueueUrl=url)  # S3's s3:TestEvent and anything before

    # WHEN a Parquet object is written and removed, and an object outside the Parquet prefix written
    stack.pause_pipeline()
    s3.put_object(Bucket=stack.bucket, Key="parquet_files/orders/dt=2025-01-01/probe.parquet", Body=b"x")
    s3.delete_object(Bucket=stack.bucket, Key="parquet_files/orders/dt=2025-01-01/probe.parquet")
    s3.put_object(Bucket=stack.bucket, Key="raw/probe.txt", Body=b"x")

    # THEN the queue got the Parquet object's creation and removal, nothing else
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    records = [record for m in messages for record in json.loads(m["Body"])["Records"]]
    assert sorted(r["eventName"] for r in records) == ["ObjectCreated:Put", "ObjectRemoved:DeleteMarkerCreated"]


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
    rule, _ = s3.get_bucket_lifecycle_configuration(Bucket=stack.bucket)["Rules"]
    assert (rule["Status"], rule["NoncurrentVersionExpiration"]["NoncurrentDays"]) == ("Enabled", 30)


def test_log_groups_have_retention(stack: Any) -> None:
    # GIVEN / WHEN the log groups are listed
    groups = {g["logGroupName"]: g for g in stack.client("logs").describe_log_groups()["logGroups"]}

    # THEN each function and the state machine has one, kept for LogRetentionDays
    expected = {f"/aws/lambda/{STACK}-{logical_id}" for logical_id in ALL_FUNCTIONS}
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
    # AND it has the rest of the template's configuration: results encrypted, the configuration enforced
    assert work_group["Configuration"]["ResultConfiguration"]["EncryptionConfiguration"] == {
        "EncryptionOption": "SSE_S3"
    }
    assert work_group["Configuration"]["EnforceWorkGroupConfiguration"] is True
    assert work_group["Configuration"]["PublishCloudWatchMetricsEnabled"] is True
    query_ids = athena.list_named_queries(WorkGroup=work_group["Name"])["NamedQueryIds"]
    names = [athena.get_named_query(NamedQueryId=i)["NamedQuery"]["Name"] for i in query_ids]
    assert names == ["revenue-by-category"]


# ---------- the roles SAM generates ----------


def test_state_machine_roles_may_invoke_exactly_their_functions(stack: Any) -> None:
    sfn, iam = stack.client("stepfunctions"), stack.client("iam")
    function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{STACK}-{{}}*"
    expected = {
        stack.state_machine_arn: {function_arn.format(f) for f in FUNCTIONS if f not in BACKFILL_ONLY},
        stack.outputs["BackfillStateMachineArn"]: {function_arn.format(f) for f in FUNCTIONS},
    }
    for state_machine_arn, functions in expected.items():
        # GIVEN a deployed state machine / WHEN its role is read
        role_arn = sfn.describe_state_machine(stateMachineArn=state_machine_arn)["roleArn"]

        # THEN Step Functions may assume it
        assert trusted_services(iam, role_arn) == {"states.amazonaws.com"}
        # AND it may invoke exactly its functions, as SAM expands LambdaInvokePolicy (name + "*": versions, aliases)
        assert allowed_resources(inline_statements(iam, role_arn), "lambda:InvokeFunction") == functions
        # AND it has SAM's policy for Tracing
        assert attached_policies(iam, role_arn) == {XRAY_WRITE_ONLY}


def test_function_roles_have_sams_managed_policies_and_their_template_statements(stack: Any) -> None:
    lambda_client, iam = stack.client("lambda"), stack.client("iam")
    resources = load_template(TEMPLATE)["Resources"]
    resolver = template_resolver(stack.bucket)
    roles = set()
    for logical_id in FUNCTIONS:
        # GIVEN a deployed function / WHEN its role is read
        role_arn = lambda_client.get_function_configuration(FunctionName=f"{STACK}-{logical_id}")["Role"]
        roles.add(role_arn)

        # THEN Lambda may assume it, with SAM's managed policies for logs and X-Ray attached
        assert trusted_services(iam, role_arn) == {"lambda.amazonaws.com"}
        assert attached_policies(iam, role_arn) == {LAMBDA_BASIC_EXECUTION, XRAY_WRITE_ONLY}
        # AND its inline statements are exactly the function's statements in template.yaml
        policies = resources[logical_id]["Properties"]["Policies"]
        expected = [statement for policy in policies for statement in resolver.resolve(policy["Statement"])]
        assert inline_statements(iam, role_arn) == expected
    # AND each function has a role of its own
    assert len(roles) == len(FUNCTIONS)


def test_rule_target_role_is_trusted_by_eventbridge_and_may_only_start_the_state_machine(stack: Any) -> None:
    events, iam = stack.client("events"), stack.client("iam")
    # GIVEN the deployed rule / WHEN its target is read
    rule = pipeline_rule(events)
    (target,) = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]

    # THEN its role is its own (not the state machine's), one EventBridge may assume
    machine_role = stack.client("stepfunctions").describe_state_machine(stateMachineArn=stack.state_machine_arn)
    assert target["RoleArn"] != machine_role["roleArn"]
    assert trusted_services(iam, target["RoleArn"]) == {"events.amazonaws.com"}
    # AND it allows states:StartExecution on the state machine, and nothing else
    statements = inline_statements(iam, target["RoleArn"])
    assert {action for s in statements for action in as_list(s["Action"])} == {"states:StartExecution"}
    assert allowed_resources(statements, "states:StartExecution") == {stack.state_machine_arn}
    assert attached_policies(iam, target["RoleArn"]) == set()
    # AND the template's retry policy is kept
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 86400}


def test_crawler_role_is_deployed_from_the_template(stack: Any) -> None:
    iam = stack.client("iam")
    # GIVEN the deployed crawler / WHEN its role is read
    role_arn = stack.client("glue").get_crawler(Name=stack.outputs["CrawlerName"])["Crawler"]["Role"]

    # THEN Glue may assume it, and its policy is the template's, resolved
    assert trusted_services(iam, role_arn) == {"glue.amazonaws.com"}
    (policy,) = load_template(TEMPLATE)["Resources"]["CrawlerRole"]["Properties"]["Policies"]
    assert iam.list_role_policies(RoleName=role_name(role_arn))["PolicyNames"] == [policy["PolicyName"]]
    deployed = iam.get_role_policy(RoleName=role_name(role_arn), PolicyName=policy["PolicyName"])["PolicyDocument"]
    assert deployed == template_resolver(stack.bucket).resolve(policy["PolicyDocument"])
    assert attached_policies(iam, role_arn) == set()


def test_generated_names_stay_within_their_limits_for_a_long_stack_name(embedded_aws: EmbeddedAws, aws: Any) -> None:
    # GIVEN a fresh endpoint and a stack name that makes `<stack>-<LogicalId>` of the rule's role 75 characters
    stack_name = "orders-etl-with-a-long-name-01"
    deployer = StackDeployer(template_path=TEMPLATE, endpoint_url=embedded_aws.endpoint_url, stack_name=stack_name)

    # WHEN the stack is deployed twice, from scratch
    deployer.deploy()
    first = {r["RoleName"] for r in aws.client("iam").list_roles()["Roles"]}
    embedded_aws.reset()
    deployer.deploy()
    iam, events = aws.client("iam"), aws.client("events")
    roles = {r["RoleName"] for r in iam.list_roles()["Roles"]}

    # THEN every role name is at most 64 characters, the same in both deployments, and starts with the stack name
    # (its first 25 characters where the whole name would not fit: CloudFormation shares 50 between the stack
    # name and the logical id, and adds a hyphen and 12 characters of its own)
    assert roles == first
    assert all(len(name) <= 64 and name.startswith(stack_name[:25]) for name in roles)
    assert len(roles) == len(ALL_FUNCTIONS) + 4  # + both state machines, the rule's target, the crawler
    # AND the shortened role is the one the rule's target uses, allowed to start the state machine
    rule = pipeline_rule(events)
    (target,) = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
    assert re.fullmatch(rf"{stack_name[:25]}-OrderPipelineStateMachine-[A-Z2-7]{{12}}", role_name(target["RoleArn"]))
    assert role_name(target["RoleArn"]) in roles
    assert allowed_resources(inline_statements(iam, target["RoleArn"]), "states:StartExecution") == {target["Arn"]}


@pytest.mark.slow  # 3-8 s: in `make test-slow` and .ci/run, to keep `make test` near 4 minutes
def test_any_stack_name_cloudformation_accepts_gives_a_stack_that_works(embedded_aws: EmbeddedAws, aws: Any) -> None:
    # GIVEN a fresh endpoint and the longest stack name CloudFormation accepts (128 characters), with capitals
    stack_name = "Orders-ETL-" + "Production" * 10 + "-EU-West-1-Team-D"
    assert len(stack_name) == 128

    # WHEN the template is deployed under it
    outputs = StackDeployer(
        template_path=TEMPLATE, endpoint_url=embedded_aws.endpoint_url, stack_name=stack_name
    ).deploy()

    # THEN the bucket has a name S3 accepts: lower case, 63 characters, from the stack name as far as it fits
    bucket = outputs["DataBucketName"]
    assert re.fullmatch(rf"{stack_name[:39].lower()}-databucket-[a-z2-7]{{12}}", bucket)
    # AND the state machines (at most 80 characters), the work group and the log groups have valid names
    machines = [m["name"] for m in aws.client("stepfunctions").list_state_machines()["stateMachines"]]
    assert len(machines) == 2 and all(len(name) <= 80 for name in machines)
    assert outputs["AthenaWorkGroupName"] == stack_name
    groups = [g["logGroupName"] for g in aws.client("logs").describe_log_groups()["logGroups"]]
    assert f"/aws/vendedlogs/states/{stack_name}-backfill" in groups
    # AND the stack works: a file goes through the pipeline, and a backfill (whose role names its own state
    # machine) runs it again, as each role of the stack
    stack = Stack(outputs=outputs, endpoint_url=embedded_aws.endpoint_url)
    (execution,) = stack.run(
        {"raw/long/orders.json": json.dumps([order("L-1", "2025-09-01", product("P", 1))]).encode()}
    )
    assert execution["status"] == "SUCCEEDED", stack.describe(execution).get("cause")
    sfn = stack.client("stepfunctions")
    backfill = sfn.start_execution(stateMachineArn=outputs["BackfillStateMachineArn"], name="long-name", input="{}")
    (finished,) = stack.wait_for([backfill["executionArn"]], timeout=120)
    assert finished["status"] == "SUCCEEDED", finished.get("cause")


def test_names_built_on_a_long_stack_name_are_refused_as_aws_refuses_them() -> None:
    # GIVEN names built on the stack name, as the template once did
    stack_name = "Orders-ETL-" + "Production" * 10 + "-EU-West-1-Team-D"
    # WHEN / THEN S3 refuses the bucket name, Step Functions the state machine's, Athena the work group's
    with pytest.raises(InvalidName, match="bucket name"):
        check_name("AWS::S3::Bucket", f"{stack_name}-data-{ACCOUNT_ID}-{REGION}")
    with pytest.raises(InvalidName, match="StateMachine"):
        check_name("AWS::StepFunctions::StateMachine", f"{stack_name}-backfill")
    with pytest.raises(InvalidName, match="WorkGroup"):
        check_name("AWS::Athena::WorkGroup", f"{stack_name}-orders")


@pytest.mark.parametrize("stack_name", ["1-starts-with-a-digit", "has_underscore", "A" * 129])
def test_a_stack_name_cloudformation_refuses_is_refused(embedded_aws: EmbeddedAws, stack_name: str) -> None:
    with pytest.raises(InvalidName, match="stack name"):
        StackDeployer(template_path=TEMPLATE, endpoint_url=embedded_aws.endpoint_url, stack_name=stack_name)


@pytest.mark.parametrize(
    ("stack_name", "logical_id", "kind", "expected"),
    [
        # Real CloudFormation names of a 26-character stack: S3 keeps 25 + 24 characters, IAM 25 + 25.
        (
            "ChineseboostAnalyticsStack",
            "RainlyticsLogsBucket8DF4E2A1",
            "AWS::S3::Bucket",
            "chineseboostanalyticsstac-rainlyticslogsbucket8df4-",
        ),
        (
            "ChineseboostAnalyticsStack",
            "RainlyticsSummariesJobFunctionServiceRole",
            "AWS::IAM::Role",
            "ChineseboostAnalyticsStac-RainlyticsSummariesJobFun-",
        ),
        # A short logical id leaves the rest of the 49 characters to the stack name.
        ("S" * 128, "DataBucket", "AWS::S3::Bucket", "s" * 39 + "-databucket-"),
        ("orders-etl", "DataBucket", "AWS::S3::Bucket", "orders-etl-databucket-"),
    ],
)
def test_generated_names_are_cut_as_cloudformation_cuts_them(
    stack_name: str, logical_id: str, kind: str, expected: str
) -> None:
    name = generated_name(kind, stack_name, logical_id, REGION)
    assert name.startswith(expected) and len(name) == len(expected) + 12
    check_name(kind, name)


# ---------- lifecycle ----------


def test_replaced_versions_their_delete_markers_and_abandoned_uploads_expire(stack: Any) -> None:
    # GIVEN / WHEN the deployed bucket's lifecycle configuration is read
    rule, staging = stack.client("s3").get_bucket_lifecycle_configuration(Bucket=stack.bucket)["Rules"]

    # THEN, for the whole bucket, replaced versions go after 30 days, then the delete markers left with no
    # version behind them, and multipart uploads not completed within 7 days
    assert (rule["Status"], rule["Filter"]) == ("Enabled", {"Prefix": ""})
    assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": 30}
    assert rule["Expiration"] == {"ExpiredObjectDeleteMarker": True}
    assert rule["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 7}
    # AND Parquet staged for a Flatten that never ran goes once its execution can no longer be redriven (14 days)
    assert (staging["Status"], staging["Filter"]) == ("Enabled", {"Prefix": "manifests/orders/staging/"})
    assert staging["Expiration"] == {"Days": 14}


def test_a_lifecycle_rule_s3_refuses_fails_the_deployment(embedded_aws: EmbeddedAws, aws: Any, tmp_path: Path) -> None:
    # GIVEN a rule expiring delete markers and current versions together, which S3 does not accept
    template = tmp_path / "template.yaml"
    template.write_text(
        "Resources:\n"
        "  Bucket:\n"
        "    Type: AWS::S3::Bucket\n"
        "    Properties:\n"
        "      LifecycleConfiguration:\n"
        "        Rules:\n"
        "          - Id: Both\n"
        "            Status: Enabled\n"
        "            ExpirationInDays: 30\n"
        "            ExpiredObjectDeleteMarker: true\n",
        encoding="utf-8",
    )

    # WHEN it is deployed / THEN S3 answers as AWS does: the XML "did not validate against our published schema"
    with pytest.raises(ClientError, match="MalformedXML"):
        StackDeployer(template_path=template, endpoint_url=embedded_aws.endpoint_url).deploy()


# ---------- parameters ----------


def test_parameter_override_changes_the_rule_and_the_environment(embedded_aws: EmbeddedAws, aws: Any) -> None:
    # GIVEN a fresh endpoint (the aws fixture resets it)

    # WHEN the stack is deployed with RawPrefix incoming/
    outputs = embedded_aws.deploy(parameter_overrides={"RawPrefix": "incoming/"})

    # THEN the rule watches incoming/ and the functions are told so
    pattern = rule_pattern(aws.client("events"))
    keys = pattern["detail"]["object"]["key"]
    assert keys == [{"prefix": "incoming/"}]
    config = aws.client("lambda").get_function_configuration(FunctionName=f"{STACK}-ValidateOrderFileFunction")
    assert config["Environment"]["Variables"]["RAW_PREFIX"] == "incoming/"
    assert re.fullmatch(GENERATED_BUCKET_NAME, outputs["DataBucketName"])


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
        "  Table:\n"
        "    Type: AWS::DynamoDB::Table\n"
        "  Bucket:\n"
        "    Type: AWS::S3::Bucket\n"
        "Outputs:\n"
        "  TableName:\n"
        "    Value: !Ref Table\n",
        encoding="utf-8",
    )
    deployer = StackDeployer(template_path=template, endpoint_url=embedded_aws.endpoint_url)

    # WHEN it is deployed / THEN it is refused, naming the type, before anything is created
    with pytest.raises(NotImplementedError, match="AWS::DynamoDB::Table"):
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


def test_resolver_evaluates_conditions_as_cloudformation_does() -> None:
    conditions = {
        "HasEmail": {"Fn::Not": [{"Fn::Equals": [{"Ref": "Email"}, ""]}]},
        "IsDev": {"Fn::Equals": ["dev", {"Ref": "Env"}]},
        "Both": {"Fn::And": [{"Condition": "HasEmail"}, {"Condition": "IsDev"}]},
        "Either": {"Fn::Or": [{"Condition": "HasEmail"}, {"Condition": "IsDev"}]},
    }

    def resolver(email: str) -> Resolver:
        return Resolver({"Env": "dev", "Email": email}, "s", "eu-west-1", lambda *_: "", conditions)

    assert [resolver("").condition_holds(c) for c in conditions] == [False, True, False, True]
    assert [resolver("a@b.c").condition_holds(c) for c in conditions] == [True, True, True, True]
    with pytest.raises(KeyError, match="Unknown"):
        resolver("").condition_holds("Unknown")


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


def test_backfill_definition_is_fully_substituted_and_calls_deployed_functions(stack: Any) -> None:
    sfn = stack.client("stepfunctions")
    definition = sfn.describe_state_machine(stateMachineArn=stack.outputs["BackfillStateMachineArn"])["definition"]
    assert not re.search(r"\$\{[^}]*\}", definition)
    called = set(re.findall(r'"FunctionName": "([^"]+)"', definition))
    arns = {f["FunctionArn"] for f in stack.client("lambda").list_functions()["Functions"]}
    assert called <= arns and len(called) == 7


# ---------- notifications, alarms, dashboard ----------
PIPELINE_EXECUTIONS = f"arn:aws:states:{REGION}:{ACCOUNT_ID}:execution:{STACK}-OrderPipelineStateMachine:*"
BACKFILL_EXECUTIONS = f"arn:aws:states:{REGION}:{ACCOUNT_ID}:execution:backfill-{STACK_UUID}:*"


def test_the_notification_topic_is_encrypted_and_has_no_subscriber_by_default(stack: Any) -> None:
    sns = stack.client("sns")
    topic = stack.outputs["NotificationTopicArn"]

    attributes = sns.get_topic_attributes(TopicArn=topic)["Attributes"]

    assert topic == f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:{STACK}-NotificationTopic"
    assert attributes["KmsMasterKeyId"] == "alias/aws/sns"
    assert sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == []


def test_a_notification_email_is_subscribed_to_the_topic(embedded_aws: EmbeddedAws, aws: Any) -> None:
    # GIVEN / WHEN the stack is deployed with NotificationEmail (the condition creates the subscription)
    outputs = embedded_aws.deploy(parameter_overrides={"NotificationEmail": "ops@example.com"})

    # THEN the address is the topic's one subscriber, by email
    (subscription,) = aws.client("sns").list_subscriptions_by_topic(TopicArn=outputs["NotificationTopicArn"])[
        "Subscriptions"
    ]
    assert (subscription["Protocol"], subscription["Endpoint"]) == ("email", "ops@example.com")


def test_an_address_that_is_not_one_is_refused(embedded_aws: EmbeddedAws, aws: Any) -> None:
    with pytest.raises(ValueError, match="NotificationEmail"):
        embedded_aws.deploy(parameter_overrides={"NotificationEmail": "ops at example.com"})


def test_the_notifier_is_invoked_by_rules_on_the_failed_ends_of_both_machines_and_a_backfills_success(
    stack: Any,
) -> None:
    events, lambda_client, sqs = stack.client("events"), stack.client("lambda"), stack.client("sqs")
    notifier = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{STACK}-{NOTIFIER}"
    dead_letters = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{STACK}-NotificationDeadLetterQueue"
    # GIVEN the deployed stack / WHEN the rules targeting the notifier are read
    rules = [r for r in events.list_rules()["Rules"] if r["Name"] != pipeline_rule(events)["Name"]]
    patterns = {json.dumps(json.loads(r["EventPattern"])["detail"], sort_keys=True): r for r in rules}

    # THEN one matches the failed, timed out and aborted executions of the two state machines, the other a
    # backfill that succeeded (it may have left files behind)
    failed = {
        "status": ["FAILED", "TIMED_OUT", "ABORTED"],
        "stateMachineArn": [stack.state_machine_arn, stack.outputs["BackfillStateMachineArn"]],
    }
    backfill_succeeded = {"status": ["SUCCEEDED"], "stateMachineArn": [stack.outputs["BackfillStateMachineArn"]]}
    assert set(patterns) == {json.dumps(d, sort_keys=True) for d in (failed, backfill_succeeded)}
    for rule in rules:
        pattern = json.loads(rule["EventPattern"])
        assert (pattern["source"], pattern["detail-type"]) == (
            ["aws.states"],
            ["Step Functions Execution Status Change"],
        )
    # AND both invoke the notifier (no role: the function's policy lets EventBridge in, for these rules only)
    statements = json.loads(lambda_client.get_policy(FunctionName=notifier)["Policy"])["Statement"]
    assert all(
        (s["Principal"], s["Action"]) == ({"Service": "events.amazonaws.com"}, "lambda:InvokeFunction")
        for s in statements
    )
    assert sorted(s["Condition"]["ArnLike"]["AWS:SourceArn"] for s in statements) == sorted(r["Arn"] for r in rules)
    # AND what they cannot deliver, and what the notifier fails to send after Lambda's retries, go to one queue,
    # which admits EventBridge for these rules only
    for rule in rules:
        (target,) = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
        assert target["Arn"] == notifier and "RoleArn" not in target
        assert target["DeadLetterConfig"] == {"Arn": dead_letters}
        assert target["RetryPolicy"] == {"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 86400}
    assert lambda_client.get_function_configuration(FunctionName=notifier)["DeadLetterConfig"] == {
        "TargetArn": dead_letters
    }
    url = stack.outputs["NotificationDeadLetterQueueUrl"]
    (admitted,) = json.loads(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"])[
        "Statement"
    ]
    assert admitted["Principal"] == {"Service": "events.amazonaws.com"}
    assert sorted(admitted["Condition"]["ArnEquals"]["aws:SourceArn"]) == sorted(r["Arn"] for r in rules)


def test_the_notifiers_role_reads_the_two_machines_executions_and_publishes_to_the_topic_only(stack: Any) -> None:
    iam = stack.client("iam")
    role_arn = stack.client("lambda").get_function_configuration(FunctionName=f"{STACK}-{NOTIFIER}")["Role"]

    statements = inline_statements(iam, role_arn)

    assert trusted_services(iam, role_arn) == {"lambda.amazonaws.com"}
    assert attached_policies(iam, role_arn) == {LAMBDA_BASIC_EXECUTION, XRAY_WRITE_ONLY}
    assert {action for s in statements for action in as_list(s["Action"])} == {
        "states:DescribeExecution",
        "states:GetExecutionHistory",
        "sns:Publish",
        "sqs:SendMessage",  # SAM's, for the function's dead-letter queue
    }
    for action in ("states:DescribeExecution", "states:GetExecutionHistory"):
        assert allowed_resources(statements, action) == {PIPELINE_EXECUTIONS, BACKFILL_EXECUTIONS}
    assert allowed_resources(statements, "sns:Publish") == {stack.outputs["NotificationTopicArn"]}
    dead_letters = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{STACK}-NotificationDeadLetterQueue"
    assert allowed_resources(statements, "sqs:SendMessage") == {dead_letters}


def test_the_alarms_watch_failed_executions_and_quarantined_files_and_notify_nobody(stack: Any) -> None:
    alarms = {a["AlarmName"]: a for a in stack.client("cloudwatch").describe_alarms()["MetricAlarms"]}

    watched = {
        name.removeprefix(f"{STACK}-"): (
            a["Namespace"],
            a["MetricName"],
            [(d["Name"], d["Value"]) for d in a["Dimensions"]],
        )
        for name, a in alarms.items()
    }
    assert watched == {
        "PipelineExecutionsFailedAlarm": (
            "AWS/States",
            "ExecutionsFailed",
            [("StateMachineArn", stack.state_machine_arn)],
        ),
        "BackfillExecutionsFailedAlarm": (
            "AWS/States",
            "ExecutionsFailed",
            [("StateMachineArn", stack.outputs["BackfillStateMachineArn"])],
        ),
        "FilesQuarantinedAlarm": ("OrdersEtl", "FilesQuarantined", [("service", "quarantine_order_file")]),
    }
    for alarm in alarms.values():
        assert (alarm["Statistic"], alarm["Period"], alarm["EvaluationPeriods"]) == ("Sum", 300, 1)
        assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (1.0, "GreaterThanOrEqualToThreshold")
        assert alarm["TreatMissingData"] == "notBreaching"
        # the topic gets one message per failure from the notifier: an alarm action would send a second
        assert alarm["AlarmActions"] == [] and alarm["OKActions"] == []


def test_the_dashboard_charts_files_rows_failures_and_the_steps_durations(stack: Any) -> None:
    cloudwatch = stack.client("cloudwatch")
    name = stack.outputs["DashboardName"]

    body = json.loads(cloudwatch.get_dashboard(DashboardName=name)["DashboardBody"])

    assert name == f"{STACK}-pipeline"
    metrics = [tuple(m[:4]) for w in body["widgets"] if w["type"] == "metric" for m in w["properties"]["metrics"]]
    assert ("OrdersEtl", "FilesPublished", "service", "flatten_orders") in metrics
    assert ("OrdersEtl", "RowsWritten", "service", "flatten_orders") in metrics
    assert ("OrdersEtl", "FilesQuarantined", "service", "quarantine_order_file") in metrics
    assert ("AWS/States", "ExecutionsFailed", "StateMachineArn", stack.state_machine_arn) in metrics
    durations = {m[3] for m in metrics if m[:2] == ("AWS/Lambda", "Duration")}
    steps = ("ValidateOrderFile", "FlattenOrders", "QuarantineOrderFile", "StartCrawl", "CheckCrawl")
    assert durations == {f"{STACK}-{step}Function" for step in steps}
    (alarms,) = [w["properties"]["alarms"] for w in body["widgets"] if w["type"] == "alarm"]
    assert {a["AlarmArn"] for a in cloudwatch.describe_alarms()["MetricAlarms"]} == set(alarms)
