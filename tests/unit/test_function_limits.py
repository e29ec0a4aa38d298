"""The README's limits arithmetic, run against template.yaml: every file size and memory the template accepts
lets validate and flatten finish the slowest file within 2/3 of their Timeout, in the /tmp they are given.

The rates are the slowest medians `python -m bench.worst_case` measured on one CPU of a busy 2-core machine
(docs/limits.md); Lambda gives a function CPU in proportion to its memory, one vCPU at 1,769 MB.
The reference path is single-threaded Python: memory past 1,769 MB adds no speed to it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from embedded_aws.cfn_template import load_template

TEMPLATE = load_template(Path(__file__).resolve().parents[2] / "template.yaml")
# Validate writes the Parquet as it checks, and Flatten does the same when nothing is staged: both can meet the
# slowest whole pass (the reference path on a valid file: both reads + the rows file + DuckDB's Parquet).
WHOLE_PASS_MB_PER_VCPU_SECOND = 5.7
DOWNLOAD_MB_PER_SECOND = 30.0  # S3 to /tmp, assumed (not measured here)
TMP_PER_BYTE = 3.68  # most /tmp a run needed, per byte of content (flattening a gzipped 512 MiB file)
VCPU_MB = 1769
SHARE_OF_TIMEOUT = 2 / 3


def worst_seconds(file_bytes: int, memory_mb: int, mb_per_vcpu_second: float) -> float:
    vcpu = min(memory_mb / VCPU_MB, 1.0)
    return file_bytes / 1e6 / DOWNLOAD_MB_PER_SECOND + file_bytes / 1e6 / (mb_per_vcpu_second * vcpu)


def parameter(name: str) -> dict[str, Any]:
    found: dict[str, Any] = TEMPLATE["Parameters"][name]
    return found


@pytest.mark.parametrize(
    ("function", "memory"),
    [("ValidateOrderFileFunction", "ValidateMemorySize"), ("FlattenOrdersFunction", "FlattenMemorySize")],
)
def test_the_slowest_file_of_the_largest_size_fits_two_thirds_of_the_timeout(function: str, memory: str) -> None:
    rate = WHOLE_PASS_MB_PER_VCPU_SECOND
    timeout = TEMPLATE["Resources"][function]["Properties"]["Timeout"]
    budget = SHARE_OF_TIMEOUT * timeout
    # at the defaults
    assert worst_seconds(parameter("MaxFileBytes")["Default"], parameter(memory)["Default"], rate) <= budget
    # and at the largest file with the least memory the template accepts (no largest file: no timeout is enough)
    largest = parameter("MaxFileBytes").get("MaxValue")
    assert largest is not None, "MaxFileBytes has no MaxValue"
    assert worst_seconds(largest, parameter(memory)["MinValue"], rate) <= budget


def test_tmp_holds_the_slowest_path_of_the_largest_default_file() -> None:
    tmp_bytes = parameter("EphemeralStorageSize")["Default"] * 1024 * 1024
    assert TMP_PER_BYTE * parameter("MaxFileBytes")["Default"] <= tmp_bytes
