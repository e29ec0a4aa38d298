"""Reading template.yaml and resolving the intrinsics the stack uses (Ref, Sub, GetAtt, Join, Select, Split), and
its Conditions (Equals, Not, And, Or, Condition)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ACCOUNT_ID = "123456789012"


class _CfnLoader(yaml.SafeLoader):  # type: ignore[misc]
    """SafeLoader that turns CloudFormation short forms (!Ref, !Sub, …) into their long forms."""


def _construct_tag(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if tag_suffix == "Ref":
        return {"Ref": value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{tag_suffix}": value}


_CfnLoader.add_multi_constructor("!", _construct_tag)


def load_template(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        document: dict[str, Any] = yaml.load(handle, Loader=_CfnLoader)
    return document


def stack_id(stack_name: str, region: str) -> str:
    """The stack's ARN, as CloudFormation's `AWS::StackId`; its last part is a UUID unique to the stack (here
    derived from the stack's name and region, so that a redeployment resolves the same names)."""
    unique = uuid.uuid5(uuid.NAMESPACE_URL, f"cloudformation:{region}:{stack_name}")
    return f"arn:aws:cloudformation:{region}:{ACCOUNT_ID}:stack/{stack_name}/{unique}"


_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")


@dataclass
class Resolver:
    """Evaluates intrinsic functions against parameters, pseudo parameters and resource attributes.

    `attribute` is called for `Ref` to a resource (attribute None) and for `GetAtt` (attribute name).
    """

    parameters: Mapping[str, str]
    stack_name: str
    region: str
    attribute: Callable[[str, str | None], str]
    conditions: Mapping[str, Any] = field(default_factory=dict)  # the template's Conditions section
    pseudo: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.pseudo = {
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::Region": self.region,
            "AWS::Partition": "aws",
            "AWS::StackName": self.stack_name,
            "AWS::StackId": stack_id(self.stack_name, self.region),
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NoValue": "",
        }

    def resolve(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self.resolve(item) for item in node]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            (name, argument), *_ = node.items()
            if name == "Ref":
                return self.ref(argument)
            if name == "Fn::GetAtt":
                logical_id, attribute = argument
                return self.attribute(logical_id, attribute)
            if name == "Fn::Sub":
                return self.sub(argument)
            if name == "Fn::Join":
                separator, items = argument
                return separator.join(str(item) for item in self.resolve(items))
            if name == "Fn::Select":
                index, items = argument
                return self.resolve(items)[int(self.resolve(index))]
            if name == "Fn::Split":
                delimiter, text = argument
                return str(self.resolve(text)).split(delimiter)
            if name.startswith("Fn::"):
                raise NotImplementedError(f"intrinsic function {name} is not supported by the embedded deployer")
        return {key: self.resolve(value) for key, value in node.items()}

    def condition_holds(self, name: str) -> bool:
        """A named condition of the template, as CloudFormation evaluates it before creating anything."""
        if name not in self.conditions:
            raise KeyError(f"template refers to unknown condition {name!r}")
        return self._condition(self.conditions[name])

    def _condition(self, node: Any) -> bool:
        if isinstance(node, dict) and len(node) == 1:
            (name, argument), *_ = node.items()
            if name == "Condition":
                return self.condition_holds(argument)
            if name == "Fn::Equals":
                left, right = (str(self.resolve(value)) for value in argument)
                return left == right
            if name == "Fn::Not":
                (inner,) = argument
                return not self._condition(inner)
            if name == "Fn::And":
                return all(self._condition(inner) for inner in argument)
            if name == "Fn::Or":
                return any(self._condition(inner) for inner in argument)
        raise NotImplementedError(f"condition {node!r} is not supported by the embedded deployer")

    def ref(self, name: str) -> str:
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        return self.attribute(name, None)

    def sub(self, argument: str | list[Any]) -> str:
        if isinstance(argument, list):
            template, variables = argument[0], {k: str(self.resolve(v)) for k, v in argument[1].items()}
        else:
            template, variables = argument, {}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return variables[name]
            if "." in name and not name.startswith("AWS::"):
                logical_id, attribute = name.split(".", 1)
                return str(self.attribute(logical_id, attribute))
            return str(self.ref(name))

        return _SUB_VARIABLE.sub(replace, template).replace("${!", "${")
