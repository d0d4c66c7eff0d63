"""One province fan-out, embedded against distributed: one article published to every one of
`--sites` website columns and `--accounts` app accounts (each notified; the JPush sandbox in a
process of its own, answering at once), timed from the publish command to the last delivered
state, on the same machine:

- embedded: the default runtime (SQLite, the engine in the publishing process), as
  `python -m bench.fanout` measures it;
- distributed: PostgreSQL, Kafka and Redis (started here, tests/servers.py), `hub relay` and
  `--workers` delivery workers (`hub worker --role delivery`), each a process of its own; the
  publishing process waits for the ledger to show every delivery delivered.

    python -m bench.distributed_fanout [--sites 359 --accounts 2404 --repeat 2 --workers 2]

The first article goes into empty sites and is not counted; the median of `--repeat` more is
the figure of each runtime. Both runtimes call channels from a process's threads (the
embedded engine's `delivery_workers`, 4 by default; the same in each worker process), so the
distributed figure shows what the bus, the shared ledger and the hand-over between processes
cost or save when the channels answer at once (channels that take 100 ms a call are
`python -m bench.distributed`'s).

Ends with: distributed_fanout: targets=N embedded_s=E distributed_s=D ratio=D/E
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from bench.distributed import Processes, wait_joined
from bench.fanout import BODY, CONFIG, STAGES, fan_out, jpush_sandbox, machine_speed, province
from hub.projections.deliveries import DELIVERIES_TABLE
from hub.runtime.embedded import EmbeddedHub
from hub.runtime.logs import configure_logging

PARTITIONS = 8


def targets_of(hub: EmbeddedHub, sites: int, accounts: int) -> list[str]:
    columns = [f"{s.key}/notices" for s in hub.config.directory.sites if s.column("notices")]
    return columns[:sites] + [f"app:app-{n:04d}" for n in range(accounts)]


def embedded(tmp: Path, sites: int, accounts: int, repeat: int) -> list[float]:
    config = tmp / "config"
    shutil.copytree(CONFIG, config)
    apps = province(config, tmp, sites, accounts)
    (config / "hub.yaml").write_text(
        f"database: {tmp}/hub.sqlite3\nsites_root: {tmp}/sites\nchannels_root: {tmp}/ch\n"
        f"media_root: {tmp}/media\nsecrets_file: {tmp}/secrets.json\n",
        encoding="utf-8",
    )
    with jpush_sandbox(tmp, apps) as pid, EmbeddedHub.open(config) as hub:
        targets = targets_of(hub, sites, accounts)
        hub.adapters["website"].warm()  # a running hub has its site indexes open
        fan_out(hub, targets, "关于做好全省秋季森林防火工作的通知", False, int(pid))
        runs = [fan_out(hub, targets, f"关于做好全省冬季安全生产工作的通知（{n + 1}）", False,
                        int(pid))[0] for n in range(repeat)]  # fmt: skip
        hub.deliveries.close()
    return runs


def publish_and_wait(hub: EmbeddedHub, targets: list[str], title: str) -> float:
    """Approve an article, publish it to `targets`; seconds until every delivery is delivered
    (the delivery workers deliver; this process only reads the ledger)."""
    created = hub.articles.create("zhangwei", "gov", ["notices"], title, BODY)
    hub.articles.submit("zhangwei", created.article_id)
    for user, gates in STAGES:
        hub.articles.approve(user, created.article_id, gates)
    started = time.perf_counter()
    hub.publishing.publish("qianli", created.article_id, targets, feeds=False, notify=True)
    while True:
        hub.catch_up()
        done = hub.store.tally(DELIVERIES_TABLE, {"article_id": created.article_id,
                                                  "status": "delivered"})  # fmt: skip
        if done and done[0][0] >= len(targets):
            return time.perf_counter() - started
        if time.perf_counter() - started > 900:
            raise SystemExit(f"{title}: not delivered after 15 minutes")
        time.sleep(0.05)


def distributed(tmp: Path, sites: int, accounts: int, repeat: int, workers: int) -> list[float]:
    from tests.servers import fresh_database, kafka_server, postgres_server, redis_server

    config = tmp / "config"
    shutil.copytree(CONFIG, config)
    apps = province(config, tmp, sites, accounts)
    with (
        postgres_server(durable=True) as pg, kafka_server() as kafka, redis_server() as redis,
        jpush_sandbox(tmp, apps),
    ):  # fmt: skip
        (config / "hub.yaml").write_text(
            f"database: {fresh_database(pg, 'fanout')}\nruntime: distributed\n"
            f"kafka_servers: {kafka.bootstrap}\nredis_url: {redis.url}\nkafka_prefix: fanout\n"
            f"event_partitions: {PARTITIONS}\ndelivery_partitions: {PARTITIONS}\n"
            "kafka_session_timeout_s: 2\nlog_level: info\n"
            f"sites_root: {tmp}/sites\nchannels_root: {tmp}/ch\nmedia_root: {tmp}/media\n"
            f"secrets_file: {tmp}/secrets.json\n",
            encoding="utf-8",
        )
        procs = Processes(tmp, {**os.environ, "HUB_CONFIG": str(config)})
        names = [f"w{n}" for n in range(workers)]
        try:
            procs.start("relay", "relay")
            for name in names:
                procs.start(name, "worker", "--role", "delivery")
            wait_joined(procs, names, timeout=180)
            with EmbeddedHub.open(config) as hub:
                targets = targets_of(hub, sites, accounts)
                publish_and_wait(hub, targets, "关于做好全省秋季森林防火工作的通知")
                runs = [publish_and_wait(hub, targets, f"关于做好全省冬季安全生产工作的通知（{n + 1}）")
                        for n in range(repeat)]  # fmt: skip
        finally:
            procs.stop()
    return runs


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sites", type=int, default=359)
    parser.add_argument("--accounts", type=int, default=2404)
    parser.add_argument("--repeat", type=int, default=2, help="articles timed (the median counts)")
    parser.add_argument("--workers", type=int, default=2, help="delivery worker processes")
    args = parser.parse_args(argv)
    configure_logging("warning")
    speed = [machine_speed()]
    with tempfile.TemporaryDirectory(prefix="hub-dfan-") as name:
        (Path(name) / "e").mkdir()
        (Path(name) / "d").mkdir()
        local = embedded(Path(name) / "e", args.sites, args.accounts, args.repeat)
        spread = distributed(Path(name) / "d", args.sites, args.accounts, args.repeat,
                             args.workers)  # fmt: skip
    speed.append(machine_speed())
    targets = args.sites + args.accounts
    embedded_s, distributed_s = statistics.median(local), statistics.median(spread)
    print(
        f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"
        f"; a fixed 2M-step loop took {speed[0]:.0f} ms before and {speed[1]:.0f} ms after"
    )
    print(f"targets: {args.sites} website columns, {args.accounts} apps (each notified); "
          f"{args.workers} delivery workers, {PARTITIONS} partitions")  # fmt: skip
    print("embedded: " + " ".join(f"{s:.2f}" for s in local))
    print("distributed: " + " ".join(f"{s:.2f}" for s in spread))
    print(f"distributed_fanout: targets={targets} embedded_s={embedded_s:.2f} "
          f"distributed_s={distributed_s:.2f} ratio={distributed_s / embedded_s:.2f}")  # fmt: skip
    return {"targets": targets, "embedded": embedded_s, "distributed": distributed_s}


if __name__ == "__main__":
    main()
