"""embedded_aws.cloudformation_stack: the deployed stack as CloudFormation's API describes it on AWS."""

from __future__ import annotations

import json
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from embedded_aws.cfn_template import ACCOUNT_ID, load_template, stack_id
from embedded_aws.cloudformation_stack import Deployment, register
from embedded_aws.deploy import StackDeployer
from embedded_aws.server import PROJECT_ROOT, TEMPLATE, EmbeddedAws
from support import Stack

STACK = "orders-etl"
REGION = "us-east-1"
# The capabilities `sam deploy` acknowledges for this project (samconfig.toml).
SAM_CAPABILITIES = tomllib.loads((PROJECT_ROOT / "samconfig.toml").read_text())["default"]["deploy"]["parameters"][
    "capabilities"
].split()

# A stack whose resources the deployer can create again (CreateTopic and PutDashboard create or update): a second
# deployment under the same name is an update. `Alerts` exists only when Environment is prod.
SMALL_TEMPLATE = """\
Description: A small stack
Parameters:
  Environment:
    Type: String
    Default: dev
  ApiKey:
    Type: String
    NoEcho: true
Conditions:
  IsProd: !Equals [!Ref Environment, prod]
Resources:
  Topic:
    Type: AWS::SNS::Topic
  Alerts:
    Type: AWS::SNS::Topic
    Condition: IsProd
  Dashboard:
    Type: AWS::CloudWatch::Dashboard
    Properties:
      DashboardName: !Sub "${AWS::StackName}-board"
      DashboardBody: !Sub '{"widgets": [], "environment": "${Environment}"}'
Outputs:
  TopicArn:
    Description: Where the news goes
    Value: !Ref Topic
    Export:
      Name: !Sub "${AWS::StackName}-topic"
  AlertsArn:
    Condition: IsProd
    Value: !Ref Alerts
"""


def error_of(call: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as raised:
        call()
    return {
        "Code": raised.value.response["Error"]["Code"],
        "Message": raised.value.response["Error"]["Message"],
        "Status": raised.value.response["ResponseMetadata"]["HTTPStatusCode"],
    }


def deploy_small(embedded_aws: EmbeddedAws, tmp_path: Path, name: str = "small", **overrides: str) -> dict[str, str]:
    template = tmp_path / "template.yaml"
    template.write_text(SMALL_TEMPLATE, encoding="utf-8")
    return StackDeployer(
        template_path=template,
        endpoint_url=embedded_aws.endpoint_url,
        stack_name=name,
        parameter_overrides={"ApiKey": "s3cr3t", **overrides},
    ).deploy()


def translated_template() -> dict[str, Any]:
    """template.yaml after the SAM transform, as the deployer made it."""
    template: dict[str, Any] = StackDeployer(template_path=TEMPLATE, endpoint_url="http://127.0.0.1:1").template
    return template


# ---------- DescribeStacks ----------


def test_the_deployed_stack_is_described_with_its_id_status_outputs_and_parameters(stack: Stack) -> None:
    # GIVEN template.yaml deployed / WHEN the stack is described by name
    before = datetime.now(UTC)
    (described,) = stack.client("cloudformation").describe_stacks(StackName=STACK)["Stacks"]

    # THEN it is the stack whose AWS::StackId the deployer resolved, created and complete, never updated
    assert described["StackId"] == stack_id(STACK, REGION)
    assert (described["StackName"], described["StackStatus"]) == (STACK, "CREATE_COMPLETE")
    assert described["CreationTime"] <= before and "LastUpdatedTime" not in described
    template = load_template(TEMPLATE)
    assert described["Description"] == template["Description"]
    # AND its outputs are those the deploy returned, each with the template's description
    assert {o["OutputKey"]: o["OutputValue"] for o in described["Outputs"]} == stack.outputs
    assert {o["OutputKey"]: o["Description"] for o in described["Outputs"]} == {
        key: spec["Description"] for key, spec in template["Outputs"].items()
    }
    # AND every parameter is listed with the value used: here each default
    assert described["Parameters"] == [
        {"ParameterKey": name, "ParameterValue": str(spec["Default"])} for name, spec in template["Parameters"].items()
    ]
    # AND what `sam deploy` acknowledges, no tags, drift never checked
    assert described["Capabilities"] == SAM_CAPABILITIES
    assert described["Tags"] == []
    assert described["DriftInformation"] == {"StackDriftStatus": "NOT_CHECKED"}
    # AND the stack id finds it as well as the name
    by_id = stack.client("cloudformation").describe_stacks(StackName=described["StackId"])["Stacks"]
    assert [s["StackName"] for s in by_id] == [STACK]


def test_parameters_show_the_values_used_and_mask_no_echo_ones(
    embedded_aws: EmbeddedAws, aws: Any, tmp_path: Path
) -> None:
    # GIVEN a stack deployed with one parameter given (NoEcho) and one left to its default
    deploy_small(embedded_aws, tmp_path)

    # WHEN it is described
    (described,) = aws.client("cloudformation").describe_stacks(StackName="small")["Stacks"]

    # THEN the default is shown, the NoEcho value is masked as CloudFormation masks it
    assert described["Parameters"] == [
        {"ParameterKey": "Environment", "ParameterValue": "dev"},
        {"ParameterKey": "ApiKey", "ParameterValue": "****"},
    ]
    # AND a stack without IAM resources needs no capability
    assert described["Capabilities"] == []


def test_a_named_iam_resource_needs_capability_named_iam(embedded_aws: EmbeddedAws, aws: Any, tmp_path: Path) -> None:
    # GIVEN a stack with a role the template names
    template = tmp_path / "template.yaml"
    template.write_text(
        "Resources:\n  Role:\n    Type: AWS::IAM::Role\n    Properties:\n      RoleName: named-role\n"
        "      AssumeRolePolicyDocument:\n        Statement:\n          - Effect: Allow\n"
        "            Principal: {Service: lambda.amazonaws.com}\n            Action: sts:AssumeRole\n",
        encoding="utf-8",
    )
    StackDeployer(template_path=template, endpoint_url=embedded_aws.endpoint_url, stack_name="named").deploy()

    # WHEN it is described / THEN its deployment acknowledged CAPABILITY_NAMED_IAM, as CloudFormation requires
    (described,) = aws.client("cloudformation").describe_stacks(StackName="named")["Stacks"]
    assert described["Capabilities"] == ["CAPABILITY_NAMED_IAM"]


def test_an_exported_output_has_its_export_name_and_is_listed_as_an_export(
    embedded_aws: EmbeddedAws, aws: Any, tmp_path: Path
) -> None:
    # GIVEN a stack whose TopicArn output is exported, and AlertsArn conditional (false here)
    outputs = deploy_small(embedded_aws, tmp_path)
    cloudformation = aws.client("cloudformation")

    # WHEN it is described / THEN the output has its description and export name; the conditional one is absent
    (described,) = cloudformation.describe_stacks(StackName="small")["Stacks"]
    assert described["Outputs"] == [
        {
            "OutputKey": "TopicArn",
            "OutputValue": outputs["TopicArn"],
            "Description": "Where the news goes",
            "ExportName": "small-topic",
        }
    ]
    # AND ListExports lists it, exported by the stack
    assert cloudformation.list_exports()["Exports"] == [
        {"ExportingStackId": stack_id("small", REGION), "Name": "small-topic", "Value": outputs["TopicArn"]}
    ]


def test_an_export_name_another_stack_exports_fails_the_deployment_before_anything_is_created(
    embedded_aws: EmbeddedAws, aws: Any, tmp_path: Path
) -> None:
    # GIVEN a stack exporting "small-topic"
    deploy_small(embedded_aws, tmp_path)
    template = tmp_path / "other.yaml"
    template.write_text(
        "Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n"
        "Outputs:\n  Arn:\n    Value: !Ref Topic\n    Export:\n      Name: small-topic\n",
        encoding="utf-8",
    )

    # WHEN another stack exports the same name / THEN it is refused, and its topic never created
    with pytest.raises(ValueError, match="small-topic is already exported"):
        StackDeployer(template_path=template, endpoint_url=embedded_aws.endpoint_url, stack_name="other").deploy()
    topics = [t["TopicArn"] for t in aws.client("sns").list_topics()["Topics"]]
    assert not any(":other-" in arn for arn in topics)


def test_a_second_deployment_of_a_stack_name_is_an_update(embedded_aws: EmbeddedAws, aws: Any, tmp_path: Path) -> None:
    # GIVEN a stack deployed once
    deploy_small(embedded_aws, tmp_path)
    cloudformation = aws.client("cloudformation")
    (first,) = cloudformation.describe_stacks(StackName="small")["Stacks"]
    created = {
        r["LogicalResourceId"]: r
        for r in cloudformation.list_stack_resources(StackName="small")["StackResourceSummaries"]
    }

    # WHEN it is deployed again with Environment=prod (the dashboard changes, Alerts now exists)
    deploy_small(embedded_aws, tmp_path, Environment="prod")

    # THEN it is the same stack, updated
    (second,) = cloudformation.describe_stacks(StackName="small")["Stacks"]
    assert (second["StackId"], second["CreationTime"]) == (first["StackId"], first["CreationTime"])
    assert second["StackStatus"] == "UPDATE_COMPLETE"
    assert second["LastUpdatedTime"] > second["CreationTime"]
    assert {"ParameterKey": "Environment", "ParameterValue": "prod"} in second["Parameters"]
    assert [o["OutputKey"] for o in second["Outputs"]] == ["TopicArn", "AlertsArn"]
    # AND the changed resource is updated, the new one created, the unchanged one left as it was
    resources = {
        r["LogicalResourceId"]: r
        for r in cloudformation.list_stack_resources(StackName="small")["StackResourceSummaries"]
    }
    assert {name: r["ResourceStatus"] for name, r in resources.items()} == {
        "Topic": "CREATE_COMPLETE",
        "Alerts": "CREATE_COMPLETE",
        "Dashboard": "UPDATE_COMPLETE",
    }
    assert resources["Topic"]["LastUpdatedTimestamp"] == created["Topic"]["LastUpdatedTimestamp"]
    assert resources["Dashboard"]["LastUpdatedTimestamp"] > created["Dashboard"]["LastUpdatedTimestamp"]
    # AND the events tell the update, newest first
    events = [
        (e["LogicalResourceId"], e["ResourceStatus"])
        for e in cloudformation.describe_stack_events(StackName="small")["StackEvents"]
    ]
    update = events[: events.index(("small", "UPDATE_IN_PROGRESS")) + 1]
    assert update[0] == ("small", "UPDATE_COMPLETE")
    assert set(update[1:-1]) == {
        ("Alerts", "CREATE_IN_PROGRESS"),
        ("Alerts", "CREATE_COMPLETE"),
        ("Dashboard", "UPDATE_IN_PROGRESS"),
        ("Dashboard", "UPDATE_COMPLETE"),
    }
    # AND ListStacks says so
    (summary,) = cloudformation.list_stacks(StackStatusFilter=["UPDATE_COMPLETE"])["StackSummaries"]
    assert (summary["StackName"], summary["LastUpdatedTime"]) == ("small", second["LastUpdatedTime"])


# ---------- resources ----------


def test_every_resource_of_the_translated_template_is_listed_with_its_physical_id(stack: Stack) -> None:
    # GIVEN template.yaml deployed with its defaults (NotificationEmail empty: its subscription's condition is false)
    translated = translated_template()["Resources"]
    assert translated["NotificationEmailSubscription"]["Condition"] == "HasNotificationEmail"
    cloudformation = stack.client("cloudformation")

    # WHEN the stack's resources are listed
    (described,) = cloudformation.describe_stacks(StackName=STACK)["Stacks"]
    summaries = cloudformation.list_stack_resources(StackName=STACK)["StackResourceSummaries"]

    # THEN each resource the transform made is there with its type, but the one whose condition is false
    listed = {s["LogicalResourceId"]: s for s in summaries}
    assert set(listed) == set(translated) - {"NotificationEmailSubscription"}
    assert {name: s["ResourceType"] for name, s in listed.items()} == {
        name: translated[name]["Type"] for name in listed
    }
    assert "AWS::Serverless::Function" not in {s["ResourceType"] for s in summaries}
    # AND each is complete, at a time of the stack's creation, drift never checked
    now = datetime.now(UTC)
    for summary in summaries:
        assert summary["ResourceStatus"] == "CREATE_COMPLETE"
        assert described["CreationTime"] <= summary["LastUpdatedTimestamp"] <= now
        assert summary["DriftInformation"] == {"StackResourceDriftStatus": "NOT_CHECKED"}
    # AND each physical id is what the service calls that resource
    ids = {name: s["PhysicalResourceId"] for name, s in listed.items()}
    for kind, deployed in deployed_ids(stack).items():
        assert {ids[name] for name, s in listed.items() if s["ResourceType"] == kind} == deployed, kind
    assert ids["DataBucketPolicy"] == stack.bucket
    assert ids["CrawlEventQueuePolicy"].startswith(f"{STACK}-CrawlEventQueuePolicy")
    assert ids["OrdersEtlLayer907dfcd2d9"].startswith(f"arn:aws:lambda:{REGION}:")


def deployed_ids(stack: Stack) -> dict[str, set[str]]:
    """Each resource type's identifiers as its own service lists them: names, ARNs, queue URLs, query ids."""
    lambda_client, events = stack.client("lambda"), stack.client("events")
    functions = [f["FunctionName"] for f in lambda_client.list_functions()["Functions"]]
    statements = {
        statement["Sid"] for function in functions for statement in _policy_statements(lambda_client, function)
    }
    return {
        "AWS::IAM::Role": {r["RoleName"] for r in stack.client("iam").list_roles()["Roles"]},
        "AWS::Lambda::Function": set(functions),
        "AWS::Lambda::Permission": statements,
        "AWS::SQS::Queue": set(stack.client("sqs").list_queues()["QueueUrls"]),
        "AWS::SNS::Topic": {t["TopicArn"] for t in stack.client("sns").list_topics()["Topics"]},
        "AWS::S3::Bucket": {b["Name"] for b in stack.client("s3").list_buckets()["Buckets"]},
        "AWS::StepFunctions::StateMachine": {
            m["stateMachineArn"] for m in stack.client("stepfunctions").list_state_machines()["stateMachines"]
        },
        "AWS::Events::Rule": {r["Name"] for r in events.list_rules()["Rules"]},
        "AWS::Logs::LogGroup": {g["logGroupName"] for g in stack.client("logs").describe_log_groups()["logGroups"]},
        "AWS::Glue::Database": {d["Name"] for d in stack.client("glue").get_databases()["DatabaseList"]},
        "AWS::Glue::Crawler": set(stack.client("glue").list_crawlers()["CrawlerNames"]),
        "AWS::Athena::WorkGroup": {
            w["Name"] for w in stack.client("athena").list_work_groups()["WorkGroups"] if w["Name"] != "primary"
        },
        "AWS::Athena::NamedQuery": set(stack.client("athena").list_named_queries(WorkGroup=STACK)["NamedQueryIds"]),
        "AWS::CloudWatch::Alarm": {
            a["AlarmName"] for a in stack.client("cloudwatch").describe_alarms()["MetricAlarms"]
        },
        "AWS::CloudWatch::Dashboard": {
            d["DashboardName"] for d in stack.client("cloudwatch").list_dashboards()["DashboardEntries"]
        },
    }


def _policy_statements(lambda_client: Any, function: str) -> list[dict[str, Any]]:
    try:
        statements: list[dict[str, Any]] = json.loads(lambda_client.get_policy(FunctionName=function)["Policy"])[
            "Statement"
        ]
    except lambda_client.exceptions.ResourceNotFoundException:
        return []
    return statements


def test_a_resource_whose_condition_holds_is_the_stacks(embedded_aws: EmbeddedAws, aws: Any) -> None:
    # GIVEN the stack deployed with a NotificationEmail (its subscription's condition holds)
    embedded_aws.deploy(parameter_overrides={"NotificationEmail": "ops@example.com"})
    cloudformation = aws.client("cloudformation")

    # WHEN its subscription is described
    detail = cloudformation.describe_stack_resource(StackName=STACK, LogicalResourceId="NotificationEmailSubscription")[
        "StackResourceDetail"
    ]

    # THEN its physical id is the subscription's ARN
    (subscription,) = aws.client("sns").list_subscriptions()["Subscriptions"]
    assert (detail["ResourceType"], detail["PhysicalResourceId"]) == (
        "AWS::SNS::Subscription",
        subscription["SubscriptionArn"],
    )
    # AND the parameter is shown with the value given
    (described,) = cloudformation.describe_stacks(StackName=STACK)["Stacks"]
    assert {"ParameterKey": "NotificationEmail", "ParameterValue": "ops@example.com"} in described["Parameters"]


def test_stack_resources_are_described_by_stack_by_logical_id_and_by_physical_id(stack: Stack) -> None:
    cloudformation = stack.client("cloudformation")
    listed = cloudformation.list_stack_resources(StackName=STACK)["StackResourceSummaries"]

    # WHEN the resources are described by stack name / THEN each listed one, with the stack's name and id
    described = cloudformation.describe_stack_resources(StackName=STACK)["StackResources"]
    assert [(r["LogicalResourceId"], r["PhysicalResourceId"], r["Timestamp"]) for r in described] == [
        (r["LogicalResourceId"], r["PhysicalResourceId"], r["LastUpdatedTimestamp"]) for r in listed
    ]
    assert {(r["StackName"], r["StackId"]) for r in described} == {(STACK, stack_id(STACK, REGION))}
    # AND by logical id, one; by the bucket's name (a physical id), the bucket's stack's resources
    (bucket,) = cloudformation.describe_stack_resources(StackName=STACK, LogicalResourceId="DataBucket")[
        "StackResources"
    ]
    assert bucket["PhysicalResourceId"] == stack.bucket
    by_physical_id = cloudformation.describe_stack_resources(PhysicalResourceId=stack.bucket)["StackResources"]
    assert len(by_physical_id) == len(listed)
    # AND one resource in detail, with its Metadata
    detail = cloudformation.describe_stack_resource(StackName=STACK, LogicalResourceId="DataBucket")[
        "StackResourceDetail"
    ]
    assert (detail["ResourceStatus"], detail["PhysicalResourceId"]) == ("CREATE_COMPLETE", stack.bucket)
    assert json.loads(detail["Metadata"]) == translated_template()["Resources"]["DataBucket"]["Metadata"]
    # AND a logical id the stack does not have is refused
    assert error_of(
        lambda: cloudformation.describe_stack_resource(
            StackName=STACK, LogicalResourceId="NotificationEmailSubscription"
        )
    ) == {
        "Code": "ValidationError",
        "Message": f"Resource NotificationEmailSubscription does not exist for stack {STACK}",
        "Status": 400,
    }


def test_describe_stack_resources_gives_the_first_100_only(embedded_aws: EmbeddedAws, aws: Any, tmp_path: Path) -> None:
    # GIVEN a stack of 101 resources
    template = tmp_path / "template.yaml"
    template.write_text(
        "Resources:\n" + "".join(f"  Topic{n:03}:\n    Type: AWS::SNS::Topic\n" for n in range(101)),
        encoding="utf-8",
    )
    StackDeployer(template_path=template, endpoint_url=embedded_aws.endpoint_url, stack_name="many").deploy()
    cloudformation = aws.client("cloudformation")

    # WHEN its resources are described, and listed / THEN "only the first 100 resources" are described
    described = cloudformation.describe_stack_resources(StackName="many")["StackResources"]
    listed = cloudformation.list_stack_resources(StackName="many")["StackResourceSummaries"]
    assert (len(described), len(listed)) == (100, 101)


# ---------- template and events ----------


def test_the_template_is_given_as_written_and_as_processed(stack: Stack) -> None:
    cloudformation = stack.client("cloudformation")

    original = cloudformation.get_template(StackName=STACK, TemplateStage="Original")
    processed = cloudformation.get_template(StackName=STACK)  # Processed, by default

    assert original["TemplateBody"] == TEMPLATE.read_text(encoding="utf-8")
    assert processed["TemplateBody"] == translated_template()  # boto3 decodes a JSON body
    assert original["StagesAvailable"] == processed["StagesAvailable"] == ["Original", "Processed"]


def test_events_tell_the_creation_newest_first(stack: Stack) -> None:
    cloudformation = stack.client("cloudformation")

    events = cloudformation.describe_stack_events(StackName=STACK)["StackEvents"]

    stack_events = [e for e in events if e["ResourceType"] == "AWS::CloudFormation::Stack"]
    assert [(e["ResourceStatus"], e.get("ResourceStatusReason")) for e in stack_events] == [
        ("CREATE_COMPLETE", None),
        ("CREATE_IN_PROGRESS", "User Initiated"),
    ]
    assert (events[0], events[-1]) == (stack_events[0], stack_events[1])
    assert [e["Timestamp"] for e in events] == sorted((e["Timestamp"] for e in events), reverse=True)
    resources = cloudformation.list_stack_resources(StackName=STACK)["StackResourceSummaries"]
    for resource in resources:
        own = [e for e in events if e["LogicalResourceId"] == resource["LogicalResourceId"]]
        assert [e["ResourceStatus"] for e in own] == ["CREATE_COMPLETE", "CREATE_IN_PROGRESS"]
        assert own[0]["PhysicalResourceId"] == resource["PhysicalResourceId"]


def test_the_stack_is_listed_among_moto_stacks_which_keep_motos_behaviour(stack: Stack) -> None:
    # GIVEN the deployed stack and a stack created through CloudFormation itself (moto's)
    cloudformation = stack.client("cloudformation")
    cloudformation.create_stack(
        StackName="plain", TemplateBody=json.dumps({"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}})
    )

    # WHEN stacks are listed and described / THEN both are there, each as it is
    summaries = {s["StackName"]: s for s in cloudformation.list_stacks()["StackSummaries"]}
    assert {name: s["StackStatus"] for name, s in summaries.items()} == {
        "plain": "CREATE_COMPLETE",
        STACK: "CREATE_COMPLETE",
    }
    assert summaries[STACK]["TemplateDescription"] == load_template(TEMPLATE)["Description"]
    assert [s["StackName"] for s in cloudformation.describe_stacks()["Stacks"]] == ["plain", STACK]
    (topic,) = cloudformation.list_stack_resources(StackName="plain")["StackResourceSummaries"]
    assert topic["ResourceType"] == "AWS::SNS::Topic"
    assert cloudformation.list_stacks(StackStatusFilter=["UPDATE_COMPLETE"])["StackSummaries"] == []


# ---------- what the embedded AWS refuses or forgets ----------


@pytest.mark.parametrize(
    "call",
    [
        "describe_stacks",
        "list_stack_resources",
        "describe_stack_resources",
        "get_template",
        "describe_stack_events",
    ],
)
def test_an_unknown_stack_is_a_validation_error(call: str, aws: Any) -> None:
    cloudformation = aws.client("cloudformation")
    assert error_of(lambda: getattr(cloudformation, call)(StackName="no-such-stack")) == {
        "Code": "ValidationError",
        "Message": "Stack with id no-such-stack does not exist",
        "Status": 400,
    }


def test_a_reset_forgets_the_stack(embedded_aws: EmbeddedAws, stack: Stack) -> None:
    cloudformation = stack.client("cloudformation")
    assert cloudformation.describe_stacks(StackName=STACK)["Stacks"]

    embedded_aws.reset()

    assert error_of(lambda: cloudformation.describe_stacks(StackName=STACK))["Message"] == (
        f"Stack with id {STACK} does not exist"
    )
    assert cloudformation.list_stacks()["StackSummaries"] == []


def test_deleting_or_updating_the_stack_is_refused_and_creating_it_again_is_already_exists(stack: Stack) -> None:
    cloudformation = stack.client("cloudformation")
    body = json.dumps({"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}})

    deleted = error_of(lambda: cloudformation.delete_stack(StackName=STACK))
    updated = error_of(lambda: cloudformation.update_stack(StackName=STACK, TemplateBody=body))
    created = error_of(lambda: cloudformation.create_stack(StackName=STACK, TemplateBody=body))

    assert (deleted["Code"], deleted["Status"]) == ("ValidationError", 400)
    assert "neither updates nor deletes" in deleted["Message"] and "a reset of the embedded AWS" in deleted["Message"]
    assert (updated["Code"], updated["Message"].split(":")[0]) == (
        "ValidationError",
        f"UpdateStack is not supported for stack {STACK}",
    )
    assert created == {"Code": "AlreadyExistsException", "Message": f"Stack {STACK} already exists", "Status": 400}
    (described,) = cloudformation.describe_stacks(StackName=STACK)["Stacks"]
    assert described["StackStatus"] == "CREATE_COMPLETE"
    assert stack.client("s3").head_bucket(Bucket=stack.bucket)


def test_a_stack_cannot_be_registered_for_an_endpoint_this_process_does_not_serve() -> None:
    # GIVEN a deployment to an endpoint of another process (moto's backend here is not the one that answers there)
    deployment = Deployment(
        endpoint_url="http://127.0.0.1:1",
        account_id=ACCOUNT_ID,
        region=REGION,
        stack_name="elsewhere",
        stack_id=stack_id("elsewhere", REGION),
        description=None,
        parameters=[],
        outputs=[],
        capabilities=[],
        original_template="Resources: {}",
        processed_template={"Resources": {}},
        resources=[],
        started=datetime.now(UTC),
    )
    # WHEN it is registered / THEN it is refused rather than recorded where nobody would see it
    with pytest.raises(RuntimeError, match="not an embedded AWS of this process"):
        register(deployment)
