"""`hub status`: the health of every component of the distributed runtime and how far behind
each consumer is: the event store (its head), the relay (events stored and not yet on Kafka),
the Kafka topics and every consumer group's lag, Redis and the delivery workers alive."""

from __future__ import annotations

from typing import Any

from events.store import EventStore, StoreError
from hub.distributed.redis_client import redis_client
from hub.distributed.relay import RELAY
from hub.distributed.topics import Topics
from hub.projections.deliveries import unsettled_count
from hub.setup.config import HubConfig


def status(config: HubConfig, store: EventStore) -> dict[str, Any]:
    """Every component's state as JSON-ready data (`ok` false where one is down)."""
    settings = config.settings
    report: dict[str, Any] = {"runtime": settings.runtime}
    try:
        head = store.head_position()
        report["store"] = {"ok": True, "database": config.database_shown, "head": head,
                           "unsettled_deliveries": _unsettled(store)}  # fmt: skip
    except StoreError as exc:
        report["store"] = {"ok": False, "error": exc.message}
        head = None
    if settings.kafka_servers:
        topics = Topics.of(settings)
        relayed = store.checkpoint(RELAY) if head is not None else None
        report["relay"] = {"checkpoint": relayed,
                           "lag": head - relayed if head is not None and relayed is not None else None}  # fmt: skip
        report["kafka"] = _kafka(settings.kafka_servers, topics)
    if settings.redis_url:
        report["redis"] = _redis(settings.redis_url, Topics.of(settings).prefix)
    return report


def _unsettled(store: EventStore) -> int | None:
    """Deliveries not settled, per the ledger (None before the ledger was first folded)."""
    try:
        return unsettled_count(store)
    except Exception:  # the ledger's table does not exist yet (a store never caught up)
        return None


def _kafka(bootstrap: str, topics: Topics) -> dict[str, Any]:
    from kafka import KafkaConsumer, TopicPartition
    from kafka.admin import KafkaAdminClient
    from kafka.errors import KafkaError

    try:
        admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000,
                                 bootstrap_timeout_ms=5000)  # fmt: skip
    except KafkaError as exc:
        return {"ok": False, "servers": bootstrap, "error": str(exc)}
    probe = KafkaConsumer(bootstrap_servers=bootstrap, request_timeout_ms=5000)
    try:
        described = {d["name"]: len(d.get("partitions") or [])
                     for d in admin.describe_topics([topics.events, topics.deliveries])}  # fmt: skip
        ends = {}
        for name, count in described.items():
            parts = [TopicPartition(name, p) for p in range(count)]
            ends.update(probe.end_offsets(parts))
        groups = {}
        for role, topic in (("projections", topics.events), ("delivery", topics.deliveries)):
            committed = admin.list_consumer_group_offsets(topics.group(role))
            lag = sum(max(end - committed[tp].offset, 0) if tp in committed else end
                      for tp, end in ends.items() if tp.topic == topic)  # fmt: skip
            groups[topics.group(role)] = {"lag": lag, "joined": bool(committed)}
        return {"ok": True, "servers": bootstrap, "topics": described, "groups": groups}
    except KafkaError as exc:
        return {"ok": False, "servers": bootstrap, "error": str(exc)}
    finally:
        probe.close()
        admin.close()


def _redis(url: str, prefix: str) -> dict[str, Any]:
    from redis.exceptions import RedisError

    client = redis_client(url, timeout=3)
    try:
        client.ping()
        workers = sorted(k.decode().rsplit(":alive:", 1)[1]
                         for k in client.scan_iter(f"{prefix}:alive:*"))  # fmt: skip
        return {"ok": True, "delivery_workers": workers}
    except RedisError as exc:
        return {"ok": False, "error": str(exc)}
    finally:
        client.close()
