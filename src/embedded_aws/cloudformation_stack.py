"""The CloudFormation stack of what the embedded deployer deployed: moto knows only the stacks it creates itself.

The deployer (deploy.py) creates the translated template's resources through each service's API, but no stack owned
them: DescribeStacks answered "Stack with id orders-etl does not exist", so a client that finds the stack through
CloudFormation (`aws cloudformation describe-stacks`, `orders-etl` with only AWS_ENDPOINT_URL set) could not. A moto
stack cannot hold them: moto creates a template's resources itself (lazily: reading an output creates the resources
it names) and does not know the SAM transform. So the deployer registers what it deployed (`register`), kept on moto's
CloudFormation backend of the account and region (a reset of the embedded AWS forgets it with everything else), and
these calls answer for a registered stack as CloudFormation does (API reference); any other stack stays moto's:

- DescribeStacks (by name or stack id; without one, after moto's stacks): StackId, StackName, Description,
  Parameters (every template parameter with the value used, defaults included; NoEcho ones as `****`, the mask
  CloudFormation returns), CreationTime, LastUpdatedTime ("only returned if the stack has been updated at least
  once"), StackStatus CREATE_COMPLETE or UPDATE_COMPLETE, Outputs (OutputKey, OutputValue, Description,
  ExportName), Capabilities, Tags, DriftInformation NOT_CHECKED. ListStacks (StackStatusFilter) and ListExports too.
- ListStackResources, DescribeStackResources (by StackName or PhysicalResourceId; "only the first 100 resources"),
  DescribeStackResource: each resource of the translated template whose condition holds, with the physical id the
  deployer reports, CREATE_COMPLETE (UPDATE_COMPLETE once a deployment changed it) and its time, drift NOT_CHECKED.
- GetTemplate: TemplateStage Original is the template file as deployed, Processed (the default) the template after
  the SAM transform; both stages available.
- DescribeStackEvents, newest first: the stack's IN_PROGRESS ("User Initiated") and COMPLETE, and each created or
  changed resource's IN_PROGRESS and COMPLETE.
- A second deployment of a stack name is an update: UPDATE_COMPLETE, LastUpdatedTime, the changed resources updated,
  new ones created; a resource the new template drops is no longer the stack's (the deployer deletes nothing).
- DeleteStack, UpdateStack and CreateChangeSet of a registered stack are refused (ValidationError saying why): the
  deployer deletes and updates nothing through CloudFormation; a reset forgets the stack and what is in it.
  CreateStack of its name is AlreadyExistsException, as for any existing stack.
Not emulated: paging of these listings (a stack here has well under a page), NotificationARNs, rollback settings.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from unittest import mock

from moto.cloudformation.exceptions import AlreadyExistsException, ValidationError
from moto.cloudformation.models import CloudFormationBackend, cloudformation_backends
from moto.cloudformation.parsing import Export
from moto.cloudformation.responses import CloudFormationResponse
from moto.core.responses import ActionResult

# What DescribeStacks shows for a NoEcho parameter: the documentation says "masked with asterisks", and what callers
# receive is these four (reported by tools that read it back, e.g. mapbox/cfn-config#177; moto masks alike).
NO_ECHO_MASK = "****"
STACK_TYPE = "AWS::CloudFormation::Stack"
NOT_CHECKED = "NOT_CHECKED"
# DescribeStackResources: "Only the first 100 resources will be returned."
DESCRIBED_RESOURCES_LIMIT = 100
_ATTRIBUTE = "embedded_deployed_stacks"  # on moto's backend object, which a reset replaces
_lock = threading.Lock()
_served: list[str] = []  # endpoints of this process whose stacks may be registered


@dataclass(frozen=True)
class DeployedResource:
    logical_id: str
    resource_type: str
    physical_id: str
    properties: Any  # resolved: a later deployment with other properties updates the resource
    started: datetime
    completed: datetime
    metadata: dict[str, Any] | None = None


@dataclass(frozen=True)
class Deployment:
    """What one deployment of a stack made: the deployer's account of it."""

    endpoint_url: str
    account_id: str
    region: str
    stack_name: str
    stack_id: str
    description: str | None
    parameters: list[tuple[str, str, bool]]  # (key, value used, NoEcho), in template order
    outputs: list[dict[str, str]]  # in the API's shape
    capabilities: list[str]
    original_template: str
    processed_template: dict[str, Any]
    resources: list[DeployedResource]
    started: datetime


@dataclass
class _ResourceState:
    resource: DeployedResource
    status: str
    timestamp: datetime


@dataclass
class _Stack:
    deployment: Deployment
    creation_time: datetime
    last_updated_time: datetime | None
    status: str
    resources: dict[str, _ResourceState]
    events: list[dict[str, Any]] = field(default_factory=list)  # oldest first


@contextmanager
def installed(endpoint_url: str) -> Iterator[None]:
    handlers: dict[str, Any] = {
        "describe_stacks": _describe_stacks,
        "list_stacks": _list_stacks,
        "list_stack_resources": _list_stack_resources,
        "describe_stack_resources": _describe_stack_resources,
        "describe_stack_resource": _describe_stack_resource,
        "get_template": _get_template,
        "describe_stack_events": _describe_stack_events,
        "create_stack": _create_stack,
        "delete_stack": _refused,
        "update_stack": _refused,
        "create_change_set": _refused,
    }
    with mock.patch.multiple(CloudFormationResponse, **handlers):
        _served.append(endpoint_url)
        try:
            yield
        finally:
            _served.remove(endpoint_url)


def now() -> datetime:
    return datetime.now(UTC)


def register(deployment: Deployment) -> None:
    """Record `deployment` as its stack's creation, or as an update of the stack registered under its name."""
    if deployment.endpoint_url not in _served:
        raise RuntimeError(
            f"{deployment.endpoint_url} is not an embedded AWS of this process: its stack cannot be registered"
        )
    backend = cloudformation_backends[deployment.account_id][deployment.region]
    with _lock:
        stacks = _registered(backend)
        previous = stacks.get(deployment.stack_name)
        stack = _created(deployment) if previous is None else _updated(previous, deployment)
        stacks[deployment.stack_name] = stack
        for name, export in list(backend.exports.items()):
            if export.exporting_stack_id == deployment.stack_id:
                del backend.exports[name]
        for output in deployment.outputs:
            if "ExportName" in output:
                backend.exports[output["ExportName"]] = Export(
                    deployment.stack_id, output["ExportName"], output["OutputValue"]
                )


# ---------- the stack's history ----------


def _created(deployment: Deployment) -> _Stack:
    stack = _Stack(deployment, deployment.started, None, "CREATE_COMPLETE", {})
    stack.events.append(_stack_event(deployment, "CREATE_IN_PROGRESS", deployment.started, "User Initiated"))
    events = []
    for resource in sorted(deployment.resources, key=lambda r: r.completed):
        stack.resources[resource.logical_id] = _ResourceState(resource, "CREATE_COMPLETE", resource.completed)
        events += _resource_events(deployment, resource, "CREATE")
    stack.events += sorted(events, key=lambda e: e["Timestamp"])
    stack.events.append(_stack_event(deployment, "CREATE_COMPLETE", now()))
    return stack


def _updated(previous: _Stack, deployment: Deployment) -> _Stack:
    stack = _Stack(deployment, previous.creation_time, now(), "UPDATE_COMPLETE", {}, list(previous.events))
    stack.events.append(_stack_event(deployment, "UPDATE_IN_PROGRESS", deployment.started, "User Initiated"))
    events = []
    for resource in sorted(deployment.resources, key=lambda r: r.completed):
        before = previous.resources.get(resource.logical_id)
        if before is not None and _same(before.resource, resource):
            stack.resources[resource.logical_id] = before
            continue
        operation = "CREATE" if before is None else "UPDATE"
        stack.resources[resource.logical_id] = _ResourceState(resource, f"{operation}_COMPLETE", resource.completed)
        events += _resource_events(deployment, resource, operation)
    stack.events += sorted(events, key=lambda e: e["Timestamp"])
    finished = now()
    stack.last_updated_time = finished
    stack.events.append(_stack_event(deployment, "UPDATE_COMPLETE", finished))
    return stack


def _same(before: DeployedResource, after: DeployedResource) -> bool:
    return (before.resource_type, before.physical_id, before.properties) == (
        after.resource_type,
        after.physical_id,
        after.properties,
    )


def _resource_events(deployment: Deployment, resource: DeployedResource, operation: str) -> list[dict[str, Any]]:
    common = {"LogicalResourceId": resource.logical_id, "ResourceType": resource.resource_type}
    return [
        _event(deployment, common, f"{operation}_IN_PROGRESS", resource.started),
        _event(
            deployment,
            {**common, "PhysicalResourceId": resource.physical_id},
            f"{operation}_COMPLETE",
            resource.completed,
        ),
    ]


def _stack_event(deployment: Deployment, status: str, timestamp: datetime, reason: str | None = None) -> dict[str, Any]:
    about = {
        "LogicalResourceId": deployment.stack_name,
        "PhysicalResourceId": deployment.stack_id,
        "ResourceType": STACK_TYPE,
    }
    return _event(deployment, about, status, timestamp, reason)


def _event(
    deployment: Deployment, about: dict[str, str], status: str, timestamp: datetime, reason: str | None = None
) -> dict[str, Any]:
    event = {
        "StackId": deployment.stack_id,
        "EventId": str(uuid.uuid4()),
        "StackName": deployment.stack_name,
        **about,
        "Timestamp": timestamp,
        "ResourceStatus": status,
    }
    if reason:
        event["ResourceStatusReason"] = reason
    return event


# ---------- answers ----------


def _registered(backend: CloudFormationBackend) -> dict[str, _Stack]:
    stacks: dict[str, _Stack] = backend.__dict__.setdefault(_ATTRIBUTE, {})
    return stacks


def _find(response: CloudFormationResponse, name_or_id: str | None) -> _Stack | None:
    if not name_or_id:
        return None
    with _lock:
        stacks = list(_registered(response.cloudformation_backend).values())
    return next((s for s in stacks if name_or_id in (s.deployment.stack_name, s.deployment.stack_id)), None)


def _all(response: CloudFormationResponse) -> list[_Stack]:
    with _lock:
        return list(_registered(response.cloudformation_backend).values())


def _stack(stack: _Stack) -> dict[str, Any]:
    deployment = stack.deployment
    answer: dict[str, Any] = {
        "StackId": deployment.stack_id,
        "StackName": deployment.stack_name,
        "Parameters": [
            {"ParameterKey": key, "ParameterValue": NO_ECHO_MASK if no_echo else value}
            for key, value, no_echo in deployment.parameters
        ],
        "CreationTime": stack.creation_time,
        "StackStatus": stack.status,
        "DisableRollback": False,
        "NotificationARNs": [],
        "Capabilities": deployment.capabilities,
        "Outputs": deployment.outputs,
        "Tags": {},  # moto's response turns a stack's tags from a dict into the API's list
        "EnableTerminationProtection": False,
        "DriftInformation": {"StackDriftStatus": NOT_CHECKED},
    }
    if deployment.description is not None:
        answer["Description"] = deployment.description
    if stack.last_updated_time is not None:
        answer["LastUpdatedTime"] = stack.last_updated_time
    return answer


def _summary(stack: _Stack) -> dict[str, Any]:
    full = _stack(stack)
    keys = ("StackId", "StackName", "CreationTime", "LastUpdatedTime", "StackStatus", "DriftInformation")
    summary: dict[str, Any] = {key: full[key] for key in keys if key in full}
    if "Description" in full:
        summary["TemplateDescription"] = full["Description"]
    return summary


def _resource(stack: _Stack, state: _ResourceState, time_key: str) -> dict[str, Any]:
    return {
        "StackName": stack.deployment.stack_name,
        "StackId": stack.deployment.stack_id,
        "LogicalResourceId": state.resource.logical_id,
        "PhysicalResourceId": state.resource.physical_id,
        "ResourceType": state.resource.resource_type,
        time_key: state.timestamp,
        "ResourceStatus": state.status,
        "DriftInformation": {"StackResourceDriftStatus": NOT_CHECKED},
    }


def _describe_stacks(self: CloudFormationResponse) -> ActionResult:
    name = self._get_param("StackName")
    if name:
        stack = _find(self, name)
        return ActionResult({"Stacks": [_stack(stack)]}) if stack else _original("describe_stacks", self)
    result = _original("describe_stacks", self)
    answer: dict[str, Any] = result.result
    if answer.get("NextToken") is None:  # the last page of moto's stacks: ours follow
        answer["Stacks"] = [*answer["Stacks"], *(_stack(s) for s in _all(self))]
    return result


def _list_stacks(self: CloudFormationResponse) -> ActionResult:
    result = _original("list_stacks", self)
    wanted = self._get_param("StackStatusFilter", [])
    ours = [_summary(s) for s in _all(self) if not wanted or s.status in wanted]
    answer: dict[str, Any] = result.result
    answer["StackSummaries"] = [*answer["StackSummaries"], *ours]
    return result


def _list_stack_resources(self: CloudFormationResponse) -> ActionResult:
    stack = _find(self, self._get_param("StackName"))
    if stack is None:
        return _original("list_stack_resources", self)
    summaries = []
    for state in stack.resources.values():
        summary = _resource(stack, state, "LastUpdatedTimestamp")
        del summary["StackName"], summary["StackId"]
        summaries.append(summary)
    return ActionResult({"StackResourceSummaries": summaries})


def _describe_stack_resources(self: CloudFormationResponse) -> ActionResult:
    physical_id = self._get_param("PhysicalResourceId")
    stack = _find(self, self._get_param("StackName"))
    if stack is None and physical_id:
        owners = [s for s in _all(self) if any(r.resource.physical_id == physical_id for r in s.resources.values())]
        stack = owners[0] if owners else None
    if stack is None:
        return _original("describe_stack_resources", self)
    logical_id = self._get_param("LogicalResourceId")
    states = [s for s in stack.resources.values() if logical_id in (None, s.resource.logical_id)]
    described = [_resource(stack, state, "Timestamp") for state in states[:DESCRIBED_RESOURCES_LIMIT]]
    return ActionResult({"StackResources": described})


def _describe_stack_resource(self: CloudFormationResponse) -> ActionResult:
    name = self._get_param("StackName")
    stack = _find(self, name)
    if stack is None:
        return _original("describe_stack_resource", self)
    logical_id = self._get_param("LogicalResourceId")
    state = stack.resources.get(logical_id)
    if state is None:
        raise ValidationError(name, message=f"Resource {logical_id} does not exist for stack {name}")
    detail = _resource(stack, state, "LastUpdatedTimestamp")
    if state.resource.metadata is not None:
        detail["Metadata"] = json.dumps(state.resource.metadata)
    return ActionResult({"StackResourceDetail": detail})


def _get_template(self: CloudFormationResponse) -> ActionResult:
    stack = _find(self, self._get_param("StackName"))
    if stack is None:
        return _original("get_template", self)
    if self._get_param("TemplateStage", "Processed") == "Original":
        body = stack.deployment.original_template
    else:
        body = json.dumps(stack.deployment.processed_template, indent=2)
    return ActionResult({"TemplateBody": body, "StagesAvailable": ["Original", "Processed"]})


def _describe_stack_events(self: CloudFormationResponse) -> ActionResult:
    stack = _find(self, self._get_param("StackName"))
    if stack is None:
        return _original("describe_stack_events", self)
    return ActionResult({"StackEvents": list(reversed(stack.events))})


def _create_stack(self: CloudFormationResponse) -> ActionResult:
    name = self._get_param("StackName")
    if _find(self, name) is not None:
        raise AlreadyExistsException(f"Stack {name} already exists")
    return _original("create_stack", self)


def _refused(self: CloudFormationResponse) -> ActionResult:
    name = self._get_param("StackName")
    action = self._get_action()
    if _find(self, name) is None:
        return _original(_ACTIONS[action], self)
    raise ValidationError(
        name,
        message=f"{action} is not supported for stack {name}: the embedded AWS's deployer created its resources and "
        "neither updates nor deletes them; a reset of the embedded AWS (or stopping it) forgets the stack and them",
    )


_ACTIONS = {"DeleteStack": "delete_stack", "UpdateStack": "update_stack", "CreateChangeSet": "create_change_set"}
_ORIGINALS: dict[str, Callable[[CloudFormationResponse], ActionResult]] = {
    name: getattr(CloudFormationResponse, name)
    for name in (
        "describe_stacks",
        "list_stacks",
        "list_stack_resources",
        "describe_stack_resources",
        "describe_stack_resource",
        "get_template",
        "describe_stack_events",
        "create_stack",
        *_ACTIONS.values(),
    )
}


def _original(name: str, response: CloudFormationResponse) -> ActionResult:
    return _ORIGINALS[name](response)
