"""embedded_aws.s3_event_sequencers: S3 events carry sequencers of varying lengths, in the order of the writes."""

from __future__ import annotations

import itertools

from embedded_aws.s3_event_sequencers import next_sequencer


def padded(sequencer: str, width: int = 18) -> str:
    return sequencer.ljust(width, "0")


def test_sequencers_vary_in_length_and_order_by_aws_rule_not_as_numbers() -> None:
    # GIVEN sequencers for consecutive writes
    sequencers = [next_sequencer() for _ in range(8)]
    # THEN they differ in length, as S3's may
    assert len({len(s) for s in sequencers}) > 1
    # AND right-padded with zeros they sort in the order of the writes (AWS's rule)
    assert [padded(s) for s in sequencers] == sorted(padded(s) for s in sequencers)
    # AND compared as numbers, some later write looks earlier: the mistake a consumer must not make shows here
    assert any(int(later, 16) < int(earlier, 16) for earlier, later in itertools.pairwise(sequencers))
