"""Relay benchmark: events per second from the event store to Kafka, against kafka-python's own
raw idempotent producer sending the same messages to the same broker.

    python -m bench.relay --events 30000

It starts its own PostgreSQL server (durable defaults) and Kafka broker (tests/servers.py),
stores article lifecycles (create, submit, three approvals: 7 events each, 1–2 KB of Chinese
payload for a creation), then times:

- relay: `Relay.publish_once` until the backlog is gone (read the rows, build each message,
  send it keyed by stream id, wait for every acknowledgement, store the checkpoint);
- raw: a `KafkaProducer(acks="all", enable_idempotence=True)` sending the same messages,
  already built, to a topic of the same partition count, then `flush()`.

Ends with: relay: events_per_s=X raw_per_s=Y ratio=Z
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import time

from events.runner import Runner
from events.sql_store import SQLEventStore
from events.stores import open_store
from events.wire import message_value
from hub.distributed.relay import RELAY, Relay, producer
from hub.distributed.topics import Topics, ensure_topics
from hub.runtime.logs import configure_logging
from workflows.article_decider import article_decider


def fill(store: SQLEventStore, events: int) -> None:
    from bench.lifecycle import EVENTS, hub_lifecycle_async

    runner = Runner(store, article_decider)
    per_writer = max(events // EVENTS // 8, 1)

    async def writer() -> None:
        for _ in range(per_writer):
            await hub_lifecycle_async(runner)

    async def all_writers() -> None:
        await asyncio.gather(*(writer() for _ in range(8)))

    asyncio.run(all_writers())


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=30_000, help="events in the store")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each side (medians)")
    parser.add_argument("--partitions", type=int, default=12)
    args = parser.parse_args(argv)
    configure_logging("warning")
    from tests.servers import fresh_database, kafka_server, postgres_server

    with postgres_server(durable=True) as server, kafka_server() as broker:
        store = open_store(fresh_database(server, "hub"))
        assert isinstance(store, SQLEventStore)
        fill(store, args.events)
        total = store.head_position()
        rows = store.read_rows(0, total)
        relay_rates, raw_rates = [], []
        for run in range(args.repeat):
            topics = Topics(f"bench{run}", args.partitions, args.partitions)
            raw_topic = Topics(f"raw{run}", args.partitions, args.partitions)
            ensure_topics(broker.bootstrap, topics)
            ensure_topics(broker.bootstrap, raw_topic)
            # The relay, from checkpoint 0 (a name of its own per run).
            kafka = producer(broker.bootstrap)
            relay = Relay(store, kafka, topics, batch_size=2000, name=f"{RELAY}-{run}")
            started = time.perf_counter()
            assert relay.publish() == total
            relay_rates.append(total / (time.perf_counter() - started))
            kafka.close()
            # The raw producer, the same messages built beforehand.
            messages = [(row[1].encode(), message_value(row)) for row in rows]
            kafka = producer(broker.bootstrap)
            started = time.perf_counter()
            futures = [kafka.send(raw_topic.events, key=k, value=v) for k, v in messages]
            kafka.flush()
            assert all(f.succeeded() for f in futures)
            raw_rates.append(total / (time.perf_counter() - started))
            kafka.close()
        store.close()
    relay_rate, raw_rate = statistics.median(relay_rates), statistics.median(raw_rates)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cpus, "
          f"Python {platform.python_version()}")  # fmt: skip
    print(f"workload: {total} events ({args.events} asked), {args.partitions} partitions, "
          f"{args.repeat} runs (medians); PostgreSQL store, Kafka broker on this machine")  # fmt: skip
    print("relay runs: " + ", ".join(f"{r:,.0f}" for r in relay_rates) + " events/s")
    print("raw runs:   " + ", ".join(f"{r:,.0f}" for r in raw_rates) + " messages/s")
    ratio = relay_rate / raw_rate
    print(f"relay: events_per_s={relay_rate:.0f} raw_per_s={raw_rate:.0f} ratio={ratio:.2f}")
    return {"relay": relay_rate, "raw": raw_rate, "ratio": ratio}


if __name__ == "__main__":
    main()
