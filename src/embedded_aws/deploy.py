"""Deploying template.yaml into an AWS endpoint through the public APIs, as CloudFormation would.

Names, handlers, environment, definition substitutions, the rule pattern and the crawler targets all come
from the template: nothing of the stack is written a second time here. A resource type this deployer does
not know is an error, so a template change that needs deployer support cannot pass unnoticed.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from embedded_aws.cfn_template import ACCOUNT_ID, Resolver, load_template

_LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
_STATES_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "states.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
# Created by sam build / SAM transform or not needed for behaviour on the embedded AWS.
_NOT_DEPLOYED = {"AWS::Serverless::LayerVersion"}


@dataclass
class StackDeployer:
    template_path: Path
    endpoint_url: str
    stack_name: str = "orders-etl"
    region: str = "us-east-1"
    parameter_overrides: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.root = self.template_path.parent
        self.template = load_template(self.template_path)
        self.resources: dict[str, dict[str, Any]] = self.template["Resources"]
        parameters = {name: str(spec.get("Default", "")) for name, spec in self.template.get("Parameters", {}).items()}
        unknown = set(self.parameter_overrides) - set(parameters)
        if unknown:
            raise ValueError(f"unknown template parameters: {sorted(unknown)}")
        parameters.update(self.parameter_overrides)
        for name, spec in self.template.get("Parameters", {}).items():
            _check_parameter(name, parameters[name], spec)
        self.resolver = Resolver(parameters, self.stack_name, self.region, self._attribute)

    # ---------- names and attributes, derived without creating anything ----------
    def _physical_name(self, logical_id: str) -> str:
        resource = self.resources[logical_id]
        props = resource.get("Properties", {})
        kind = resource["Type"]
        explicit = {
            "AWS::S3::Bucket": props.get("BucketName"),
            "AWS::Logs::LogGroup": props.get("LogGroupName"),
            "AWS::Glue::Database": props.get("DatabaseInput", {}).get("Name"),
            "AWS::Glue::Crawler": props.get("Name"),
            "AWS::Serverless::StateMachine": props.get("Name"),
            "AWS::Athena::WorkGroup": props.get("Name"),
            "AWS::Athena::NamedQuery": props.get("Name"),
        }.get(kind)
        if explicit is not None:
            return str(self.resolver.resolve(explicit))
        return f"{self.stack_name}-{logical_id}"

    def _attribute(self, logical_id: str, attribute: str | None) -> str:
        if logical_id not in self.resources:
            raise KeyError(f"template refers to unknown resource or parameter {logical_id!r}")
        kind = self.resources[logical_id]["Type"]
        name = self._physical_name(logical_id)
        arn_prefix = f"arn:aws:{{}}:{self.region}:{ACCOUNT_ID}"
        arns = {
            "AWS::S3::Bucket": f"arn:aws:s3:::{name}",
            "AWS::Serverless::Function": f"{arn_prefix.format('lambda')}:function:{name}",
            "AWS::Serverless::StateMachine": f"{arn_prefix.format('states')}:stateMachine:{name}",
            "AWS::Serverless::LayerVersion": f"{arn_prefix.format('lambda')}:layer:{name}:1",
            "AWS::Logs::LogGroup": f"{arn_prefix.format('logs')}:log-group:{name}:*",
            "AWS::IAM::Role": f"arn:aws:iam::{ACCOUNT_ID}:role/{name}",
        }
        if attribute is None:
            # Ref: state machines and layers return their ARN, everything else its name.
            if kind in ("AWS::Serverless::StateMachine", "AWS::Serverless::LayerVersion"):
                return arns[kind]
            return name
        if attribute == "Arn" and kind in arns:
            return arns[kind]
        if attribute == "Name":
            return name
        raise NotImplementedError(f"GetAtt {logical_id}.{attribute} is not supported by the embedded deployer")

    def _props(self, logical_id: str) -> dict[str, Any]:
        props: dict[str, Any] = self.resolver.resolve(self.resources[logical_id].get("Properties", {}))
        return props

    # ---------- deployment ----------
    def deploy(self) -> dict[str, str]:
        """Create every resource, in an order that satisfies the references; return the stack outputs."""
        self._clients: dict[str, Any] = {}
        order = [
            ("AWS::IAM::Role", self._role),
            ("AWS::S3::Bucket", self._bucket),
            ("AWS::S3::BucketPolicy", self._bucket_policy),
            ("AWS::Serverless::Function", self._function),
            ("AWS::Logs::LogGroup", self._log_group),
            ("AWS::Glue::Database", self._glue_database),
            ("AWS::Glue::Crawler", self._crawler),
            ("AWS::Serverless::StateMachine", self._state_machine),
            ("AWS::Athena::WorkGroup", self._work_group),
            ("AWS::Athena::NamedQuery", self._named_query),
        ]
        known = {kind for kind, _ in order} | _NOT_DEPLOYED
        unsupported = {r["Type"] for r in self.resources.values()} - known
        if unsupported:
            raise NotImplementedError(f"the embedded deployer does not support {sorted(unsupported)}")
        for kind, create in order:
            for logical_id, resource in self.resources.items():
                if resource["Type"] == kind:
                    create(logical_id)
        return {name: str(self.resolver.resolve(spec["Value"])) for name, spec in self.template["Outputs"].items()}

    def _client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = boto3.client(service, endpoint_url=self.endpoint_url, region_name=self.region)
        return self._clients[service]

    def _role(self, logical_id: str) -> None:
        props = self._props(logical_id)
        iam = self._client("iam")
        name = self._physical_name(logical_id)
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(props["AssumeRolePolicyDocument"]))
        for policy in props.get("Policies", []):
            iam.put_role_policy(
                RoleName=name, PolicyName=policy["PolicyName"], PolicyDocument=json.dumps(policy["PolicyDocument"])
            )

    def _service_role(self, logical_id: str, trust: dict[str, Any], statements: list[dict[str, Any]]) -> str:
        """The execution role SAM would generate, with the template's inline statements."""
        iam = self._client("iam")
        name = f"{self._physical_name(logical_id)}-role"
        arn: str = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        if statements:
            document = {"Version": "2012-10-17", "Statement": statements}
            iam.put_role_policy(RoleName=name, PolicyName="inline", PolicyDocument=json.dumps(document))
        return arn

    def _bucket(self, logical_id: str) -> None:
        props = self._props(logical_id)
        s3 = self._client("s3")
        name = self._physical_name(logical_id)
        s3.create_bucket(Bucket=name)
        if props.get("NotificationConfiguration", {}).get("EventBridgeConfiguration", {}).get("EventBridgeEnabled"):
            s3.put_bucket_notification_configuration(
                Bucket=name, NotificationConfiguration={"EventBridgeConfiguration": {}}
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

    def _function(self, logical_id: str) -> None:
        props = _merge_globals(self.resolver.resolve(self.template.get("Globals", {}).get("Function", {})))
        props = _merge_globals(props, self._props(logical_id))
        statements = [s for policy in props.get("Policies", []) if "Statement" in policy for s in policy["Statement"]]
        role = self._service_role(logical_id, _LAMBDA_TRUST, statements)
        self._client("lambda").create_function(
            FunctionName=self._physical_name(logical_id),
            Runtime=props["Runtime"],
            Role=role,
            Handler=props["Handler"],
            Code={"ZipFile": _zip_directory(self.root / props["CodeUri"])},
            Description=props.get("Description", ""),
            Timeout=int(props.get("Timeout", 3)),
            MemorySize=int(props.get("MemorySize", 128)),
            Environment={
                "Variables": {k: str(v) for k, v in props.get("Environment", {}).get("Variables", {}).items()}
            },
            TracingConfig={"Mode": props.get("Tracing", "PassThrough")},
            Architectures=props.get("Architectures", ["x86_64"]),
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
        definition = (self.root / props["DefinitionUri"]).read_text(encoding="utf-8")
        for name, value in props.get("DefinitionSubstitutions", {}).items():
            definition = definition.replace("${" + name + "}", str(value))
        json.loads(definition)  # fail here, not at the first execution, if a substitution broke the JSON
        role = self._service_role(logical_id, _STATES_TRUST, [])
        name = self._physical_name(logical_id)
        sfn = self._client("stepfunctions")
        arn: str = sfn.create_state_machine(
            name=name, definition=definition, roleArn=role, type=props.get("Type", "STANDARD")
        )["stateMachineArn"]
        for event_id, event in props.get("Events", {}).items():
            if event["Type"] != "EventBridgeRule":
                raise NotImplementedError(f"state machine event type {event['Type']} is not supported")
            self._rule(f"{name}-{event_id}", event["Properties"], arn, role)

    def _rule(self, rule_name: str, props: dict[str, Any], target_arn: str, role: str) -> None:
        events = self._client("events")
        events.put_rule(Name=rule_name, EventPattern=json.dumps(props["Pattern"]), State="ENABLED")
        target: dict[str, Any] = {"Id": "StateMachine", "Arn": target_arn, "RoleArn": role}
        if "RetryPolicy" in props:
            target["RetryPolicy"] = {k: int(v) for k, v in props["RetryPolicy"].items()}
        events.put_targets(Rule=rule_name, Targets=[target])

    def _work_group(self, logical_id: str) -> None:
        props = self._props(logical_id)
        config = props.get("WorkGroupConfiguration", {})
        self._client("athena").create_work_group(
            Name=props["Name"],
            Description=props.get("Description", ""),
            Configuration={"ResultConfiguration": {"OutputLocation": config["ResultConfiguration"]["OutputLocation"]}},
        )

    def _named_query(self, logical_id: str) -> None:
        props = self._props(logical_id)
        self._client("athena").create_named_query(
            Name=props["Name"],
            Description=props.get("Description", ""),
            Database=props["Database"],
            QueryString=props["QueryString"],
            WorkGroup=props["WorkGroup"],
        )


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


def _merge_globals(base: dict[str, Any], override: dict[str, Any] | None = None) -> dict[str, Any]:
    """SAM Globals semantics: maps merge (environment variables too), scalars and lists are replaced."""
    merged = dict(base)
    for key, value in (override or {}).items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge_globals(merged[key], value)
        else:
            merged[key] = value
    return merged


def _zip_directory(directory: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(directory.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                archive.write(path, path.relative_to(directory).as_posix())
    return buffer.getvalue()


def _lifecycle_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """A CloudFormation lifecycle rule in the shape of the S3 API (the two spell a few fields differently)."""
    api_rule: dict[str, Any] = {
        "ID": rule["Id"],
        "Status": rule["Status"],
        "Filter": {"Prefix": rule.get("Prefix", "")},
    }
    for key in ("NoncurrentVersionExpiration", "AbortIncompleteMultipartUpload", "Expiration"):
        if key in rule:
            api_rule[key] = rule[key]
    return api_rule
