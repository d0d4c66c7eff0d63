"""Projection workers (`hub worker --role projections`, Faust) fed by `hub relay`: two workers
in one consumer group, one SIGKILLed again and again while articles go through review; in the
end every read model equals a fresh rebuild from the store."""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from kafka import KafkaProducer

from bench.lifecycle import hub_lifecycle
from events.envelope import NewEvent
from events.recorder import Table
from events.runner import Runner
from events.sqlite_store import SQLiteEventStore
from events.store import EventStore, StoreError
from events.stores import open_store
from events.subscriptions import catch_up
from hub.distributed.relay import RELAY
from hub.distributed.signing import Signer
from hub.projections import all_projections
from hub.projections.articles import ARTICLE_LIST, REVIEW_QUEUE
from hub.projections.history import HISTORY
from hub.projections.index_numbers import INDEX_NUMBERS
from hub.projections.publications import LIVE_TARGETS, PUBLICATIONS
from hub.setup.config import load_config
from tests.distributed.conftest import consume
from tests.helpers import ROOT
from tests.servers import KafkaBroker
from workflows.article_decider import article_decider

pytestmark = pytest.mark.slow
TABLES: tuple[Table, ...] = (ARTICLE_LIST, REVIEW_QUEUE, HISTORY, INDEX_NUMBERS, PUBLICATIONS,
                             LIVE_TARGETS)  # fmt: skip


def snapshot(store: EventStore) -> dict[str, list[tuple[str, ...]]]:
    return {
        table.name: sorted(
            tuple(str(v) for v in row) for row in store.rows(table, {}, table.of_the_log)
        )
        for table in TABLES
    }


def copy_events(source: EventStore, target: EventStore) -> None:
    """The same events, in the same order (so the same positions), in another store."""
    after = 0
    while batch := source.read_all(after, 1000):
        for event in batch:
            target.append(event.stream_id, [NewEvent(event.payload, event.actor,
                          event.correlation_id, event.causation_id, event.event_id,
                          event.occurred_at)], event.stream_version - 1)  # fmt: skip
        after = batch[-1].global_position


def test_killed_projection_workers_lose_nothing_and_apply_nothing_twice(
    config_dir: Path, pg_url: str, kafka: KafkaBroker, tmp_path: Path
) -> None:
    (config_dir / "hub.yaml").write_text(
        f"database: {pg_url}\nlog_level: info\nkafka_servers: {kafka.bootstrap}\n"
        "kafka_prefix: projkill\nevent_partitions: 4\ndelivery_partitions: 2\n",
        encoding="utf-8",
    )
    env = {**os.environ, "HUB_CONFIG": str(config_dir)}

    def start(*args: str, log: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "hub", *args], cwd=ROOT, env=env, start_new_session=True,
            stdout=(tmp_path / log).open("ab"), stderr=subprocess.STDOUT,
        )  # fmt: skip

    config = load_config(config_dir)
    store = open_store(pg_url)
    runner = Runner(store, article_decider)
    relay = start("relay", log="relay.log")
    workers = [start("worker", "--role", "projections", log=f"worker{n}.log") for n in range(2)]
    rng = random.Random(11)
    kills = 0
    try:
        time.sleep(6)  # both workers join the group
        for round_ in range(6):
            for _ in range(40):
                hub_lifecycle(runner)
            if round_ < 5:
                victim = rng.randrange(2)
                time.sleep(rng.uniform(0.1, 1.5))
                os.killpg(workers[victim].pid, signal.SIGKILL)
                workers[victim].wait(10)
                kills += 1
                workers[victim] = start(
                    "worker", "--role", "projections", log=f"worker{victim}.log"
                )
        # Wait until the relay published everything and the workers folded it.
        expected_head = store.head_position()
        deadline = time.monotonic() + 120
        while store.checkpoint(RELAY) < expected_head and time.monotonic() < deadline:
            time.sleep(0.5)
        assert store.checkpoint(RELAY) == expected_head, (tmp_path / "relay.log").read_text()
        fresh = SQLiteEventStore(tmp_path / "fresh.sqlite3")
        copy_events(store, fresh)
        for projection in all_projections(fresh, config.directory):
            catch_up(fresh, projection)
        expected = snapshot(fresh)
        fresh.close()
        while snapshot(store) != expected and time.monotonic() < deadline:
            time.sleep(1)
        got = snapshot(store)
        for name in expected:
            assert got[name] == expected[name], name
    finally:
        for process in [relay, *workers]:
            if process.poll() is None:
                process.terminate()
        for process in [relay, *workers]:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
        store.close()
    assert kills == 5
    assert not list(ROOT.glob("projkill-*")), "Faust's folder belongs beside the channels' files"
    logs = "".join((tmp_path / f"worker{n}.log").read_text() for n in range(2))
    assert "worker.folded" in logs
    # The global order was never used here: the read models came from the bus alone.
    assert "Traceback" not in logs, logs[-3000:]


def test_a_projection_worker_folds_only_what_the_relay_signed(
    config_dir: Path, pg_url: str, kafka: KafkaBroker, tmp_path: Path
) -> None:
    """Someone who can write to the events topic (not to the store) forges an article's
    creation, unsigned and signed with another key: the worker folds neither, logs each, and
    goes on folding the relay's messages."""
    (config_dir / "hub.yaml").write_text(
        f"database: {pg_url}\nlog_level: info\nkafka_servers: {kafka.bootstrap}\n"
        "kafka_prefix: forge\nevent_partitions: 2\ndelivery_partitions: 2\n",
        encoding="utf-8",
    )
    env = {**os.environ, "HUB_CONFIG": str(config_dir)}

    def start(*args: str) -> subprocess.Popen[bytes]:
        log = (tmp_path / f"{args[0]}.log").open("ab")
        return subprocess.Popen([sys.executable, "-m", "hub", *args], cwd=ROOT, env=env,
                                start_new_session=True, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip

    processes = [start("relay"), start("worker", "--role", "projections")]
    store = open_store(pg_url)
    runner = Runner(store, article_decider)

    def listed(article: str, timeout: float = 60) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(StoreError, psycopg.Error):  # no read model yet
                if store.rows(ARTICLE_LIST, {"article_id": article}, ("article_id",)):
                    return True
            time.sleep(0.3)
        return False

    try:
        hub_lifecycle(runner)
        genuine = store.read_all(0, 1)[0]
        assert listed(genuine.stream_id.split("-", 1)[1]), (tmp_path / "worker.log").read_text()
        # The genuine creation as it went on the bus, made into another article's.
        messages = consume(kafka.bootstrap, "forge.events",
                           lambda seen: any(v["type"] == genuine.type for _, v in seen),
                           registry=None)  # fmt: skip
        sent = next(v for _, v in messages if v["type"] == genuine.type)
        forged_ids = []
        producer = KafkaProducer(bootstrap_servers=kafka.bootstrap)
        for n, sign in enumerate((bytes, Signer(b"k" * 32).signed)):
            article = f"01f0rged-0000-7000-8000-00000000000{n}"
            forged_ids.append(article)
            value = dict(sent, stream_id=f"article-{article}", event_id=f"forged-{n}",
                         global_position=10_000 + n,
                         payload=dict(sent["payload"], article_id=article,
                                      content=dict(sent["payload"]["content"], title="伪造的通知")))  # fmt: skip
            value.pop("sig")
            producer.send("forge.events", key=value["stream_id"].encode(),
                          value=sign(json.dumps(value, ensure_ascii=False).encode()))  # fmt: skip
        producer.flush()
        producer.close()
        # A genuine article after the forged ones: once it is listed, they were read.
        hub_lifecycle(runner)
        later = [e for e in store.read_all(0, 1000) if e.type == genuine.type][-1]
        assert later.stream_id != genuine.stream_id and listed(later.stream_id.split("-", 1)[1])
        for article in forged_ids:
            assert not store.rows(ARTICLE_LIST, {"article_id": article}, ("article_id",))
        log_text = (tmp_path / "worker.log").read_text()
        assert log_text.count("worker.unsigned_message") == 2, log_text[-3000:]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(30)
        store.close()
