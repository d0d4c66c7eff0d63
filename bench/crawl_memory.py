"""The crawler's memory at its worst: SITES_AT_ONCE sites crawled in full at the same time.

    python -m bench.crawl_memory [--sites 32 --pages 1000 --nav 100]

A weekly full pass of any number of sites holds at most SITES_AT_ONCE (32) of them at once,
each at most `crawl_max_pages` pages; this measures the peak memory (ru_maxrss) of one full
pass over `--sites` sandbox sites of `--pages` pages, each page carrying `--nav` links to
other pages of its site (a government site's navigation: the links a crawl must check on
every page). Ends with: crawl_memory: sites=S pages=P links=L seconds=T peak_mb=M
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.supervision import _Loopback, _serve, province_config
from hub.runtime.embedded import EmbeddedHub
from hub.runtime.logs import configure_logging
from hub.supervision.crawler import Crawler


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sites", type=int, default=32)
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--nav", type=int, default=100)
    args = parser.parse_args(argv)
    configure_logging("error")
    with tempfile.TemporaryDirectory(prefix="hub-crawl-") as name:
        config = province_config(Path(name), args.sites)
        spawn = multiprocessing.get_context("spawn")
        ports = spawn.Queue()
        server = spawn.Process(target=_serve, args=(ports, {}, {}, 0.0, 3.0, args.pages, {},
                                                    args.nav), daemon=True)  # fmt: skip
        server.start()
        try:
            port = ports.get(timeout=60)
            time.sleep(1.0)
            with EmbeddedHub.open(config) as hub:
                sites = f"http://{{key}}.bench.test:{port}/{{key}}/"
                crawler = Crawler(hub.store, hub.work_orders, hub.config.directory, sites,
                                  lambda: hub.config.checks, vantage="bench",
                                  max_pages=args.pages + 10, timeout=5.0)  # fmt: skip
                crawler.resolver = _Loopback()
                started = time.perf_counter()
                crawls = crawler.run_once(datetime.now(UTC), full=True)
                seconds = time.perf_counter() - started
        finally:
            server.terminate()
            server.join(10)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"crawl_memory: sites={len(crawls)} pages={sum(c.pages for c in crawls)} "
        f"links={sum(c.links for c in crawls)} seconds={seconds:.0f} peak_mb={peak:.0f}"
    )


if __name__ == "__main__":
    main()
