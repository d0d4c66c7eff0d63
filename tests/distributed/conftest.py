"""Fixtures of the distributed runtime's tests: a real Kafka broker for the session, and a
configuration of its own (topic prefix) per test."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaConsumer
from kafka.partitioner.default import murmur2

from events.registry import EventRegistry, default_registry
from events.wire import from_message
from hub.distributed.topics import Topics
from tests.servers import KafkaBroker, kafka  # noqa: F401  (the session's broker)

_prefixes = itertools.count(1)


@pytest.fixture
def topics() -> Topics:
    """Topics and groups no other test uses (one broker serves the whole session)."""
    return Topics(f"t{next(_prefixes)}", 4, 3)


@pytest.fixture
def bus_config(config_dir: Path, kafka: KafkaBroker, topics: Topics) -> Path:  # noqa: F811
    """The test's configuration with the broker and its topics."""
    settings = config_dir / "hub.yaml"
    settings.write_text(
        settings.read_text(encoding="utf-8")
        + f"kafka_servers: {kafka.bootstrap}\nkafka_prefix: {topics.prefix}\n"
        + f"event_partitions: {topics.event_partitions}\n"
        + f"delivery_partitions: {topics.delivery_partitions}\n",
        encoding="utf-8",
    )
    return config_dir


def consume(
    bootstrap: str,
    topic: str,
    enough: Callable[[list], bool],
    timeout: float = 30,
    registry: EventRegistry | None = default_registry,
) -> list[tuple[bytes, Any]]:
    """(key, event) of the messages on `topic` from its beginning, until `enough` of them or
    `timeout` seconds without one more (with no registry: (key, the message's JSON))."""
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=int(timeout * 1000),
    )
    seen: list[tuple[bytes, Any]] = []
    partitions: dict[bytes, int] = {}
    try:
        for message in consumer:
            value = message.value
            seen.append(
                (message.key, from_message(value, registry) if registry else json.loads(value))
            )
            partitions[message.key] = message.partition
            if enough(seen):
                break
    finally:
        consumer.close()
    count = len(consumer_partitions(bootstrap, topic))
    for key, partition in partitions.items():  # where Kafka's default partitioner puts it
        assert partition == (murmur2(key) & 0x7FFFFFFF) % count, key
    return seen


def consumer_partitions(bootstrap: str, topic: str) -> set[int]:
    probe = KafkaConsumer(bootstrap_servers=bootstrap)
    try:
        return probe.partitions_for_topic(topic) or set()
    finally:
        probe.close()
