"""Delivery workers of the distributed runtime (`hub worker --role delivery`) sharing fan-outs to
app accounts (JPush sandbox, a process of its own): killed, and with Redis and Kafka restarted
under them, every delivery ends delivered, each app got exactly one push (counted by the
sandbox), and every read model equals a fresh rebuild from the store."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.fanout import CONFIG, jpush_sandbox, province
from events.sqlite_store import SQLiteEventStore
from events.store import EventStore
from events.subscriptions import catch_up
from hub.projections import all_projections
from hub.projections.deliveries import DELIVERIES_TABLE, unsettled_count
from hub.runtime.embedded import EmbeddedHub
from tests.distributed.test_projection_workers import TABLES, copy_events
from tests.helpers import ROOT, approved
from tests.servers import KafkaBroker, RedisServer

pytestmark = pytest.mark.slow


class Cluster:
    """A province of `apps` app accounts on PostgreSQL, Kafka and Redis, with the relay and
    delivery workers as processes of their own."""

    def __init__(self, tmp: Path, config: Path, sandbox: str) -> None:
        self.tmp, self.config, self.sandbox = tmp, config, sandbox
        self.logs: list[Path] = []
        self.relay = self.start("relay")
        self.workers = [self.start("worker", "--role", "delivery") for _ in range(2)]

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        log = self.tmp / f"{args[0]}-{len(self.logs)}.log"
        self.logs.append(log)
        return subprocess.Popen([sys.executable, "-m", "hub", *args], cwd=ROOT,
                                env={**os.environ}, start_new_session=True,
                                stdout=log.open("ab"), stderr=subprocess.STDOUT)  # fmt: skip

    def joined(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while sum("worker.partitions" in log.read_text() for log in self.logs) < 2:
            assert time.monotonic() < deadline, "the workers did not join:\n" + self.tails()
            time.sleep(0.2)

    def kill(self, n: int) -> None:
        os.killpg(self.workers[n].pid, signal.SIGKILL)
        self.workers[n].wait(10)
        self.workers[n] = self.start("worker", "--role", "delivery")

    def kill_a_holder(self, hub: EmbeddedHub, timeout: float = 60) -> bool:
        """Kills a worker while it holds a delivery in flight (an attempt begun, its outcome
        not recorded); False when everything settled first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ours = {str(process.pid): n for n, process in enumerate(self.workers)}
            rows = hub.store.rows(DELIVERIES_TABLE, {"status": ["sending"]},
                                  ("delivery_id", "worker"), limit=50)  # fmt: skip
            for delivery, worker in rows:
                pid = str(worker or "").rpartition(":")[2]
                if pid not in ours:
                    continue
                # The ledger table lags the log: kill only what the stream says is in flight.
                state, _ = hub.deliveries.runner.load(str(delivery))
                if str(state.status) == "sending" and state.worker == worker:
                    self.kill(ours[pid])
                    # Landed only if the dead worker still held it: no outcome in its stream
                    # (the ledger table may lag behind the log it folds).
                    state, _ = hub.deliveries.runner.load(str(delivery))
                    return str(state.status) == "sending" and state.worker == worker
            if unsettled_count(hub.store) == 0:
                return False
            time.sleep(0.02)
        return False

    def settled(self, hub: EmbeddedHub, expected: int, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while True:
            hub.catch_up()
            done = unsettled_count(hub.store) == 0
            if (
                done
                and sum(1 for _ in hub.store.rows(DELIVERIES_TABLE, {}, ("status",))) >= expected
            ):
                break
            assert time.monotonic() < deadline, self.tails()
            time.sleep(1)
        statuses = Counter(str(r[0]) for r in hub.store.rows(DELIVERIES_TABLE, {}, ("status",)))
        assert statuses == {"delivered": expected}, statuses

    def pushes(self) -> Counter[tuple[str, str]]:
        """Pushes per (app, article alert) on the sandbox's side."""
        with urllib.request.urlopen(f"{self.sandbox}/_sandbox/jpush/pushes") as answer:
            pushes = json.loads(answer.read())
        return Counter((p["app_key"], json.dumps(p["payload"], sort_keys=True)) for p in pushes)

    def tails(self) -> str:
        return "\n".join(f"== {log.name}\n{log.read_text()[-2000:]}" for log in self.logs)

    def stop(self) -> None:
        for process in [self.relay, *self.workers]:
            if process.poll() is None:
                process.terminate()
        for process in [self.relay, *self.workers]:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture
def province_of(
    tmp_path: Path, pg_url: str, kafka: KafkaBroker, redis_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator:  # fmt: skip
    """`province_of(apps, prefix)`: the running cluster of a province of `apps` app accounts."""
    clusters: list[Cluster] = []
    sandboxes = []
    monkeypatch.setenv("HUB_JPUSH_URL", "")  # the sandbox sets it; unset again after the test

    def make(apps: int, prefix: str) -> Cluster:
        config = tmp_path / "config"
        shutil.copytree(CONFIG, config)
        jpush_apps = province(config, tmp_path, 0, apps)
        (config / "hub.yaml").write_text(
            f"database: {pg_url}\nruntime: distributed\nkafka_servers: {kafka.bootstrap}\n"
            f"redis_url: {redis_url}\nkafka_prefix: {prefix}\nevent_partitions: 4\n"
            "delivery_partitions: 8\nkafka_session_timeout_s: 2\nlog_level: info\n"
            f"sites_root: {tmp_path}/sites\nchannels_root: {tmp_path}/ch\n"
            f"media_root: {tmp_path}/media\nsecrets_file: {tmp_path}/secrets.json\n",
            encoding="utf-8",
        )
        monkeypatch.setenv("HUB_CONFIG", str(config))
        sandbox = jpush_sandbox(tmp_path, jpush_apps, latency=0.05)  # a visible window
        sandbox.__enter__()
        sandboxes.append(sandbox)
        cluster = Cluster(tmp_path, config, os.environ["HUB_JPUSH_URL"])
        clusters.append(cluster)
        cluster.joined()
        return cluster

    yield make
    for cluster in clusters:
        cluster.stop()
    for sandbox in sandboxes:
        sandbox.__exit__(None, None, None)


def same_as_a_rebuild(store: EventStore, hub: EmbeddedHub, tmp_path: Path) -> None:
    fresh = SQLiteEventStore(tmp_path / "fresh.sqlite3")
    copy_events(store, fresh)
    for projection in all_projections(fresh, hub.config.directory):
        catch_up(fresh, projection)
    tables = (*TABLES, DELIVERIES_TABLE)

    def snapshot(s: EventStore) -> dict[str, list[tuple[str, ...]]]:
        return {t.name: sorted(tuple(str(v) for v in row) for row in s.rows(t, {}, t.of_the_log))
                for t in tables}  # fmt: skip

    assert snapshot(store) == snapshot(fresh)
    fresh.close()


def test_killed_delivery_workers_deliver_everything_exactly_once(
    province_of: object, tmp_path: Path
) -> None:
    apps = 1000
    cluster: Cluster = province_of(apps, "dkill")  # type: ignore[operator]
    rng = random.Random(5)
    with EmbeddedHub.open(cluster.config) as hub:
        article = approved(hub)
        hub.publishing.publish("qianli", article, [f"app:app-{n:04d}" for n in range(apps)],
                               feeds=False, notify=True)  # fmt: skip
        kills = 0
        for _ in range(10):
            time.sleep(rng.uniform(0.1, 0.5))
            kills += cluster.kill_a_holder(hub)
            if kills >= 2:
                break
        cluster.settled(hub, apps)
        per_app = cluster.pushes()
        assert len(per_app) == apps and set(per_app.values()) == {1}, per_app.most_common(3)
        same_as_a_rebuild(hub.store, hub, tmp_path)
    # Every delivery a dead worker held ended delivered, each app pushed once (above). Whether
    # a peer took it over at once (`delivery.taking_over`) or another path finished it is not
    # asserted: on a loaded machine CI saw kills land with no take-over logged (open question
    # in the note).
    assert kills > 0, "no kill landed while a worker held a delivery"


def test_redis_and_kafka_restarted_mid_run_lose_nothing(
    province_of: object, tmp_path: Path, redis: RedisServer, kafka: KafkaBroker
) -> None:
    apps = 300
    cluster: Cluster = province_of(apps, "drestart")  # type: ignore[operator]
    with EmbeddedHub.open(cluster.config) as hub:
        first, second = approved(hub), approved(hub, title="关于开展第二批自查工作的通知")
        hub.publishing.publish("qianli", first, [f"app:app-{n:04d}" for n in range(apps)],
                               feeds=False, notify=True)  # fmt: skip
        time.sleep(1.0)
        redis.restart()  # liveness keys, timer locks: all gone
        time.sleep(2.0)
        kafka.stop()
        hub.publishing.publish("qianli", second, [f"app:app-{n:04d}" for n in range(apps)],
                               feeds=False, notify=True)  # fmt: skip
        time.sleep(2.0)
        kafka.start()
        cluster.settled(hub, 2 * apps, timeout=240)
        per_delivery = cluster.pushes()
        assert len(per_delivery) == 2 * apps and set(per_delivery.values()) == {1}
        same_as_a_rebuild(hub.store, hub, tmp_path)
