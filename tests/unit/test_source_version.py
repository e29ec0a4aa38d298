"""SourceVersion: which of two writes of a key is later, by their S3 event sequencers."""

from __future__ import annotations

import pytest

from orders_etl.source_files import SourceVersion


@pytest.mark.parametrize(
    ("ours", "theirs", "older"),
    [
        ("0055AED6DCD90281E5", "0055AED6DCD90281E6", True),
        ("0055AED6DCD90281E6", "0055AED6DCD90281E5", False),
        # different lengths: right-pad the shorter with zeros, then compare as text (AWS, S3 event structure)
        ("0055AED6DCD90281E5", "0055AED6DCD90281F", True),  # F0 > E5, though 0x...F < 0x...E5 as numbers
        ("0055AED6DCD90281F", "0055AED6DCD90281E5", False),
        ("0055AED6DCD9028", "0055AED6DCD902800", False),  # the same position once padded: neither is older
        ("0055aed6dcd90281e5", "0055AED6DCD90281F", True),
    ],
)
def test_a_sequencer_is_older_by_aws_rule_for_sequencers_of_different_lengths(
    ours: str, theirs: str, older: bool
) -> None:
    assert SourceVersion("v", ours).is_older_than(theirs) is older


def test_without_two_sequencers_nothing_is_older() -> None:
    assert SourceVersion("v", None).is_older_than("0055") is False
    assert SourceVersion("v", "0055").is_older_than(None) is False
