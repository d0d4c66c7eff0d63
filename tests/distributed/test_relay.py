"""The relay: every stored event reaches Kafka in its stream's order, delivery events also by
target account; killed at any point, it repeats and never skips."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from events.sql_store import SQLEventStore
from hub.distributed.relay import RELAY, Relay, producer
from hub.distributed.topics import Topics, ensure_topics
from hub.runtime.embedded import EmbeddedHub
from tests.distributed.conftest import consume
from tests.events.sample_events import noted, registry
from tests.helpers import ROOT, approved
from tests.servers import KafkaBroker

pytestmark = pytest.mark.slow


def test_every_event_reaches_the_bus_in_stream_order(
    bus_config: Path, kafka: KafkaBroker, topics: Topics
) -> None:
    with EmbeddedHub.open(bus_config) as hub:
        article = approved(hub)
        hub.publishing.publish("qianli", article, ["gov/notices", "app:sf-app"], feeds=False)
        hub.work()  # plans and delivers: delivery streams
        stored = hub.store.read_all(0, 10_000)
        ensure_topics(kafka.bootstrap, topics)
        assert isinstance(hub.store, SQLEventStore)
        kafka_producer = producer(kafka.bootstrap)
        relay = Relay(hub.store, kafka_producer, topics, batch_size=7)
        while relay.publish_once():
            pass
        kafka_producer.close()
        assert relay.lag() == 0 and hub.store.checkpoint(RELAY) == stored[-1].global_position
    on_bus = consume(kafka.bootstrap, topics.events, lambda seen: len(seen) == len(stored))
    assert sorted(e.event_id for _, e in on_bus) == sorted(e.event_id for e in stored)
    for key, event in on_bus:
        assert key == event.stream_id.encode()
    by_id = {e.event_id: e for e in stored}
    for _, event in on_bus:  # the same envelope and payload as stored
        assert event == by_id[event.event_id]
    for stream in {e.stream_id for e in stored}:  # each stream in its own order
        versions = [e.stream_version for _, e in on_bus if e.stream_id == stream]
        assert versions == sorted(versions)
    deliveries = [e for e in stored if e.stream_id.startswith("delivery-")]
    assert deliveries
    by_account = consume(
        kafka.bootstrap, topics.deliveries, lambda seen: len(seen) == len(deliveries)
    )
    assert {key for key, _ in by_account} == {b"website:9900000001", b"app:sf-app"}
    for key, event in by_account:
        planned = next(e for e in deliveries if e.stream_id == event.stream_id
                       and e.type == "DeliveryPlanned")  # fmt: skip
        target = planned.payload.target  # type: ignore[attr-defined]
        assert key == f"{target.channel}:{target.account}".encode()


def test_a_batch_not_checkpointed_is_sent_again_and_nothing_is_skipped(
    store: SQLEventStore, kafka: KafkaBroker, topics: Topics
) -> None:
    for n in range(30):
        store.append(f"s{n % 3}", [noted(f"e{n}")], n // 3)
    ensure_topics(kafka.bootstrap, topics)
    kafka_producer = producer(kafka.bootstrap)
    crashing = Relay(store, kafka_producer, topics, batch_size=10)

    def crash(position: int) -> None:
        if position == 20:
            raise RuntimeError("killed between sending and checkpointing")

    crashing.before_checkpoint = crash
    assert crashing.publish_once() == 10
    with pytest.raises(RuntimeError):
        crashing.publish_once()
    assert store.checkpoint(RELAY) == 10
    restarted = Relay(store, kafka_producer, topics, batch_size=10)
    while restarted.publish_once():
        pass
    kafka_producer.close()
    on_bus = consume(kafka.bootstrap, topics.events, lambda seen: len(seen) == 40, 10, registry)
    positions = sorted(e.global_position for _, e in on_bus)
    assert positions == sorted([*range(1, 31), *range(11, 21)])  # 11..20 twice, none missing


def test_the_relay_killed_at_random_points_loses_nothing(
    bus_config: Path, kafka: KafkaBroker, topics: Topics
) -> None:
    """`hub relay` processes SIGKILLed while they publish a backlog, five times; a last one
    finishes. Every stored event is on the bus (some twice)."""
    with EmbeddedHub.open(bus_config) as hub:
        assert isinstance(hub.store, SQLEventStore)
        for n in range(4000):
            hub.store.append(f"s{n % 50}", [noted(f"e{n}")], n // 50)
        head = hub.store.head_position()
    env = {**os.environ, "HUB_CONFIG": str(bus_config)}
    command = [sys.executable, "-m", "hub", "relay", "--batch-size", "200"]
    rng = random.Random(7)
    kills = 0
    for _ in range(5):
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, start_new_session=True)  # fmt: skip
        time.sleep(rng.uniform(1.0, 3.0))  # start-up takes about a second
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            kills += 1
        process.wait(10)
    assert kills >= 3
    done = subprocess.run([*command, "--once"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    with EmbeddedHub.open(bus_config) as hub:
        assert hub.store.checkpoint(RELAY) == head
    seen: set[int] = set()

    def all_there(messages: list) -> bool:
        seen.add(messages[-1][1]["global_position"])
        return len(seen) == head

    consume(kafka.bootstrap, topics.events, all_there, 20, None)
    assert seen == set(range(1, head + 1))
