"""Supervision benchmark: one probe node against a province of sites with scripted faults.

    python -m bench.supervision [--sites 359 --pages 50 --latency 0.05]

The sites run in a process of their own (sandboxes/supervised_sites.py), every site under a
host name of its own (`<key>.bench.test`, resolved to 127.0.0.1 by the prober, so the per-host
limit of 2 requests at once applies per site as it would on the Internet), each answer after
`--latency` seconds. Scripted faults: 10 sites down (HTTP 503), 5 answering after the timeout
(`--timeout`, 2 s here instead of the national 15 s, to keep the run short), 10 failing 5 % of
requests and 10 failing 3 % (a flaky site is not down: a detector that reports one is wrong).
The hub's store is a fresh embedded one; 300 of the sites' 通知公告 columns get an article, the
others stay blank.

Measured:
- probes_per_s: pages probed per second in a full round (359 × 50 = 17,950 requests; the
  national method needs 60 a second for a 5-minute cycle), cpu_share: the prober's CPU seconds
  per wall second meanwhile (1.0 = one core);
- outage detector: sites with a confirmed homepage outage (a work order 站点无法访问) after a
  round and the re-probe of its failures 30 s later, against the scripted down and slow sites;
  outage_alert_s: from the first failed probe of a down homepage to its work order;
- blank-column detector: work orders 空白栏目 after the freshness sweep, against the columns
  left blank;
- invisible_incident_s: the longest a page the log says is published can stay invisible
  before its incident opens, by construction (`GRACE` + one probe cycle): the tests show the
  detector itself (tests/web/test_supervision.py).

Ends with: supervision: min_precision=P min_recall=R outage_alert_s=A invisible_incident_s=I
probes_per_s=Q cpu_share=C
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import resource
import shutil
import socket
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.fanout import BODY, CONFIG, STAGES, province
from hub.projections.deliveries import unsettled_count
from hub.runtime.embedded import EmbeddedHub
from hub.runtime.logs import configure_logging
from hub.supervision.probes import RETRY_S, Prober, ProbeTarget
from hub.supervision.sweep import sweep_freshness
from hub.supervision.visibility import GRACE

INTERVAL_S = 300.0  # the default probe cycle


def _serve(port_out: Any, faults: dict[str, str], flaky: dict[str, float], latency: float,
           slow: float) -> None:  # fmt: skip
    import uvicorn

    from sandboxes.supervised_sites import SupervisedSites

    sites = SupervisedSites(faults=faults, flaky=flaky, latency_s=latency, slow_s=slow)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port_out.put(sock.getsockname()[1])
    config = uvicorn.Config(sites.app(), log_level="warning", lifespan="off",
                            backlog=4096, limit_concurrency=10_000)  # fmt: skip
    uvicorn.Server(config).run(sockets=[sock])


class _Loopback:
    """Resolves every `*.bench.test` host to 127.0.0.1 (RFC 6761 reserves `.test`)."""

    async def resolve(
        self, host: str, port: int = 0, family: int = socket.AF_INET
    ) -> list[dict[str, Any]]:
        return [{"hostname": host, "host": "127.0.0.1", "port": port, "family": socket.AF_INET,
                 "proto": 0, "flags": socket.AI_NUMERICHOST}]  # fmt: skip

    async def close(self) -> None:
        return None


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _scores(found: set[str], truth: set[str]) -> tuple[float, float]:
    hits = len(found & truth)
    return (hits / len(found) if found else 1.0), (hits / len(truth) if truth else 1.0)


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sites", type=int, default=359)
    parser.add_argument("--pages", type=int, default=50, help="pages probed per site")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per answer")
    parser.add_argument("--timeout", type=float, default=2.0, help="a probe's timeout")
    parser.add_argument(
        "--published", type=int, default=300, help="sites whose column gets an article"
    )
    args = parser.parse_args(argv)
    configure_logging("error")
    with tempfile.TemporaryDirectory(prefix="hub-supervise-") as name:
        tmp = Path(name)
        config = tmp / "config"
        shutil.copytree(CONFIG, config)
        province(config, tmp, args.sites, 0)
        (config / "hub.yaml").write_text(
            f"database: {tmp}/hub.sqlite3\nsites_root: {tmp}/sites\nchannels_root: {tmp}/ch\n"
            f"media_root: {tmp}/media\nsecrets_file: {tmp}/secrets.json\nlog_level: error\n",
            encoding="utf-8",
        )
        with EmbeddedHub.open(config) as hub:
            sites = list(hub.config.directory.sites)[: args.sites]
            keys = [s.key for s in sites]
            down, slow = set(keys[10:20]), set(keys[20:25])
            flaky = {k: 0.05 for k in keys[25:35]} | {k: 0.03 for k in keys[35:45]}
            faults = {k: "down" for k in down} | {k: "slow" for k in slow}
            # The blank-column detector's truth: every column with no article.
            published = [s for s in sites if s.column("notices")][: args.published]
            created = hub.articles.create(
                "zhangwei", "gov", ["notices"], "关于做好全省工作的通知", BODY
            )
            hub.articles.submit("zhangwei", created.article_id)
            for user, gates in STAGES:
                hub.articles.approve(user, created.article_id, gates)
            hub.publishing.publish("qianli", created.article_id,
                                   [f"{s.key}/notices" for s in published], feeds=False)  # fmt: skip
            hub.work()
            while unsettled_count(hub.store):
                hub.deliveries.run_once()
            hub.catch_up()

            ports: Any = multiprocessing.get_context("spawn").Queue()
            server = multiprocessing.get_context("spawn").Process(
                target=_serve, args=(ports, faults, flaky, args.latency, args.timeout + 1.0),
                daemon=True)  # fmt: skip
            server.start()
            port = ports.get(timeout=60)
            time.sleep(1.0)
            codes = {s.key: s.code for s in sites}
            targets = []
            for key in keys:
                base = f"http://{key}.bench.test:{port}/{key}/"
                targets.append(ProbeTarget(codes[key], base, True))
                targets += [ProbeTarget(codes[key], f"{base}p{n}.html", False)
                            for n in range(1, args.pages)]  # fmt: skip
            prober = Prober(hub.store, hub.work_orders, hub.config.directory, targets, "bench",
                            timeout=args.timeout)  # fmt: skip
            prober.resolver = _Loopback()
            try:
                cpu, started = _cpu(), time.perf_counter()
                first = datetime.now(UTC)
                results = prober.run_once(first)
                wall = time.perf_counter() - started
                cpu_share = (_cpu() - cpu) / wall
                probes_per_s = len(results) / wall
                # The failures are probed again RETRY_S later (here: as soon as the round is
                # over, with the clock of RETRY_S later) and confirmed.
                prober.recheck_suspects(datetime.now(UTC))
                hub.catch_up()
                alerts = []
                for key in sorted(down):
                    order = hub.work_orders.open_order(f"unreachable:{codes[key]}")
                    if order is not None:
                        opened = datetime.fromisoformat(str(order["opened_at"]))
                        alerts.append((opened - first).total_seconds())
            finally:
                server.terminate()
                server.join(10)
            outage_found = {str(o["site"]) for o in hub.work_orders.find(status="open",
                                                                          problem="unreachable")}  # fmt: skip
            outage_truth = {codes[k] for k in down | slow}
            sweep_freshness(hub.work_orders, hub.config.directory, hub.store, datetime.now(UTC), 4)
            blank_found = {str(o["subject"]) for o in hub.work_orders.find(
                status="open", problem="blank_column")}  # fmt: skip
            blank_truth = {f"website:{s.code}/{c.id}" for s in hub.config.directory.sites
                           for c, _ in s.walk()}  # fmt: skip
            blank_truth -= {f"website:{s.code}/notices" for s in published}
    outage = _scores(outage_found, outage_truth)
    blank = _scores(blank_found, blank_truth)
    # From the round's start to the last down homepage's order, plus the RETRY_S the re-probe
    # waits in a running prober (this benchmark re-probes at once).
    alert_s = RETRY_S + max(alerts) if alerts else float("nan")
    invisible = GRACE.total_seconds() + INTERVAL_S
    print(
        f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"workload: {args.sites} sites × {args.pages} pages = {len(targets)} probes a round, "
          f"{args.latency * 1000:.0f} ms an answer, timeout {args.timeout:.0f} s; faults: "
          f"{len(down)} down, {len(slow)} slow, {len(flaky)} flaky (3–5 %)")  # fmt: skip
    print(f"round: {wall:.1f} s wall, {cpu_share * wall:.1f} s CPU; outage detector precision "
          f"{outage[0]:.2f} recall {outage[1]:.2f}; blank columns precision {blank[0]:.2f} "
          f"recall {blank[1]:.2f} ({len(blank_truth)} blank)")  # fmt: skip
    print("  " + json.dumps({"outage_orders_opened_after_s": [round(a, 1) for a in alerts[:5]]}))
    precision, recall = min(outage[0], blank[0]), min(outage[1], blank[1])
    print(f"supervision: min_precision={precision:.2f} min_recall={recall:.2f} "
          f"outage_alert_s={alert_s:.0f} invisible_incident_s={invisible:.0f} "
          f"probes_per_s={probes_per_s:.0f} cpu_share={cpu_share:.2f}")  # fmt: skip
    return {"precision": precision, "recall": recall, "probes_per_s": probes_per_s,
            "cpu_share": cpu_share}  # fmt: skip


if __name__ == "__main__":
    main()
