"""Deploying template.yaml into an AWS endpoint through the public APIs, as `sam deploy` would.

The SAM transform is aws-sam-translator's, the library `sam` itself uses: Globals, the execution role of each
function and state machine (policy templates expanded, managed policies attached) and the EventBridge rule with
its own role are what SAM generates, never a copy of SAM's rules here. The translated CloudFormation resources
are then created one by one; names, handlers, environment, substitutions, the rule pattern and the crawler
targets all come from the template. A resource type this deployer does not know is an error, so a template
change that needs deployer support cannot pass unnoticed. Once every resource exists, the deployment registers its
stack in the embedded AWS's CloudFormation (cloudformation_stack): DescribeStacks and the other stack calls then
answer for it as on AWS.
"""

from __future__ import annotations

import copy
import io
import json
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator

from embedded_aws import cloudformation_stack
from embedded_aws.cfn_names import check_name, check_stack_name, generated_name
from embedded_aws.cfn_template import ACCOUNT_ID, Resolver, load_template, stack_id
from embedded_aws.cloudformation_stack import DeployedResource, Deployment
from embedded_aws.credentials import admin_client, admin_session

# The translator wants S3 locations where the template names local paths (`sam package` would upload them):
# each becomes s3://embedded/<path>, as `sam validate` does, and the deployer reads <path> under the template.
_LOCAL_BUCKET = "embedded"
_LOCAL_URIS = {
    "AWS::Serverless::Function": "CodeUri",
    "AWS::Serverless::LayerVersion": "ContentUri",
    "AWS::Serverless::StateMachine": "DefinitionUri",
}
# The property holding a resource's name; without it CloudFormation generates one (cfn_names.generated_name).
_NAME_PROPERTIES = {
    "AWS::S3::Bucket": ("BucketName",),
    "AWS::Logs::LogGroup": ("LogGroupName",),
    "AWS::Glue::Database": ("DatabaseInput", "Name"),
    "AWS::Glue::Crawler": ("Name",),
    "AWS::Athena::WorkGroup": ("Name",),
    "AWS::Athena::NamedQuery": ("Name",),
    "AWS::IAM::Role": ("RoleName",),
    "AWS::Lambda::Function": ("FunctionName",),
    "AWS::Lambda::LayerVersion": ("LayerName",),
    "AWS::StepFunctions::StateMachine": ("StateMachineName",),
    "AWS::Events::Rule": ("Name",),
    "AWS::SQS::Queue": ("QueueName",),
    "AWS::SNS::Topic": ("TopicName",),
    "AWS::CloudWatch::Alarm": ("AlarmName",),
    "AWS::CloudWatch::Dashboard": ("DashboardName",),
}
# The embedded Lambda runtime imports src/ directly: the layer is referred to (its ARN), never built.
_NOT_DEPLOYED = {"AWS::Lambda::LayerVersion"}
# The types whose resources need CAPABILITY_IAM, or CAPABILITY_NAMED_IAM when one is named (CreateStack reference).
_IAM_TYPES = {
    "AWS::IAM::AccessKey",
    "AWS::IAM::Group",
    "AWS::IAM::InstanceProfile",
    "AWS::IAM::ManagedPolicy",
    "AWS::IAM::Policy",
    "AWS::IAM::Role",
    "AWS::IAM::User",
    "AWS::IAM::UserToGroupAddition",
}


@dataclass
class StackDeployer:
    template_path: Path
    endpoint_url: str
    stack_name: str = "orders-etl"
    region: str = "us-east-1"
    parameter_overrides: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_stack_name(self.stack_name)
        self.root = self.template_path.parent
        template = load_template(self.template_path)
        self.parameter_specs: dict[str, dict[str, Any]] = template.get("Parameters", {})
        parameters = {name: str(spec.get("Default", "")) for name, spec in self.parameter_specs.items()}
        unknown = set(self.parameter_overrides) - set(parameters)
        if unknown:
            raise ValueError(f"unknown template parameters: {sorted(unknown)}")
        parameters.update(self.parameter_overrides)
        for name, spec in self.parameter_specs.items():
            _check_parameter(name, parameters[name], spec)
        self.parameters = parameters
        self.template = translate(template, parameters, self.region)
        self.resources: dict[str, dict[str, Any]] = self.template["Resources"]
        self.resolver = Resolver(
            parameters, self.stack_name, self.region, self._attribute, self.template.get("Conditions", {})
        )
        # CloudFormation creates no resource (and no output) whose condition is false; referring to one fails.
        self.resources = {k: r for k, r in self.resources.items() if self._created(r)}
        # Physical ids only the service knows once the resource exists (a subscription's ARN, a named query's id).
        self.assigned_ids: dict[str, str] = {}

    def _created(self, resource: dict[str, Any]) -> bool:
        return "Condition" not in resource or self.resolver.condition_holds(resource["Condition"])

    # ---------- names and attributes, derived without creating anything ----------
    def _explicit_name(self, logical_id: str) -> Any:
        """The name the template gives the resource (unresolved), or None."""
        resource = self.resources[logical_id]
        path = _NAME_PROPERTIES.get(resource["Type"])
        explicit: Any = resource.get("Properties", {}) if path else None
        for key in path or ():
            explicit = explicit.get(key) if isinstance(explicit, dict) else None
        return explicit

    def _physical_name(self, logical_id: str) -> str:
        explicit = self._explicit_name(logical_id)
        if explicit is not None:
            return str(self.resolver.resolve(explicit))
        return generated_name(self.resources[logical_id]["Type"], self.stack_name, logical_id, self.region)

    def _physical_id(self, logical_id: str) -> str:
        """The PhysicalResourceId CloudFormation reports: what Ref returns (a name; an ARN for a state machine, layer
        or topic; a queue's URL). Where Ref is not documented, the resource schema's primary identifier: a bucket
        policy's bucket, a subscription's ARN, a named query's id, a permission's statement id, and a queue
        policy's "provider-assigned unique ID" (its form undocumented: named as unnamed resources are)."""
        kind = self.resources[logical_id]["Type"]
        if logical_id in self.assigned_ids:
            return self.assigned_ids[logical_id]
        if kind == "AWS::S3::BucketPolicy":
            return str(self._props(logical_id)["Bucket"])
        if kind == "AWS::SQS::QueuePolicy":
            return generated_name(kind, self.stack_name, logical_id, self.region)
        if kind == "AWS::Lambda::Permission":
            return self._statement_id(logical_id)
        return self._attribute(logical_id, None)

    def _statement_id(self, logical_id: str) -> str:
        """CloudFormation names a permission's statement itself; here after the stack and the logical id."""
        return generated_name("AWS::Lambda::Permission", self.stack_name, logical_id, self.region)

    def _attribute(self, logical_id: str, attribute: str | None) -> str:
        if logical_id not in self.resources:
            raise KeyError(f"template refers to unknown resource or parameter {logical_id!r}")
        kind = self.resources[logical_id]["Type"]
        name = self._physical_name(logical_id)
        arn_prefix = f"arn:aws:{{}}:{self.region}:{ACCOUNT_ID}"
        arns = {
            "AWS::S3::Bucket": f"arn:aws:s3:::{name}",
            "AWS::Lambda::Function": f"{arn_prefix.format('lambda')}:function:{name}",
            "AWS::Lambda::LayerVersion": f"{arn_prefix.format('lambda')}:layer:{name}:1",
            "AWS::StepFunctions::StateMachine": f"{arn_prefix.format('states')}:stateMachine:{name}",
            "AWS::Events::Rule": f"{arn_prefix.format('events')}:rule/{name}",
            "AWS::Logs::LogGroup": f"{arn_prefix.format('logs')}:log-group:{name}:*",
            "AWS::IAM::Role": f"arn:aws:iam::{ACCOUNT_ID}:role/{name}",
            "AWS::SQS::Queue": f"{arn_prefix.format('sqs')}:{name}",
            "AWS::SNS::Topic": f"{arn_prefix.format('sns')}:{name}",
            "AWS::CloudWatch::Alarm": f"{arn_prefix.format('cloudwatch')}:alarm:{name}",
        }
        if attribute is None:
            # Ref: state machines, layer versions and topics return their ARN, everything else its name.
            if kind in ("AWS::StepFunctions::StateMachine", "AWS::Lambda::LayerVersion", "AWS::SNS::Topic"):
                return arns[kind]
            if kind == "AWS::SQS::Queue":  # Ref of a queue is its URL
                return f"{self.endpoint_url}/{ACCOUNT_ID}/{name}"
            return name
        if (attribute == "Arn" or (kind, attribute) == ("AWS::SNS::Topic", "TopicArn")) and kind in arns:
            return arns[kind]
        if attribute == "Name" or (kind, attribute) == ("AWS::SNS::Topic", "TopicName"):
            return name
        raise NotImplementedError(f"GetAtt {logical_id}.{attribute} is not supported by the embedded deployer")

    def _props(self, logical_id: str) -> dict[str, Any]:
        props: dict[str, Any] = self.resolver.resolve(self.resources[logical_id].get("Properties", {}))
        return props

    def _local_path(self, bucket: str, key: str) -> Path:
        """The file or directory under the template that a placeholder S3 location stands for."""
        if bucket != _LOCAL_BUCKET:
            raise NotImplementedError(f"s3://{bucket}/{key}: the embedded deployer reads only local paths")
        return self.root / key

    # ---------- deployment ----------
    def deploy(self) -> dict[str, str]:
        """Create every resource, in an order that satisfies the references; register the stack in the embedded
        AWS's CloudFormation (cloudformation_stack); return the stack outputs."""
        order = [
            ("AWS::IAM::Role", self._role),
            # Queues before the bucket, whose notifications name them; a dead-letter queue must exist before
            # the queue whose RedrivePolicy names it, so redrive policies come once every queue exists.
            ("AWS::SQS::Queue", self._queue),
            ("AWS::SQS::Queue", self._queue_redrive_policy),
            ("AWS::SQS::QueuePolicy", self._queue_policy),
            ("AWS::SNS::Topic", self._topic),
            ("AWS::SNS::Subscription", self._subscription),
            ("AWS::S3::Bucket", self._bucket),
            ("AWS::S3::BucketPolicy", self._bucket_policy),
            ("AWS::Lambda::Function", self._function),
            ("AWS::Logs::LogGroup", self._log_group),
            ("AWS::Glue::Database", self._glue_database),
            ("AWS::Glue::Crawler", self._crawler),
            ("AWS::StepFunctions::StateMachine", self._state_machine),
            ("AWS::Events::Rule", self._rule),
            ("AWS::Lambda::Permission", self._permission),
            ("AWS::Athena::WorkGroup", self._work_group),
            ("AWS::Athena::NamedQuery", self._named_query),
            ("AWS::CloudWatch::Alarm", self._alarm),
            ("AWS::CloudWatch::Dashboard", self._dashboard),
        ]
        known = {kind for kind, _ in order} | _NOT_DEPLOYED
        unsupported = {r["Type"] for r in self.resources.values()} - known
        if unsupported:
            raise NotImplementedError(f"the embedded deployer does not support {sorted(unsupported)}")
        # A name the service refuses fails the stack on AWS, which then rolls back: here nothing is created.
        for logical_id, resource in self.resources.items():
            if resource["Type"] in _NAME_PROPERTIES:
                check_name(resource["Type"], self._physical_name(logical_id))
        outputs = self._outputs()
        self._check_exports(outputs)
        started = cloudformation_stack.now()
        times: dict[str, tuple[datetime, datetime]] = {}
        for kind, create in order:
            for logical_id, resource in self.resources.items():
                if resource["Type"] == kind:
                    began = cloudformation_stack.now()
                    create(logical_id)
                    times[logical_id] = (times.get(logical_id, (began,))[0], cloudformation_stack.now())
        cloudformation_stack.register(self._deployment(outputs, started, times))
        return {output["OutputKey"]: output["OutputValue"] for output in outputs}

    def _outputs(self) -> list[dict[str, str]]:
        """The stack's outputs as DescribeStacks gives them; none whose condition is false."""
        outputs = []
        for name, spec in self.template.get("Outputs", {}).items():
            if not self._created(spec):
                continue
            output = {"OutputKey": name, "OutputValue": str(self.resolver.resolve(spec["Value"]))}
            if "Description" in spec:
                output["Description"] = str(self.resolver.resolve(spec["Description"]))
            if "Export" in spec:
                output["ExportName"] = str(self.resolver.resolve(spec["Export"]["Name"]))
            outputs.append(output)
        return outputs

    def _check_exports(self, outputs: list[dict[str, str]]) -> None:
        """Export names are unique in a region: one another stack exports fails the deployment before anything
        is created, as CloudFormation's rollback leaves nothing."""
        names = {output["ExportName"] for output in outputs if "ExportName" in output}
        if not names:
            return
        ours = stack_id(self.stack_name, self.region)
        for page in self._client("cloudformation").get_paginator("list_exports").paginate():
            for export in page["Exports"]:
                if export["Name"] in names and export["ExportingStackId"] != ours:
                    raise ValueError(f"export {export['Name']} is already exported by {export['ExportingStackId']}")

    def _deployment(
        self, outputs: list[dict[str, str]], started: datetime, times: dict[str, tuple[datetime, datetime]]
    ) -> Deployment:
        """This deployment as the stack's record: parameters, outputs, the resources with their physical ids."""
        deployed_at = cloudformation_stack.now()
        resources = [
            DeployedResource(
                logical_id=logical_id,
                resource_type=resource["Type"],
                physical_id=self._physical_id(logical_id),
                properties=self._props(logical_id),
                started=times.get(logical_id, (deployed_at,))[0],
                completed=times.get(logical_id, (deployed_at, deployed_at))[1],
                metadata=resource.get("Metadata"),
            )
            for logical_id, resource in self.resources.items()
        ]
        description = self.template.get("Description")
        return Deployment(
            endpoint_url=self.endpoint_url,
            account_id=ACCOUNT_ID,
            region=self.region,
            stack_name=self.stack_name,
            stack_id=stack_id(self.stack_name, self.region),
            description=None if description is None else str(description),
            parameters=[
                (name, self.parameters[name], str(spec.get("NoEcho", "false")).lower() == "true")
                for name, spec in self.parameter_specs.items()
            ],
            outputs=outputs,
            capabilities=self._capabilities(),
            original_template=self.template_path.read_text(encoding="utf-8"),
            processed_template=self.template,
            resources=resources,
            started=started,
        )

    def _capabilities(self) -> list[str]:
        """What a deployment of this template acknowledges: "If you have IAM resources, you can specify either
        capability. If you have IAM resources with custom names, you must specify CAPABILITY_NAMED_IAM." (the
        transform's CAPABILITY_AUTO_EXPAND "doesn't apply to creating change sets", which `sam deploy` creates)."""
        iam = [logical_id for logical_id, r in self.resources.items() if r["Type"] in _IAM_TYPES]
        if not iam:
            return []
        named = any(self._explicit_name(logical_id) is not None for logical_id in iam)
        return ["CAPABILITY_NAMED_IAM" if named else "CAPABILITY_IAM"]

    def _client(self, service: str) -> Any:
        return admin_client(service, self.endpoint_url, self.region)

    def _role(self, logical_id: str) -> None:
        props = self._props(logical_id)
        iam = self._client("iam")
        name = self._physical_name(logical_id)
        optional = {k: props[k] for k in ("Description", "PermissionsBoundary", "Tags") if k in props}
        iam.create_role(
            RoleName=name,
            AssumeRolePolicyDocument=json.dumps(_versioned(props["AssumeRolePolicyDocument"])),
            **optional,
        )
        for policy in props.get("Policies", []):
            document = json.dumps(_versioned(policy["PolicyDocument"]))
            iam.put_role_policy(RoleName=name, PolicyName=policy["PolicyName"], PolicyDocument=document)
        for policy_arn in props.get("ManagedPolicyArns", []):
            iam.attach_role_policy(RoleName=name, PolicyArn=policy_arn)

    def _bucket(self, logical_id: str) -> None:
        props = self._props(logical_id)
        s3 = self._client("s3")
        name = self._physical_name(logical_id)
        s3.create_bucket(Bucket=name)
        if "NotificationConfiguration" in props:
            s3.put_bucket_notification_configuration(
                Bucket=name, NotificationConfiguration=_notification_configuration(props["NotificationConfiguration"])
            )
        if "BucketEncryption" in props:
            rules = [
                {"ApplyServerSideEncryptionByDefault": rule["ServerSideEncryptionByDefault"]}
                for rule in props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
            ]
            s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules})
        if "PublicAccessBlockConfiguration" in props:
            s3.put_public_access_block(
                Bucket=name, PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"]
            )
        if "VersioningConfiguration" in props:
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration=props["VersioningConfiguration"])
        if "LifecycleConfiguration" in props:
            s3.put_bucket_lifecycle_configuration(
                Bucket=name,
                LifecycleConfiguration={
                    "Rules": [_lifecycle_rule(r) for r in props["LifecycleConfiguration"]["Rules"]]
                },
            )

    def _bucket_policy(self, logical_id: str) -> None:
        props = self._props(logical_id)
        self._client("s3").put_bucket_policy(Bucket=props["Bucket"], Policy=json.dumps(props["PolicyDocument"]))

    def _queue(self, logical_id: str) -> None:
        props = self._props(logical_id)
        attributes = {k: _queue_attribute(v) for k, v in props.items() if k in _QUEUE_ATTRIBUTES}
        tags = {tag["Key"]: tag["Value"] for tag in props.get("Tags", [])}
        self._client("sqs").create_queue(QueueName=self._physical_name(logical_id), Attributes=attributes, tags=tags)

    def _queue_redrive_policy(self, logical_id: str) -> None:
        props = self._props(logical_id)
        if "RedrivePolicy" in props:
            url = self._attribute(logical_id, None)
            policy = _queue_attribute(props["RedrivePolicy"])
            self._client("sqs").set_queue_attributes(QueueUrl=url, Attributes={"RedrivePolicy": policy})

    def _queue_policy(self, logical_id: str) -> None:
        props = self._props(logical_id)
        for url in props["Queues"]:
            policy = json.dumps(props["PolicyDocument"])
            self._client("sqs").set_queue_attributes(QueueUrl=url, Attributes={"Policy": policy})

    def _function(self, logical_id: str) -> None:
        props = self._props(logical_id)
        optional: dict[str, Any] = {}
        if "EphemeralStorage" in props:
            optional["EphemeralStorage"] = {"Size": int(props["EphemeralStorage"]["Size"])}
        if "DeadLetterConfig" in props:  # where Lambda puts an asynchronous event that failed every attempt
            optional["DeadLetterConfig"] = props["DeadLetterConfig"]
        self._client("lambda").create_function(
            FunctionName=self._physical_name(logical_id),
            Runtime=props["Runtime"],
            Role=props["Role"],
            Handler=props["Handler"],
            Code={"ZipFile": _zip_directory(self._local_path(props["Code"]["S3Bucket"], props["Code"]["S3Key"]))},
            Description=props.get("Description", ""),
            Timeout=int(props.get("Timeout", 3)),
            MemorySize=int(props.get("MemorySize", 128)),
            Environment={
                "Variables": {k: str(v) for k, v in props.get("Environment", {}).get("Variables", {}).items()}
            },
            TracingConfig=props.get("TracingConfig", {"Mode": "PassThrough"}),
            Architectures=props.get("Architectures", ["x86_64"]),
            Tags={tag["Key"]: tag["Value"] for tag in props.get("Tags", [])},
            **optional,
        )

    def _log_group(self, logical_id: str) -> None:
        props = self._props(logical_id)
        logs = self._client("logs")
        logs.create_log_group(logGroupName=props["LogGroupName"])
        if "RetentionInDays" in props:
            logs.put_retention_policy(logGroupName=props["LogGroupName"], retentionInDays=int(props["RetentionInDays"]))

    def _glue_database(self, logical_id: str) -> None:
        self._client("glue").create_database(DatabaseInput=self._props(logical_id)["DatabaseInput"])

    def _crawler(self, logical_id: str) -> None:
        props = self._props(logical_id)
        allowed = ("Name", "Role", "DatabaseName", "Description", "Targets", "SchemaChangePolicy", "RecrawlPolicy")
        self._client("glue").create_crawler(
            **{k: v for k, v in props.items() if k in allowed}, Configuration=props.get("Configuration", "")
        )

    def _state_machine(self, logical_id: str) -> None:
        props = self._props(logical_id)
        location = props["DefinitionS3Location"]
        definition = self._local_path(location["Bucket"], location["Key"]).read_text(encoding="utf-8")
        for name, value in props.get("DefinitionSubstitutions", {}).items():
            definition = definition.replace("${" + name + "}", str(value))
        json.loads(definition)  # fail here, not at the first execution, if a substitution broke the JSON
        # CloudFormation spells these as the API does, but with a capital first letter.
        optional = _api_keys({k: props[k] for k in ("LoggingConfiguration", "TracingConfiguration") if k in props})
        self._client("stepfunctions").create_state_machine(
            name=self._physical_name(logical_id),
            definition=definition,
            roleArn=props["RoleArn"],
            type=props.get("StateMachineType", "STANDARD"),
            tags=_api_keys(props.get("Tags", [])),
            **optional,
        )

    def _rule(self, logical_id: str) -> None:
        props = self._props(logical_id)
        events = self._client("events")
        name = self._physical_name(logical_id)
        rule: dict[str, Any] = {
            k: props[k] for k in ("Description", "ScheduleExpression", "EventBusName") if k in props
        }
        if "EventPattern" in props:
            rule["EventPattern"] = json.dumps(props["EventPattern"])
        events.put_rule(Name=name, State=props.get("State", "ENABLED"), **rule)
        # Targets have the API's shape; only numbers that came from parameters are still strings.
        targets: list[dict[str, Any]] = props.get("Targets", [])
        for target in targets:
            if "RetryPolicy" in target:
                target["RetryPolicy"] = {k: int(v) for k, v in target["RetryPolicy"].items()}
        if targets:
            events.put_targets(Rule=name, EventBusName=props.get("EventBusName", "default"), Targets=targets)

    def _permission(self, logical_id: str) -> None:
        """A function's resource-based policy statement (SAM adds one per EventBridge rule that invokes it)."""
        props = self._props(logical_id)
        optional = {k: props[k] for k in ("SourceArn", "SourceAccount", "EventSourceToken") if k in props}
        self._client("lambda").add_permission(
            FunctionName=props["FunctionName"],
            StatementId=self._statement_id(logical_id),
            Action=props["Action"],
            Principal=props["Principal"],
            **optional,
        )

    def _topic(self, logical_id: str) -> None:
        props = self._props(logical_id)
        refuse_unsupported("topic properties", props, {"TopicName", "Tags", *_TOPIC_ATTRIBUTES})
        self._client("sns").create_topic(
            Name=self._physical_name(logical_id),
            Attributes={k: _queue_attribute(v) for k, v in props.items() if k in _TOPIC_ATTRIBUTES},
            Tags=props.get("Tags", []),
        )

    def _subscription(self, logical_id: str) -> None:
        props = self._props(logical_id)
        attributes = {k: _queue_attribute(v) for k, v in props.items() if k in _SUBSCRIPTION_ATTRIBUTES}
        refuse_unsupported("subscription", props, {"TopicArn", "Protocol", "Endpoint", *_SUBSCRIPTION_ATTRIBUTES})
        subscription = self._client("sns").subscribe(
            TopicArn=props["TopicArn"],
            Protocol=props["Protocol"],
            Endpoint=props["Endpoint"],
            Attributes=attributes,
            ReturnSubscriptionArn=True,  # Ref of a subscription is its ARN, pending confirmation or not
        )
        self.assigned_ids[logical_id] = subscription["SubscriptionArn"]

    def _alarm(self, logical_id: str) -> None:
        props = self._props(logical_id)
        refuse_unsupported("alarm properties", props, {*_ALARM_PROPERTIES, "AlarmName"})
        # Numbers that came from parameters are still strings.
        arguments = {k: _ALARM_PROPERTIES[k](v) for k, v in props.items() if k in _ALARM_PROPERTIES}
        self._client("cloudwatch").put_metric_alarm(AlarmName=self._physical_name(logical_id), **arguments)

    def _dashboard(self, logical_id: str) -> None:
        props = self._props(logical_id)
        body = props["DashboardBody"]
        try:  # PutDashboard refuses a body that is not JSON (InvalidParameterInput); moto stores anything
            json.loads(body)
        except ValueError as error:
            raise ValueError(f"{logical_id}: DashboardBody is not valid JSON: {error}") from error
        self._client("cloudwatch").put_dashboard(DashboardName=self._physical_name(logical_id), DashboardBody=body)

    def _work_group(self, logical_id: str) -> None:
        props = self._props(logical_id)
        # CloudFormation spells WorkGroupConfiguration as the API spells Configuration: passed whole (encryption,
        # enforcement and metrics were lost when only the output location was).
        self._client("athena").create_work_group(
            Name=props["Name"],
            Description=props.get("Description", ""),
            Configuration=props.get("WorkGroupConfiguration", {}),
        )

    def _named_query(self, logical_id: str) -> None:
        props = self._props(logical_id)
        query = self._client("athena").create_named_query(
            Name=props["Name"],
            Description=props.get("Description", ""),
            Database=props["Database"],
            QueryString=props["QueryString"],
            WorkGroup=props["WorkGroup"],
        )
        self.assigned_ids[logical_id] = query["NamedQueryId"]  # Ref of a named query is its id


def translate(template: dict[str, Any], parameters: dict[str, str], region: str) -> dict[str, Any]:
    """The CloudFormation template the SAM transform makes of `template` (local paths as s3://embedded/<path>)."""
    sam = copy.deepcopy(template)
    for kind, key in _LOCAL_URIS.items():
        # Globals name their sections after the type (Function, StateMachine, LayerVersion).
        places = [sam.get("Globals", {}).get(kind.rsplit("::", 1)[1], {})]
        places += [r.get("Properties", {}) for r in sam.get("Resources", {}).values() if r.get("Type") == kind]
        for props in places:
            if isinstance(props.get(key), str) and not props[key].startswith("s3://"):
                props[key] = f"s3://{_LOCAL_BUCKET}/{props[key]}"
    # The session only tells the region and partition (no call is made); no managed policy map is passed, as the
    # translator's bundled one names every AWS managed policy a template may refer to by name.
    translator = Translator(None, Parser(), boto_session=admin_session(region))
    translated: dict[str, Any] = translator.translate(
        sam, parameter_values=dict(parameters), get_managed_policy_map=lambda: {}
    )
    translator.metrics.publish()  # to its dummy publisher: a warning per deploy otherwise ("unpublished metrics")
    return translated


def _versioned(document: dict[str, Any]) -> dict[str, Any]:
    """The policy with a Version: SAM writes none in the inline policies it generates; IAM takes that as 2008-10-17,
    moto refuses it. The two differ only for policy variables (`${aws:username}`), which template.yaml uses none of."""
    return {"Version": "2012-10-17", **document}


def _api_keys(node: Any) -> Any:
    """A CloudFormation property in the API's spelling: each key with a lower-case first letter."""
    if isinstance(node, list):
        return [_api_keys(item) for item in node]
    if isinstance(node, dict):
        return {key[:1].lower() + key[1:]: _api_keys(value) for key, value in node.items()}
    return node


def _check_parameter(name: str, value: str, spec: dict[str, Any]) -> None:
    """Refuse what CloudFormation refuses: values outside AllowedPattern, AllowedValues, MinValue/MaxValue."""
    problems = []
    if "AllowedPattern" in spec and not re.fullmatch(spec["AllowedPattern"], value):
        problems.append(f"does not match {spec['AllowedPattern']}")
    if "AllowedValues" in spec and value not in [str(v) for v in spec["AllowedValues"]]:
        problems.append(f"is not one of {spec['AllowedValues']}")
    if spec.get("Type") == "Number":
        try:
            number = float(value)
        except ValueError:
            problems.append("is not a number")
        else:
            if "MinValue" in spec and number < float(spec["MinValue"]):
                problems.append(f"is below {spec['MinValue']}")
            if "MaxValue" in spec and number > float(spec["MaxValue"]):
                problems.append(f"is above {spec['MaxValue']}")
    if problems:
        raise ValueError(f"parameter {name}={value!r} " + " and ".join(problems))


def _zip_directory(directory: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(directory.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                archive.write(path, path.relative_to(directory).as_posix())
    return buffer.getvalue()


# AWS::SQS::Queue properties that are queue attributes of the same name (RedrivePolicy is set once queues exist).
_QUEUE_ATTRIBUTES = {
    "DelaySeconds",
    "KmsDataKeyReusePeriodSeconds",
    "KmsMasterKeyId",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "SqsManagedSseEnabled",
    "VisibilityTimeout",
}


def refuse_unsupported(what: str, given: Iterable[str], supported: Iterable[str]) -> None:
    """NotImplementedError naming what the deployer would otherwise leave out silently."""
    unsupported = set(given) - set(supported)
    if unsupported:
        raise NotImplementedError(f"the embedded deployer does not support {what} {sorted(unsupported)}")


# AWS::SNS::Topic properties that are topic attributes of the same name.
_TOPIC_ATTRIBUTES = {
    "ContentBasedDeduplication",
    "DisplayName",
    "FifoTopic",
    "KmsMasterKeyId",
    "SignatureVersion",
    "TracingConfig",
}
# AWS::SNS::Subscription properties that are subscription attributes of the same name.
_SUBSCRIPTION_ATTRIBUTES = {
    "DeliveryPolicy",
    "FilterPolicy",
    "FilterPolicyScope",
    "RawMessageDelivery",
    "RedrivePolicy",
}


def _identity(value: Any) -> Any:
    return value


def _boolean(value: Any) -> bool:
    return value if isinstance(value, bool) else str(value).lower() == "true"


# AWS::CloudWatch::Alarm properties, which PutMetricAlarm takes under the same names, each in its API type.
_ALARM_PROPERTIES: dict[str, Any] = {
    "ActionsEnabled": _boolean,
    "AlarmActions": list,
    "AlarmDescription": str,
    "ComparisonOperator": str,
    "DatapointsToAlarm": int,
    "Dimensions": _identity,
    "EvaluateLowSampleCountPercentile": str,
    "EvaluationPeriods": int,
    "ExtendedStatistic": str,
    "InsufficientDataActions": list,
    "MetricName": str,
    "Metrics": _identity,
    "Namespace": str,
    "OKActions": list,
    "Period": int,
    "Statistic": str,
    "Threshold": float,
    "ThresholdMetricId": str,
    "TreatMissingData": str,
    "Unit": str,
}


def _queue_attribute(value: Any) -> str:
    """A queue attribute as the API takes it: JSON documents as text, booleans as true/false."""
    if isinstance(value, dict):
        return json.dumps(value)
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _notification_configuration(configuration: dict[str, Any]) -> dict[str, Any]:
    """A bucket's CloudFormation NotificationConfiguration in the S3 API's shape (one event per queue entry)."""
    api: dict[str, Any] = {}
    if configuration.get("EventBridgeConfiguration", {}).get("EventBridgeEnabled"):
        api["EventBridgeConfiguration"] = {}
    queues = []
    for queue in configuration.get("QueueConfigurations", []):
        entry: dict[str, Any] = {"QueueArn": queue["Queue"], "Events": [queue["Event"]]}
        rules = queue.get("Filter", {}).get("S3Key", {}).get("Rules", [])
        if rules:
            entry["Filter"] = {"Key": {"FilterRules": [{"Name": r["Name"], "Value": r["Value"]} for r in rules]}}
        queues.append(entry)
    if queues:
        api["QueueConfigurations"] = queues
    refuse_unsupported("bucket notifications", configuration, {"EventBridgeConfiguration", "QueueConfigurations"})
    return api


def _lifecycle_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """A CloudFormation lifecycle rule in the shape of the S3 API (the two spell a few fields differently)."""
    api_rule: dict[str, Any] = {
        "ID": rule["Id"],
        "Status": rule["Status"],
        "Filter": {"Prefix": rule.get("Prefix", "")},
    }
    for key in ("NoncurrentVersionExpiration", "AbortIncompleteMultipartUpload"):
        if key in rule:
            api_rule[key] = rule[key]
    # CloudFormation spreads the API's Expiration over three properties (S3 refuses the marker beside a day or date).
    expiration = {
        api_key: rule[cfn_key]
        for cfn_key, api_key in (
            ("ExpirationInDays", "Days"),
            ("ExpirationDate", "Date"),
            ("ExpiredObjectDeleteMarker", "ExpiredObjectDeleteMarker"),
        )
        if cfn_key in rule
    }
    if expiration:
        api_rule["Expiration"] = expiration
    return api_rule
