"""Distributed runtime benchmark: delivery throughput with one and with two delivery workers,
and the failover when one is killed, on real PostgreSQL, Kafka and Redis servers.

    python -m bench.distributed [--apps 64 --articles 8 --latency 0.1]

It starts what it needs itself (tests/servers.py: PostgreSQL with the durable defaults, a
Kafka broker, Redis; the JPush sandbox in a process of its own, every push answered after
`--latency` seconds, as a real platform's round trip makes channel delivery I/O-bound), then
runs `hub relay` and `hub worker --role delivery` processes:

- one worker, then two: `--articles` approved articles published at once, each to every one
  of `--apps` app accounts (notified); articles per second from the first publish to the last
  delivery done;
- failover: two workers, the same load, one SIGKILLed 2 s after the publish (its first round
  of calls in flight); the seconds from the kill to the first delivery, by the survivor, to an
  account the killed worker owned. Then the sandbox's pushes are counted: a delivery without its push is lost,
  a second push for one is duplicated.

Ends with: distributed: one_worker_per_s=X two_workers_per_s=Y scaling=Z failover_s=F lost=L
duplicated=D
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.fanout import BODY, CONFIG, STAGES, province
from hub.distributed.share import account_key
from hub.distributed.topics import partition_of
from hub.projections.deliveries import DELIVERIES_TABLE
from hub.runtime.embedded import EmbeddedHub
from hub.runtime.logs import configure_logging

ROOT = Path(__file__).resolve().parents[1]
PARTITIONS = 8


@contextmanager
def sandbox(tmp: Path, apps: list[dict[str, object]], latency: float) -> Iterator[str]:
    (tmp / "apps.json").write_text(json.dumps(apps), "utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "sandboxes", "--port", "0", "--apps", str(tmp / "apps.json"),
         "--latency", str(latency)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        yield process.stdout.readline().split("listening: ")[1].strip()
    finally:
        process.terminate()
        process.wait()


class Processes:
    """The hub's processes of one phase, each logging to a file of its own."""

    def __init__(self, tmp: Path, env: dict[str, str]) -> None:
        self.tmp, self.env = tmp, env
        self.running: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, *args: str) -> None:
        self.running[name] = subprocess.Popen(
            [sys.executable, "-m", "hub", *args], cwd=ROOT, env=self.env,
            start_new_session=True, stdout=(self.tmp / f"{name}.log").open("ab"),
            stderr=subprocess.STDOUT,
        )  # fmt: skip

    def log(self, name: str) -> str:
        return (self.tmp / f"{name}.log").read_text(errors="replace")

    def kill(self, name: str) -> None:
        os.killpg(self.running[name].pid, signal.SIGKILL)
        self.running.pop(name).wait(10)

    def stop(self) -> None:
        for process in self.running.values():
            process.terminate()
        for process in self.running.values():
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        self.running.clear()


def owned_partitions(log: str) -> set[int]:
    """The partitions a delivery worker last said it owns."""
    found = re.findall(r'"owned": \[([0-9, ]*)\]', log)
    return {int(p) for p in found[-1].split(",") if p.strip()} if found else set()


def wait_joined(procs: Processes, workers: list[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not all(owned_partitions(procs.log(w)) for w in workers):
        if time.monotonic() > deadline:
            raise SystemExit("the delivery workers did not get their partitions")
        time.sleep(0.2)
    time.sleep(0.5)


def approve(hub: EmbeddedHub, title: str) -> str:
    created = hub.articles.create("zhangwei", "gov", ["notices"], title, BODY)
    hub.articles.submit("zhangwei", created.article_id)
    for user, gates in STAGES:
        hub.articles.approve(user, created.article_id, gates)
    return created.article_id


def phase(
    hub: EmbeddedHub, procs: Processes, workers: int, apps: int, articles: int, label: str,
    kill_after: float | None = None,
) -> tuple[float, float | None]:  # fmt: skip
    """Publish `articles` to every app with `workers` delivery workers; (seconds until all
    delivered, failover seconds when a worker was killed `kill_after` seconds after the
    publish, in the middle of its first round of calls)."""
    names = [f"{label}-w{n}" for n in range(workers)]
    for name in names:
        procs.start(name, "worker", "--role", "delivery")
    wait_joined(procs, names)
    ids = [approve(hub, f"关于做好第{label}批次工作的通知（{n + 1}）") for n in range(articles)]
    targets = [f"app:app-{n:04d}" for n in range(apps)]
    total = apps * articles
    started = time.perf_counter()
    for article in ids:
        hub.publishing.publish("qianli", article, targets, feeds=False, notify=True)
    killed_at: float | None = None
    failover: float | None = None
    victim_accounts: list[str] = []
    victim_id = ""
    before = 0
    while True:
        hub.catch_up()
        done = hub.store.rows(DELIVERIES_TABLE, {"article_id": ids, "status": "delivered"},
                              ("delivery_id",))  # fmt: skip
        left = total - len(done)
        if (
            kill_after is not None
            and killed_at is None
            and time.perf_counter() - started >= kill_after
        ):
            victim = names[0]
            owned = owned_partitions(procs.log(victim))
            victim_accounts = [f"app-{n:04d}" for n in range(apps)
                               if partition_of(account_key("app", f"app-{n:04d}").encode(),
                                               PARTITIONS) in owned]  # fmt: skip
            victim_id = f"{os.uname().nodename}:{procs.running[victim].pid}"
            procs.kill(victim)
            killed_at = time.perf_counter()
            before = delivered_by_others(hub, victim_accounts, victim_id)
        if (
            killed_at is not None
            and failover is None
            and delivered_by_others(hub, victim_accounts, victim_id) > before
        ):
            failover = time.perf_counter() - killed_at
        # Done; a failover is waited for only if the killed worker's accounts had work left
        # (a workload small enough to finish before the kill has none to measure).
        if left == 0 and (
            kill_after is None or failover is not None or killed_at is None
            or delivered_by_others(hub, victim_accounts, victim_id) == before
        ):  # fmt: skip
            break
        if time.perf_counter() - started > 600:
            raise SystemExit(f"{label}: {left} deliveries left after 10 minutes")
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    procs.stop()
    return seconds, failover


def delivered_by_others(hub: EmbeddedHub, accounts: list[str], victim: str) -> int:
    """Deliveries to `accounts` delivered by a worker other than `victim`."""
    rows = hub.store.rows(DELIVERIES_TABLE, {"account": accounts, "status": "delivered"},
                          ("worker",))  # fmt: skip
    return sum(1 for (worker,) in rows if str(worker) != victim)


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--apps", type=int, default=64, help="app accounts (JPush sandbox)")
    parser.add_argument("--articles", type=int, default=8, help="articles per phase")
    parser.add_argument("--latency", type=float, default=0.1, help="seconds per platform call")
    args = parser.parse_args(argv)
    configure_logging("warning")
    from tests.servers import fresh_database, kafka_server, postgres_server, redis_server

    with (
        tempfile.TemporaryDirectory(prefix="hub-dist-") as name,
        postgres_server(durable=True) as pg, kafka_server() as kafka, redis_server() as redis,
    ):  # fmt: skip
        tmp = Path(name)
        config = tmp / "config"
        shutil.copytree(CONFIG, config)
        apps = province(config, tmp, 0, args.apps)
        (config / "hub.yaml").write_text(
            f"database: {fresh_database(pg, 'hub')}\nruntime: distributed\n"
            f"kafka_servers: {kafka.bootstrap}\nredis_url: {redis.url}\nkafka_prefix: bench\n"
            f"event_partitions: {PARTITIONS}\ndelivery_partitions: {PARTITIONS}\n"
            "kafka_session_timeout_s: 2\nlog_level: info\n"
            f"sites_root: {tmp}/sites\nchannels_root: {tmp}/ch\nmedia_root: {tmp}/media\n"
            f"secrets_file: {tmp}/secrets.json\n",
            encoding="utf-8",
        )
        with sandbox(tmp, apps, args.latency) as url:
            env = {**os.environ, "HUB_CONFIG": str(config), "HUB_JPUSH_URL": url}
            os.environ["HUB_JPUSH_URL"] = url
            procs = Processes(tmp, env)
            procs.start("relay", "relay")
            relay = procs.running.pop("relay")
            try:
                with EmbeddedHub.open(config) as hub:
                    one, _ = phase(hub, procs, 1, args.apps, args.articles, "one")
                    two, _ = phase(hub, procs, 2, args.apps, args.articles, "two")
                    _, failover = phase(hub, procs, 2, args.apps, args.articles, "kill",
                                        kill_after=2.0)  # fmt: skip
                    expected = Counter(
                        str(r[0]) for r in hub.store.rows(DELIVERIES_TABLE, {}, ("status",))
                    )
            finally:
                relay.terminate()
                relay.wait(30)
            with urllib.request.urlopen(f"{url}/_sandbox/jpush/pushes") as answer:
                pushes = json.loads(answer.read())
    per_delivery = Counter((p["app_key"], json.dumps(p["payload"], sort_keys=True)) for p in pushes)
    total = args.apps * args.articles * 3
    duplicated = sum(n - 1 for n in per_delivery.values() if n > 1)
    lost = total - len(per_delivery)
    one_rate, two_rate = args.articles / one, args.articles / two
    print(
        f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"workload: {args.articles} articles per phase, each to {args.apps} app accounts "
          f"({args.apps * args.articles} deliveries), {args.latency * 1000:.0f} ms per platform "
          f"call; {PARTITIONS} partitions; ledger at the end: {dict(expected)}")  # fmt: skip
    print(
        f"one worker: {one:.1f} s; two workers: {two:.1f} s; "
        f"failover after SIGKILL: {failover if failover is not None else float('nan'):.1f} s"
    )
    scaling = two_rate / one_rate
    print(f"distributed: one_worker_per_s={one_rate:.2f} two_workers_per_s={two_rate:.2f} "
          f"scaling={scaling:.2f} failover_s={'nan' if failover is None else f'{failover:.1f}'} "
          f"lost={lost} "
          f"duplicated={duplicated}")  # fmt: skip
    return {"one": one_rate, "two": two_rate, "scaling": scaling,
            "failover": failover or 0.0, "lost": lost, "duplicated": duplicated}  # fmt: skip


if __name__ == "__main__":
    main()
