"""`hub worker`: the Faust workers of the distributed runtime.

Role `projections`: an agent consumes `<prefix>.events` (every event, keyed by stream id) in
the consumer group `<prefix>-projections` and folds each batch into every read model, each
event at most once and in its stream's order (events/stream_order.py): the read models'
transactions keep the last version applied per stream, so a batch the bus delivers again
after a crash or a rebalance changes nothing, and a gap is read from the store. Faust's own
tables and `exactly_once` are not relied on (research/distributed-infra.md §4: at-least-once
double-counted after kill -9, and exactly_once was off by one under a mid-stream kill).

Before it consumes, a worker folds what the store holds and the read models lack (the bus
keeps a week; the store keeps everything), so a new worker, or one back after a long stop,
starts from a complete read model.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import faust

import workflows.event_types  # noqa: F401  (every event type: this reads events it did not write)
from events.log import get_logger
from events.registry import default_registry
from events.store import EventStore
from events.stream_order import Applied, apply_in_stream_order
from events.subscriptions import Subscriber, catch_up
from events.wire import from_message
from hub.distributed.signing import Signer, bus_key
from hub.distributed.topics import Topics
from hub.setup.config import HubConfig

log = get_logger(__name__)


class ProjectionFolder:
    """Folds batches of bus messages into the read models."""

    def __init__(
        self, store: EventStore, projections: Sequence[Subscriber], signer: Signer | None = None
    ) -> None:
        self.store = store
        self.projections = list(projections)
        self.totals = Applied()
        self.signer = signer or Signer(bus_key(store))
        self.refused = 0  # messages not signed by the relay (not folded)

    def catch_up(self) -> int:
        """What the store holds and the read models lack (before consuming)."""
        return sum(catch_up(self.store, p) for p in self.projections)

    def fold(self, values: Sequence[bytes]) -> Applied:
        """Fold the messages the relay signed; a gap one refused leaves is read from the
        store when the stream's next event comes."""
        events = []
        for value in values:
            if not self.signer.verifies(value):
                self.refused += 1
                log.error("worker.unsigned_message", size=len(value), refused=self.refused)
                continue
            try:
                events.append(from_message(value, default_registry))
            except ValueError as exc:  # signed but not an event: say so, and go on
                log.error("worker.bad_message", error=str(exc))
        outcome = Applied()
        for projection in self.projections:
            done = apply_in_stream_order(self.store, projection, events)
            outcome.applied += done.applied
            outcome.repeats += done.repeats
            outcome.filled += done.filled
        self.totals.applied += outcome.applied
        self.totals.repeats += outcome.repeats
        self.totals.filled += outcome.filled
        log.info("worker.folded", events=len(events), applied=outcome.applied,
                 repeats=outcome.repeats, filled=outcome.filled)  # fmt: skip
        return outcome


def faust_app(config: HubConfig, role: str) -> Any:
    """A Faust app in the role's consumer group, on the configured brokers."""
    settings = config.settings
    session_timeout = settings.kafka_session_timeout_s
    topics = Topics.of(settings)
    datadir = config.path("channels_root").parent / "faust" / topics.group(role)
    datadir.mkdir(parents=True, exist_ok=True)
    return faust.App(
        topics.group(role),
        broker=[f"kafka://{server.strip()}" for server in settings.kafka_servers.split(",")],
        key_serializer="raw",
        value_serializer="raw",
        store="memory://",
        # Faust keeps a folder of its own per app: beside the channels' files, not wherever
        # the process was started.
        datadir=str(datadir),
        web_enabled=False,
        topic_allow_declare=False,  # the hub creates its topics (hub/distributed/topics.py)
        topic_disable_leader=True,
        consumer_auto_offset_reset="earliest",
        broker_session_timeout=session_timeout,
        broker_heartbeat_interval=max(session_timeout / 6, 0.3),
        # A member slow to rejoin (a busy machine) holds a rebalance up this long, not a minute.
        broker_rebalance_timeout=max(session_timeout * 5, 10.0),
        broker_commit_interval=1.0,
        processing_guarantee="at_least_once",
    )


def projections_agent(app: Any, topics: Topics, folder: ProjectionFolder) -> None:
    """The agent folding `<prefix>.events` (batches of up to 500, or what came in 0.2 s)."""
    source = app.topic(topics.events, key_type=bytes, value_type=bytes,
                       partitions=topics.event_partitions, internal=False)  # fmt: skip
    # The store is synchronous: folds run on a thread of their own, one batch at a time.
    executor = ThreadPoolExecutor(1, thread_name_prefix="fold")

    @app.agent(source, name="project")
    async def project(stream: Any) -> None:
        loop = asyncio.get_running_loop()
        async for values in stream.take(500, within=0.2):
            await loop.run_in_executor(executor, folder.fold, values)
