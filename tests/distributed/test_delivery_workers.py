"""Delivery workers of the distributed runtime (`hub worker --role delivery`): two in one
consumer group share a fan-out to 1,000 app accounts (JPush sandbox, a process of its own);
one is SIGKILLed at random points five times (and started again). Every delivery ends
delivered, each app got exactly one push (counted by the sandbox), and every read model equals
a fresh rebuild from the store."""

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
from pathlib import Path

import pytest

from bench.fanout import CONFIG, jpush_sandbox, province
from events.sqlite_store import SQLiteEventStore
from events.subscriptions import catch_up
from hub.projections import all_projections
from hub.projections.deliveries import DELIVERIES_TABLE, unsettled_count
from hub.runtime.embedded import EmbeddedHub
from tests.distributed.test_projection_workers import TABLES, copy_events
from tests.helpers import ROOT, approved
from tests.servers import KafkaBroker

pytestmark = pytest.mark.slow
APPS = 1000


def snapshot(store: object, tables: tuple) -> dict[str, list[tuple[str, ...]]]:
    return {
        t.name: sorted(tuple(str(v) for v in row) for row in store.rows(t, {}, t.names))  # type: ignore[attr-defined]
        for t in tables
    }


def test_killed_delivery_workers_deliver_everything_exactly_once(
    tmp_path: Path, pg_url: str, kafka: KafkaBroker, redis_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    config = tmp_path / "config"
    shutil.copytree(CONFIG, config)
    apps = province(config, tmp_path, 0, APPS)
    (config / "hub.yaml").write_text(
        f"database: {pg_url}\nruntime: distributed\nkafka_servers: {kafka.bootstrap}\n"
        f"redis_url: {redis_url}\nkafka_prefix: dkill\nevent_partitions: 4\n"
        "delivery_partitions: 8\nkafka_session_timeout_s: 2\nlog_level: info\n"
        f"sites_root: {tmp_path}/sites\nchannels_root: {tmp_path}/ch\nmedia_root: {tmp_path}/media\n"
        f"secrets_file: {tmp_path}/secrets.json\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("HUB_CONFIG", str(config))
    logs: list[Path] = []

    def start(*args: str) -> subprocess.Popen[bytes]:
        log = tmp_path / f"{args[0]}-{len(logs)}.log"
        logs.append(log)
        return subprocess.Popen([sys.executable, "-m", "hub", *args], cwd=ROOT,
                                env={**os.environ}, start_new_session=True,
                                stdout=log.open("ab"), stderr=subprocess.STDOUT)  # fmt: skip

    monkeypatch.setenv("HUB_JPUSH_URL", "")  # the sandbox sets it; unset again after the test
    with jpush_sandbox(tmp_path, apps):
        sandbox = os.environ["HUB_JPUSH_URL"]
        relay = start("relay")
        workers = [start("worker", "--role", "delivery") for _ in range(2)]
        rng = random.Random(5)
        try:
            deadline = time.monotonic() + 60
            while sum("worker.partitions" in log.read_text() for log in logs) < 2:
                assert time.monotonic() < deadline, "the workers did not join"
                time.sleep(0.2)
            with EmbeddedHub.open(config) as hub:
                article = approved(hub)
                hub.publishing.publish("qianli", article, [f"app:app-{n:04d}" for n in range(APPS)],
                                       feeds=False, notify=True)  # fmt: skip
                for _ in range(5):
                    time.sleep(rng.uniform(0.3, 2.0))
                    victim = rng.randrange(2)
                    os.killpg(workers[victim].pid, signal.SIGKILL)
                    workers[victim].wait(10)
                    workers[victim] = start("worker", "--role", "delivery")
                deadline = time.monotonic() + 180
                while True:
                    hub.catch_up()
                    if unsettled_count(hub.store) == 0 or time.monotonic() > deadline:
                        break
                    time.sleep(1)
                assert unsettled_count(hub.store) == 0
                statuses = Counter(
                    str(r[0]) for r in hub.store.rows(DELIVERIES_TABLE, {}, ("status",))
                )
                assert statuses == {"delivered": APPS}, statuses
                with urllib.request.urlopen(f"{sandbox}/_sandbox/jpush/pushes") as answer:
                    pushes = json.loads(answer.read())
                per_app = Counter(p["app_key"] for p in pushes)
                assert len(per_app) == APPS and set(per_app.values()) == {1}, per_app.most_common(3)
                taken = sum(log.read_text().count("delivery.taking_over") for log in logs)
                fresh = SQLiteEventStore(tmp_path / "fresh.sqlite3")
                copy_events(hub.store, fresh)
                for projection in all_projections(fresh, hub.config.directory):
                    catch_up(fresh, projection)
                tables = (*TABLES, DELIVERIES_TABLE)
                assert snapshot(hub.store, tables) == snapshot(fresh, tables)
                fresh.close()
        finally:
            for process in [relay, *workers]:
                if process.poll() is None:
                    process.terminate()
            for process in [relay, *workers]:
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    process.kill()
    print(f"attempts taken over from killed workers: {taken}")
