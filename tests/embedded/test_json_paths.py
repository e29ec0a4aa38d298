"""embedded_aws.json_paths: a definite path through an array index gives the value itself, as on AWS."""

from __future__ import annotations

import importlib
import json
from typing import Any

from moto.stepfunctions.parser.asl.component.common.path import result_path
from moto.stepfunctions.parser.asl.utils import json_path

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


def test_each_path_is_parsed_once(aws: Any) -> None:
    # GIVEN the embedded AWS (jsonpath_ng builds its whole parser at every parse)
    # WHEN the engine parses the same path twice, for reading or for a ResultPath THEN it gets the same parse
    assert json_path.parse("$.Items[0].key") is json_path.parse("$.Items[0].key")
    assert result_path.parse("$.result") is result_path.parse("$.result")
