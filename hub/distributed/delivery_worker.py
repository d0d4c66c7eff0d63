"""`hub worker --role delivery`: a delivery worker of the distributed runtime.

Several run at once, on several machines, in the consumer group `<prefix>-delivery` of
`<prefix>.deliveries` (the relay keys each delivery's events by its target account). Each
works on the accounts of the partitions Kafka assigned to it (hub/distributed/share.py), with
the embedded runtime's engine: a send is recorded as started (with a lease) before the channel
is called, and the outcome after, so a crash at any point leaves a delivery that the next
owner finishes with a status query, never a second send. A message on an owned partition
wakes the engine at once; due retries are looked for every second.

When a worker dies its partitions move to the others within the group's session timeout, and
its attempts in flight are taken over as soon as its liveness key in Redis has expired
(hub/distributed/liveness.py), not after their 60-second leases. Timers (scheduled releases,
expiries) run in one worker at a time under a Redis lock; reactions and the planner are
checkpointed subscribers (the store serialises them).
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

from faust import Worker
from redis.exceptions import RedisError

from events.log import get_logger
from hub.distributed.liveness import Liveness
from hub.distributed.redis_client import redis_client
from hub.distributed.share import AccountShare
from hub.distributed.topics import Topics, ensure_topics
from hub.distributed.worker import faust_app
from hub.runtime.embedded import EmbeddedHub
from hub.setup.config import load_config

log = get_logger(__name__)

ROUND_S = 1.0  # the longest a due retry waits for a round


def engine_rounds(
    hub: EmbeddedHub, share: AccountShare, client: Any, prefix: str,
    wake: threading.Event, stop: threading.Event,
) -> None:  # fmt: skip
    """The worker's rounds: timers (one worker at a time), reactions, then the engine on the
    owned accounts."""
    while not stop.is_set():
        wake.wait(ROUND_S)
        wake.clear()
        if stop.is_set():
            return
        try:
            lock = client.lock(f"{prefix}:timers", timeout=30, blocking=False)
            try:
                if lock.acquire(blocking=False):
                    try:
                        hub.timers()
                    finally:
                        lock.release()
            except RedisError as exc:
                log.warning("worker.timers_skipped", error=str(exc))
            hub.react()
            if share.owned:
                report = hub.deliveries.run_once()
                if report.attempted or report.taken_over:
                    log.info("worker.round", attempted=report.attempted,
                             outcomes=report.outcomes, taken_over=report.taken_over)  # fmt: skip
        except Exception as exc:  # a round that failed is tried again; the worker goes on
            log.error("worker.round_failed", error=repr(exc))
            time.sleep(ROUND_S)


def run(config_dir: Path, overrides: dict[str, Any]) -> None:
    """Run a delivery worker until SIGTERM or SIGINT."""
    config = load_config(config_dir, overrides)
    settings = config.settings
    topics = Topics.of(settings)
    ensure_topics(settings.kafka_servers, topics)
    worker_id = f"{os.uname().nodename}:{os.getpid()}"
    client = redis_client(settings.redis_url, timeout=2)
    liveness = Liveness(client, topics.prefix, worker_id)
    share = AccountShare(config.directory, topics.delivery_partitions, liveness)
    hub = EmbeddedHub.open(config_dir, overrides, share=share, worker=worker_id)
    stop, wake = threading.Event(), threading.Event()
    beating = liveness.keep_beating(stop)
    rounds = threading.Thread(
        target=engine_rounds, args=(hub, share, client, topics.prefix, wake, stop),
        name="engine-rounds", daemon=True,
    )  # fmt: skip
    app = faust_app(config, "delivery")
    source = app.topic(topics.deliveries, key_type=bytes, value_type=bytes,
                       partitions=topics.delivery_partitions, internal=False)  # fmt: skip

    @app.agent(source, name="deliveries")
    async def wakeups(stream: Any) -> None:
        async for _ in stream.take(500, within=0.1):
            wake.set()

    @app.on_partitions_assigned.connect
    async def assigned(sender: Any, assigned: Any, **kwargs: Any) -> None:
        share.assign(tp.partition for tp in assigned if tp.topic == topics.deliveries)
        log.info("worker.partitions", worker=worker_id, owned=sorted(share.owned))
        wake.set()

    @app.on_partitions_revoked.connect
    async def revoked(sender: Any, revoked: Any, **kwargs: Any) -> None:
        gone = {tp.partition for tp in revoked if tp.topic == topics.deliveries}
        share.assign(share.owned - gone)

    rounds.start()
    try:
        Worker(app, loglevel=settings.log_level.upper(), quiet=True).execute_from_commandline()
    finally:
        stop.set()
        wake.set()
        rounds.join(30)
        beating.join(5)
        hub.close()
