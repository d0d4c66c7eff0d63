"""The hub's Kafka topics: created by the hub with explicit partition counts (the brokers'
auto-creation stays off), never repartitioned behind its back (a key's partition is
murmur2(key) mod the count: another count sends a stream's events elsewhere)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError
from kafka.partitioner.default import murmur2

from events.log import get_logger
from hub.distributed.errors import BusError
from hub.setup.config import Settings

log = get_logger(__name__)

# A week: Kafka is the bus, the store keeps everything (a consumer further behind than that
# rebuilds from the store).
RETENTION_MS = 7 * 24 * 3600 * 1000


def partition_of(key: bytes, partitions: int) -> int:
    """The partition Kafka's default partitioner gives `key` among `partitions` (0..n-1)."""
    return (murmur2(key) & 0x7FFFFFFF) % partitions


@dataclass(frozen=True)
class Topics:
    """Names and partition counts of the hub's topics, and its consumer groups."""

    prefix: str
    event_partitions: int
    delivery_partitions: int

    @property
    def events(self) -> str:
        return f"{self.prefix}.events"  # every event, keyed by stream id

    @property
    def deliveries(self) -> str:
        return f"{self.prefix}.deliveries"  # delivery events, keyed by target account

    def group(self, role: str) -> str:
        return f"{self.prefix}-{role}"

    @classmethod
    def of(cls, settings: Settings) -> Topics:
        return cls(settings.kafka_prefix, settings.event_partitions, settings.delivery_partitions)


def ensure_topics(bootstrap: str, topics: Topics) -> None:
    """Create the topics that are missing; refuse topics of another partition count."""
    wanted = {topics.events: topics.event_partitions,
              topics.deliveries: topics.delivery_partitions}  # fmt: skip
    try:
        # An operator starting a process wants to hear of a broker that does not answer in
        # seconds, not after kafka-python's 30.
        admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id=f"{topics.prefix}-admin",
                                 bootstrap_timeout_ms=8000, request_timeout_ms=15000)  # fmt: skip
    except KafkaError as exc:
        raise BusError(f"无法连接 Kafka（{bootstrap}）：{exc}") from exc
    try:
        existing = set(admin.list_topics())
        missing = [
            NewTopic(name, partitions, 1 if _single_broker(admin) else 3,
                     topic_configs={"retention.ms": str(RETENTION_MS)})
            for name, partitions in wanted.items()
            if name not in existing
        ]  # fmt: skip
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):  # made by another meanwhile
                admin.create_topics(missing)
            log.info("bus.topics_created", topics=[t.name for t in missing])
        for described in admin.describe_topics(list(wanted)):
            count = len(described.get("partitions") or [])
            name = described.get("name") or described.get("topic")
            if name in wanted and count and count != wanted[name]:
                raise BusError(
                    f"Kafka 主题 {name} 有 {count} 个分区，配置要求 {wanted[name]} 个；"
                    "分区数不能更改（同一流的事件会落到别的分区），请改回配置"
                )
    finally:
        admin.close()


def _single_broker(admin: KafkaAdminClient) -> bool:
    """Whether the cluster has one broker (then topics get one replica, else three)."""
    try:
        return len(admin.describe_cluster().get("brokers") or []) < 3
    except KafkaError:
        return True
