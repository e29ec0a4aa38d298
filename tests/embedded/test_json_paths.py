"""embedded_aws.json_paths: a definite path through an array index gives the value itself, as on AWS."""

from __future__ import annotations

import importlib
import json
from typing import Any

from embedded_aws.json_paths import USERS

PATHS = {
    "StartAt": "Read",
    "States": {
        "Read": {
            "Type": "Pass",
            "Parameters": {
                "first.$": "$.Items[0].name",
                "nested.$": "$.Items[1].tags[0]",
                "formatted.$": "States.Format('x-{}', $.Items[0].name)",
                "every.$": "$.Items[*].name",
                "one_of_every.$": "$.One[*].name",
                "list_value.$": "$.Items[1].tags",
            },
            "End": True,
        }
    },
}


def test_definite_paths_give_values_and_wildcards_give_lists(aws: Any) -> None:
    machine = aws.state_machine("paths", PATHS)
    document = {"Items": [{"name": "a"}, {"name": "b", "tags": ["t1", "t2"]}], "One": [{"name": "only"}]}
    execution = aws.run_to_end(machine, document)
    assert execution["status"] == "SUCCEEDED", execution
    assert json.loads(execution["output"]) == {
        "first": "a",
        "nested": "t1",
        "formatted": "x-a",
        "every": ["a", "b"],
        "one_of_every": ["only"],
        "list_value": ["t1", "t2"],
    }


def test_every_module_patched_still_uses_extract_json() -> None:
    for name in USERS:
        assert hasattr(importlib.import_module(name), "extract_json"), name
