"""Everything that looks at the live sites, put together once for `hub serve`, `hub probe`
and `hub crawl`: the prober (each round: reachability, injected references, published but
not visible on the sites and on the new-media platforms) and the crawler (each pass: links, pages the hub did not write, and the wording
of every live copy)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from channels.website.manifest import read_manifest
from events.log import get_logger
from hub.delivery.accounts import wechat_accounts, weibo_accounts
from hub.runtime.embedded import EmbeddedHub
from hub.setup.directory import Directory, Site
from hub.supervision.accounts import AccountWatcher
from hub.supervision.crawler import Crawler, SiteCrawl, crawl_forever
from hub.supervision.injection import InjectionChecker
from hub.supervision.platform_visibility import PlatformVisibility
from hub.supervision.probes import Prober, probe_forever, probe_targets, site_address
from hub.supervision.render import Renderer, available
from hub.supervision.visibility import VisibilityChecker
from hub.supervision.wording import WordingChecker


def manifests(
    directory: Directory, sites_root: Path, pattern: str
) -> Callable[[str], set[str] | None]:
    """What the hub published in the page at a live address (None: not a page it wrote)."""
    bases = [(site_address(s, pattern)[1], sites_root / s.key) for s in directory.sites]

    def manifest(url: str) -> set[str] | None:
        for base, docroot in bases:
            if url.startswith(base):
                return read_manifest(docroot, docroot / (url[len(base):].split("?")[0]
                                                         or "index.html"))  # fmt: skip
        return None

    return manifest


def prober_for(hub: EmbeddedHub, pattern: str, vantage: str) -> Prober:
    directory = hub.config.directory
    root = hub.config.sites_root

    def online(site: Site, column: str) -> bool:
        """Columns are online once they have had content (where this machine sees the
        sites' folders; elsewhere every column is probed)."""
        return not root.is_dir() or (root / site.key / column / "index.html").is_file()

    prober = Prober(hub.store, hub.work_orders, directory,
                    probe_targets(directory, pattern, online=online), vantage)  # fmt: skip
    prober.targets_of = lambda: probe_targets(directory, pattern, online=online)
    prober.also.append(InjectionChecker(hub.store, hub.work_orders, directory,
                                        hub.config.sites_root, pattern, vantage).run_once)  # fmt: skip
    prober.also.append(VisibilityChecker(hub.store, hub.work_orders, directory, pattern,
                                         hub.articles.titles, vantage).run_once)  # fmt: skip
    prober.also.append(PlatformVisibility(
        hub.store, hub.work_orders, directory,
        wechat_accounts(hub.config, hub.secrets, hub.tokens).apis,
        weibo_accounts(hub.config, hub.secrets, hub.tokens).apis,
        hub.articles.titles, vantage).run_once)  # fmt: skip
    return prober


log = get_logger(__name__)


class CrawlPass:
    """The crawler and the live wording checker, one after the other."""

    def __init__(self, hub: EmbeddedHub, pattern: str, vantage: str) -> None:
        config = hub.config
        self.crawler = Crawler(
            hub.store, hub.work_orders, config.directory, pattern, lambda: config.checks,
            vantage=vantage, max_pages=config.settings.crawl_max_pages,
            manifest_of=manifests(config.directory, config.sites_root, pattern),
            renderer=Renderer(config.settings.render_chromium)
            if available(config.settings.render_chromium) else None,
            keep_screenshot=lambda png, url: hub.media.put(png, "screenshot.png").url,
        )  # fmt: skip
        if self.crawler.renderer is None:
            log.info("crawl.no_renderer", hint="pip install '.[render]' 以启用 Chromium 渲染检查")
        self.accounts = AccountWatcher(
            hub.store, config.directory,
            wechat_accounts(config, hub.secrets, hub.tokens).apis,
            weibo_accounts(config, hub.secrets, hub.tokens).apis, vantage)  # fmt: skip
        self.wording = WordingChecker(hub.store, hub.work_orders, config.directory, pattern,
                                      lambda: config.checks,
                                      lambda a: hub.articles.state(a)[0], vantage)  # fmt: skip

    def run_once(self, now: datetime, full: bool | None = None) -> list[SiteCrawl]:
        crawls = self.crawler.run_once(now, full)
        self.wording.run_once(now, full)
        self.accounts.run_once(now)
        return crawls


class Watching:
    """Probes and crawls on threads of their own until stopped."""

    def __init__(self, hub: EmbeddedHub, pattern: str, vantage: str) -> None:
        settings = hub.config.settings
        self.halt = threading.Event()
        jobs = (
            ("probes", probe_forever, prober_for(hub, pattern, vantage),
             settings.probe_interval_s),
            ("crawler", crawl_forever, CrawlPass(hub, pattern, vantage),
             settings.crawl_interval_s),
        )  # fmt: skip
        self.threads = [threading.Thread(target=loop, args=(worker, interval, self.halt),
                                         name=name, daemon=True)
                        for name, loop, worker, interval in jobs]  # fmt: skip
        for thread in self.threads:
            thread.start()

    def stop(self, timeout: float = 1.0) -> None:
        """Stop: a prober between rounds records its open hours; one in the middle of a
        round (or a crawl pass) is left behind (its threads are daemons) — a process asked
        to stop must stop within 2 s; the probes of its unfinished hour are not counted."""
        self.halt.set()
        deadline = time.monotonic() + timeout
        for thread in self.threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
