"""embedded_aws.sqs_message_cost: a send or a receive does not count the queue, and its counts stay exact."""

from __future__ import annotations

from typing import Any

from embedded_aws import sqs_message_cost


def counts(sqs: Any, url: str) -> tuple[int, int]:
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return int(attributes[names[0]]), int(attributes[names[1]])


def test_counts_stay_exact_around_sends_and_receives(aws: Any) -> None:
    sqs = aws.client("sqs")
    url = sqs.create_queue(QueueName="send-cost")["QueueUrl"]
    for number in range(5):
        sqs.send_message(QueueUrl=url, MessageBody=f"event {number}")
    assert counts(sqs, url) == (5, 0)
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2)["Messages"]
    assert len(received) == 2
    assert counts(sqs, url) == (3, 2)


def test_a_send_or_a_receive_does_not_count_the_queue(aws: Any, monkeypatch: Any) -> None:
    # GIVEN the queue's counts are watched
    counted: list[str] = []
    for name, original in sqs_message_cost._original_counts.items():

        def watched(queue: Any, name: str = name, original: property = original) -> int:
            counted.append(name)
            return int(original.fget(queue))  # type: ignore[misc]

        monkeypatch.setitem(sqs_message_cost._original_counts, name, property(watched))
    with sqs_message_cost.installed():  # again, over the watched counts
        sqs = aws.client("sqs")
        url = sqs.create_queue(QueueName="send-cost-watched")["QueueUrl"]
        # WHEN messages are sent and received THEN nothing is counted
        for number in range(3):
            sqs.send_message(QueueUrl=url, MessageBody=f"event {number}")
        received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2)["Messages"]
        assert (len(received), counted) == (2, [])
        # AND a GetQueueAttributes still counts
        assert counts(sqs, url) == (1, 2)
        assert "approximate_number_of_messages" in counted
