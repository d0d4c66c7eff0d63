"""The relay (`hub relay`): publishes every stored event to Kafka, in the store's commit order.

The events table is the outbox: the relay follows it by global position, sends each event to
`<prefix>.events` keyed by its stream id (one stream's events in order on one partition), and
each delivery's events also to `<prefix>.deliveries` keyed by the delivery's target account
(the delivery workers own accounts by partition). Its checkpoint (a subscriber checkpoint in
the store, "relay") advances only after the broker acknowledged every message up to it
(idempotent producer, `acks=all`). Each message is signed (hub/distributed/signing.py). A relay killed between sending and checkpointing sends
those events again when it restarts: it may repeat, it never skips; consumers ignore repeats
by stream version.

One relay at a time does the work: the checkpoint's transaction holds the store's lock of the
"relay" subscriber, and a second relay started by mistake only repeats messages.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from typing import Any

from kafka import KafkaProducer
from kafka.errors import KafkaError

from events.log import get_logger
from events.sql_store import SQLEventStore
from events.wire import message_value
from hub.distributed.signing import Signer, bus_key
from hub.distributed.topics import Topics, partition_of
from workflows.delivery_decider import DELIVERIES

log = get_logger(__name__)

RELAY = "relay"  # the relay's checkpoint in the store


def producer(bootstrap: str, client_id: str = "hub-relay", **options: Any) -> KafkaProducer:
    """An idempotent producer that waits for every in-sync replica (`acks=all`)."""
    settings: dict[str, Any] = {
        "bootstrap_servers": bootstrap,
        "client_id": client_id,
        "acks": "all",
        "enable_idempotence": True,
        "max_in_flight_requests_per_connection": 5,  # the most idempotence allows
        "linger_ms": 5,
        "batch_size": 256 * 1024,
        "retries": 2**31 - 1,
        "delivery_timeout_ms": 120_000,
    }
    settings.update(options)
    return KafkaProducer(**settings)


class Relay:
    """Follows the store and publishes its events (see the module's docstring)."""

    def __init__(
        self,
        store: SQLEventStore,
        producer: KafkaProducer,
        topics: Topics,
        *,
        batch_size: int = 2000,
        name: str = RELAY,
    ) -> None:
        self.store = store
        self.producer = producer
        self.topics = topics
        self.signer = Signer(bus_key(store))  # the workers fold only what it signed
        self.batch_size = batch_size
        self.name = name
        self._accounts: OrderedDict[str, bytes] = OrderedDict()  # delivery id -> account key
        self._partitions: OrderedDict[tuple[str, bytes], int] = OrderedDict()
        self._counts: dict[str, list[int]] = {}  # topic -> its partitions
        self.ack_timeout = 120.0  # seconds to wait for a batch's acknowledgements
        # Called after each batch is sent and before its checkpoint (a test kills here).
        self.before_checkpoint: Callable[[int], object] = lambda position: None

    def publish_once(self) -> int:
        """Publish one batch after the checkpoint and checkpoint it once acknowledged; how
        many events it held."""
        after = self.store.checkpoint(self.name)
        rows = self.store.read_rows(after, self.batch_size)
        if not rows:
            return 0
        sent = self._send(rows)
        self.producer.flush()
        self._checkpoint(self._acknowledged(sent), int(rows[-1][3]))
        return len(rows)

    def publish(self, window: int = 4) -> int:
        """Publish everything stored now, `window` batches in flight at a time (the next batch
        is read and sent while the broker acknowledges the earlier ones); the checkpoint
        follows the acknowledged batches. How many events were published."""
        position = self.store.checkpoint(self.name)
        in_flight: deque[tuple[int, list[Any]]] = deque()
        total = 0
        while True:
            rows = self.store.read_rows(position, self.batch_size) if position >= 0 else []
            if rows:
                position = int(rows[-1][3])
                in_flight.append((position, self._send(rows)))
                total += len(rows)
            else:
                position = -1  # nothing more now: wait for what is in flight
            if not in_flight:
                return total
            if not rows or len(in_flight) > window:
                last, sent = in_flight.popleft()
                self._checkpoint(self._acknowledged(sent), last)

    def run(self, stop: threading.Event, idle_wait: float = 1.0) -> None:
        """Publish until `stop` is set, waking as soon as the store has new events; a broker
        that fails is retried (the checkpoint stays where the last acknowledged batch left it)."""
        while not stop.is_set():
            try:
                published = self.publish()
            except (KafkaError, RelayError) as exc:
                log.warning("relay.kafka_failed", error=str(exc))
                stop.wait(1.0)
                continue
            if not published:
                self.store.wait_for_append(self.store.checkpoint(self.name), idle_wait)

    def _send(self, rows: Sequence[Sequence[Any]]) -> list[Any]:
        """Send a batch's messages; their futures."""
        send = self.producer.send
        events, deliveries = self.topics.events, self.topics.deliveries
        partition, signed = self._partition, self.signer.signed
        sent = []
        for row in rows:
            value = signed(message_value(row))
            key = row[1].encode()
            sent.append(send(events, key=key, value=value, partition=partition(events, key)))
            if row[1].startswith(DELIVERIES.prefix):
                account = self._account(row)
                if account is not None:
                    sent.append(send(deliveries, key=account, value=value,
                                     partition=partition(deliveries, account)))  # fmt: skip
        return sent

    def _partition(self, topic: str, key: bytes) -> int:
        """The partition Kafka's default partitioner gives `key` (murmur2 of the key modulo
        the partition count), remembered per key: an article's events share one key, and
        kafka-python computes murmur2 in Python (a fifth of a send's time)."""
        found = self._partitions.get((topic, key))
        if found is None:
            partitions = self._counts.get(topic)
            if partitions is None:
                partitions = self._counts[topic] = sorted(self.producer.partitions_for(topic))
            found = partitions[partition_of(key, len(partitions))]
            self._partitions[(topic, key)] = found
            if len(self._partitions) > 100_000:
                self._partitions.popitem(last=False)
        return found

    def _acknowledged(self, sent: list[Any]) -> int:
        """Wait until the broker acknowledged every message sent; how many there were."""
        for future in sent:
            try:
                future.get(timeout=self.ack_timeout)
            except KafkaError as exc:  # not acknowledged: nothing from here on counts
                raise RelayError(f"Kafka 未确认消息：{exc!r}") from exc
        return len(sent)

    def _checkpoint(self, messages: int, last: int) -> None:
        self.before_checkpoint(last)
        with self.store.subscriber_transaction(self.name) as tx:
            tx.advance(last)
        log.info("relay.published", messages=messages, last=last)

    def lag(self) -> int:
        """Events stored and not yet published."""
        return self.store.head_position() - self.store.checkpoint(self.name)

    def _account(self, row: Sequence[Any]) -> bytes | None:
        """The target account of a delivery's event (`channel:account`): from its
        DeliveryPlanned, seen here or read from the store."""
        delivery = row[1]
        known = self._accounts.get(delivery)
        if known is None:
            if row[4] == "DeliveryPlanned":
                target = json.loads(row[11]).get("target") or {}
            else:
                first = self.store.read_stream(delivery, 1, 1)
                planned = getattr(first[0].payload, "target", None) if first else None
                target = planned.model_dump(mode="json") if planned is not None else {}
            if not target:
                log.warning("relay.delivery_without_target", delivery_id=delivery)
                return None
            known = f"{target['channel']}:{target['account']}".encode()
            self._accounts[delivery] = known
            if len(self._accounts) > 100_000:
                self._accounts.popitem(last=False)
        return known


class RelayError(Exception):
    """The broker did not acknowledge a batch."""
