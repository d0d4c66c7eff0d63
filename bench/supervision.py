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
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.fanout import BODY, CONFIG, STAGES, province
from hub.projections.deliveries import DELIVERIES_TABLE, unsettled_count
from hub.runtime.embedded import EmbeddedHub
from hub.runtime.logs import configure_logging
from hub.runtime.server import BackgroundServer
from hub.supervision.crawler import Crawler
from hub.supervision.injection import InjectionChecker
from hub.supervision.probes import RETRY_S, Prober, ProbeTarget
from hub.supervision.sweep import sweep_freshness
from hub.supervision.visibility import VisibilityChecker

INTERVAL_S = 300.0  # the default probe cycle


def _serve(port_out: Any, faults: dict[str, str], flaky: dict[str, float], latency: float,
           slow: float, pages: int, crawl_faults: dict[str, set[str]],
           nav: int = 0) -> None:  # fmt: skip
    import uvicorn

    from sandboxes.supervised_sites import SupervisedSites

    sites = SupervisedSites(faults=faults, flaky=flaky, latency_s=latency, slow_s=slow,
                            pages=pages, nav=nav, **crawl_faults)  # fmt: skip
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sites.outside = f"http://outside.bench.test:{port}/_outside"  # another host: outside links
    port_out.put(port)
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


def _crawl(hub: EmbeddedHub, port: int, pages: int) -> dict[str, float]:
    """One full crawl pass of every sandbox site: its time, CPU and the process's peak memory
    (ru_maxrss: the whole benchmark's, an upper bound of the crawler's)."""
    crawler = Crawler(hub.store, hub.work_orders, hub.config.directory,
                      f"http://{{key}}.bench.test:{port}/{{key}}/", lambda: hub.config.checks,
                      vantage="bench", max_pages=pages + 10, timeout=2.0)  # fmt: skip
    crawler.resolver = _Loopback()
    cpu, started = _cpu(), time.perf_counter()
    crawls = crawler.run_once(datetime.now(UTC), full=True)
    hub.catch_up()
    return {"seconds": time.perf_counter() - started, "cpu": _cpu() - cpu,
            "pages": sum(c.pages for c in crawls), "links": sum(c.links for c in crawls),
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}  # fmt: skip


def _hub_pages(hub: EmbeddedHub, published: list[Any]) -> dict[str, Any]:
    """The detectors of pages the hub wrote, on its own docroot served as the live site:
    10 published pages missing (a failed sync), 10 homepages tampered with (a hidden link) and
    5 cloaked for spiders. The checkers run on a clock of 5-minute rounds, the first one
    299 s after the pages went out (the worst offset)."""
    from sandboxes.supervised_sites import HackedFront

    root = hub.config.sites_root
    missing = published[:10]
    for site in missing:
        for page in (root / site.key / "notices").glob("*.html"):
            if page.name != "index.html":
                page.unlink()
    front = HackedFront(root)
    server = BackgroundServer(front.app()).start()
    try:
        pattern = server.url + "/{key}/index.html"
        orders, directory = hub.work_orders, hub.config.directory
        rows = hub.store.rows(DELIVERIES_TABLE, {"channel": "website", "status": "delivered"},
                              ("target", "updated_at"))  # fmt: skip
        truth = {f"website:{s.code}/notices" for s in missing}
        went_out = {str(t): datetime.fromisoformat(str(at)) for t, at in rows}
        delivered = max(at for t, at in went_out.items() if t in truth)
        checker = VisibilityChecker(hub.store, orders, directory, pattern, hub.articles.titles,
                                    "bench", timeout=5.0, per_host=8)  # fmt: skip
        # Rounds every INTERVAL_S, the first 299 s after the last missing page went out; each
        # missing page's delay: from its delivery to the round that opened its order.
        moment, delays = delivered + timedelta(seconds=INTERVAL_S - 1), {}
        while len(delays) < len(truth) and moment - delivered < timedelta(hours=1):
            for order_id in checker.run_once(moment):
                site = str(orders.get(order_id)["site"])
                target = f"website:{site}/notices"
                if target in truth:
                    delays[target] = (moment - went_out[target]).total_seconds()
            moment += timedelta(seconds=INTERVAL_S)
        opened_after = max(delays.values(), default=float("nan"))
        hub.catch_up()
        invisible = {str(o["site"]) for o in orders.find(status="open", problem="not_visible")}
        visible = _scores(invisible, {s.code for s in missing})
        tampered, cloaked = published[10:20], published[20:25]
        for site in tampered:
            home = root / site.key / "index.html"
            home.write_text(home.read_text(encoding="utf-8").replace("</body>", (
                '<div style="display:none"><a href="https://bc.example/">娱乐</a></div></body>')),
                encoding="utf-8")  # fmt: skip
        for site in cloaked:
            front.cloak_ua[f"{site.key}/index.html"] = '<a href="https://bc.example/s">娱乐</a>'
        injection = InjectionChecker(hub.store, orders, directory, root, pattern, "bench",
                                     timeout=5.0, per_host=8)  # fmt: skip
        started = time.perf_counter()
        injection.run_once(moment)
        round_s = time.perf_counter() - started
        hub.catch_up()
        injected = {str(o["site"]) for o in orders.find(status="open", problem="injected_link")
                    if str(o["subject"]).startswith(server.url)}  # fmt: skip
        return {"visible": visible, "invisible_s": opened_after,
                "injected": _scores(injected, {s.code for s in tampered + cloaked}),
                "injected_s": INTERVAL_S + round_s}  # fmt: skip
    finally:
        server.stop()


def province_config(tmp: Path, sites: int) -> Path:
    """A configuration of `sites` sites whose every file lives under `tmp`."""
    config = tmp / "config"
    shutil.copytree(CONFIG, config)
    province(config, tmp, sites, 0)
    (config / "hub.yaml").write_text(
        f"database: {tmp}/hub.sqlite3\nsites_root: {tmp}/sites\nchannels_root: {tmp}/ch\n"
        f"media_root: {tmp}/media\nsecrets_file: {tmp}/secrets.json\nlog_level: error\n",
        encoding="utf-8",
    )
    return config


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
        config = province_config(Path(name), args.sites)
        with EmbeddedHub.open(config) as hub:
            sites = list(hub.config.directory.sites)[: args.sites]
            keys = [s.key for s in sites]
            down, slow = set(keys[10:20]), set(keys[20:25])
            flaky = {k: 0.05 for k in keys[25:35]} | {k: 0.03 for k in keys[35:45]}
            faults = {k: "down" for k in down} | {k: "slow" for k in slow}
            crawl_faults = {"broken": set(keys[45:55]), "hidden": set(keys[55:65]),
                            "wording": set(keys[65:75]), "cloak_ua": set(keys[75:80]),
                            "cloak_referrer": set(keys[80:85])}  # fmt: skip
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
                target=_serve, args=(ports, faults, flaky, args.latency, args.timeout + 1.0,
                                     args.pages, crawl_faults), daemon=True)  # fmt: skip
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
                crawl = _crawl(hub, port, args.pages)
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
            by_problem: dict[str, set[str]] = {}
            for order in hub.work_orders.find(status="open", limit=100_000):
                by_problem.setdefault(str(order["problem"]), set()).add(str(order["site"]))
            crawl_scores = {
                "broken": _scores(by_problem.get("broken_link", set()),
                                  {codes[k] for k in crawl_faults["broken"]}),
                "injected": _scores(by_problem.get("injected_link", set()), {
                    codes[k] for f in ("hidden", "cloak_ua", "cloak_referrer")
                    for k in crawl_faults[f]}),
                "wording": _scores(by_problem.get("wording_error", set()),
                                   {codes[k] for k in crawl_faults["wording"]}),
            }  # fmt: skip
            hub_pages = _hub_pages(hub, published)
    outage = _scores(outage_found, outage_truth)
    blank = _scores(blank_found, blank_truth)
    # From the round's start to the last down homepage's order, plus the RETRY_S the re-probe
    # waits in a running prober (this benchmark re-probes at once).
    alert_s = RETRY_S + max(alerts) if alerts else float("nan")
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
    print(f"crawl (full, {crawl['pages']} pages, {crawl['links']} links): {crawl['seconds']:.1f} s "
          f"wall, {crawl['cpu']:.1f} s CPU, peak memory {crawl['peak_mb']:.0f} MB; "
          + "; ".join(f"{name} precision {p:.2f} recall {r:.2f}"
                      for name, (p, r) in crawl_scores.items()))  # fmt: skip
    print(f"hub pages: visibility precision {hub_pages['visible'][0]:.2f} recall "
          f"{hub_pages['visible'][1]:.2f}, incident after {hub_pages['invisible_s']:.0f} s at "
          f"worst; injection (a probe round) precision {hub_pages['injected'][0]:.2f} recall "
          f"{hub_pages['injected'][1]:.2f}, flagged {hub_pages['injected_s']:.0f} s after the "
          f"change at worst (one {INTERVAL_S:.0f} s cycle + the round)")  # fmt: skip
    scores = [outage, blank, *crawl_scores.values(), hub_pages["visible"], hub_pages["injected"]]
    precision, recall = min(p for p, _ in scores), min(r for _, r in scores)
    invisible = hub_pages["invisible_s"]
    print(f"supervision: min_precision={precision:.2f} min_recall={recall:.2f} "
          f"outage_alert_s={alert_s:.0f} invisible_incident_s={invisible:.0f} "
          f"probes_per_s={probes_per_s:.0f} cpu_share={cpu_share:.2f}")  # fmt: skip
    return {"precision": precision, "recall": recall, "probes_per_s": probes_per_s,
            "cpu_share": cpu_share}  # fmt: skip


if __name__ == "__main__":
    main()
