"""Published but not visible (已发布未可见), and retracted but still visible: the hub knows
every page it put on a site and every page it took down (the delivery ledger), so each is
looked at on the live site. A page delivered more than `GRACE` ago (10 minutes; with the
probes' 5-minute cycle an invisible page is flagged within 15) that the live site does
not show (no answer, an error, or a page without the article's title: a stale cache, a failed
sync to the web servers, a CDN serving the old copy) opens a work order; so does a retracted
page still answering with the article. Each order closes after its passing re-checks.

Checked: the website deliveries changed in the last `WINDOW`; a page seen once as it should be
is not fetched again by this checker (a process that restarts looks at the window again)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import unescape
from urllib.parse import urlsplit

from events.recorder import AtLeast
from events.store import EventStore
from hub.projections.deliveries import DELIVERIES_TABLE
from hub.setup.directory import Directory
from hub.supervision.probes import TIMEOUT_S, ProbeTarget, probe_all, site_address
from hub.supervision.work_orders import Finding, Observed, WorkOrderService
from workflows.publication import Channel, Target
from workflows.work_order_events import Evidence, Problem

GRACE = timedelta(minutes=10)  # a sync may take this long; checked every cycle: flagged by 15
WINDOW = timedelta(days=2)


def observe_copy(
    orders: WorkOrderService,
    delivery_id: str,
    retracted: bool,
    shown: bool,
    finding: Finding | None,
    evidence: Evidence,
    now: datetime,
) -> tuple[Observed, bool]:
    """What the website and platform checkers do with one copy they looked at: its order
    (`not_visible:<delivery>:live|retracted`) opens, joins, passes or closes; a copy taken
    down on purpose and gone also passes its "missing" order (it is meant to be missing
    now). Also whether the copy is settled: seen as it should be, nothing left open."""
    state = "retracted" if retracted else "live"
    seen = orders.observe(f"{Problem.NOT_VISIBLE}:{delivery_id}:{state}", finding, evidence, now)
    settled = finding is None and seen.outcome in ("none", "closed")
    if retracted and not shown:
        missing = orders.observe(f"{Problem.NOT_VISIBLE}:{delivery_id}:live", None, evidence, now)
        settled = settled and missing.outcome in ("none", "closed")
    return seen, settled


@dataclass(frozen=True)
class _Page:
    delivery_id: str
    article_id: str
    site: str
    url: str  # on the live site, through the probe's address pattern
    retracted: bool
    changed_at: datetime


class VisibilityChecker:
    """Looks at the pages the ledger says are (or are no longer) on the sites."""

    def __init__(
        self, store: EventStore, orders: WorkOrderService, directory: Directory, pattern: str,
        titles: Callable[[set[str]], dict[str, str]], vantage: str = "local",
        timeout: float = TIMEOUT_S, per_host: int = 2,
    ) -> None:  # fmt: skip
        self.store, self.orders, self.directory = store, orders, directory
        self.pattern, self.titles, self.vantage = pattern, titles, vantage
        self.timeout, self.per_host = timeout, per_host
        self._settled: set[tuple[str, bool]] = set()  # (delivery, retracted) seen as it should

    def _live_url(self, site_code: str, url: str) -> str:
        """The page's address on the live site: its path under the site's probe address."""
        base = site_address(self.directory.site(site_code), self.pattern)[1]
        return base + urlsplit(url).path.lstrip("/")

    def pages(self, now: datetime) -> list[_Page]:
        rows = self.store.rows(
            DELIVERIES_TABLE,
            {"channel": str(Channel.WEBSITE), "status": ["delivered", "retracted"],
             "updated_at": AtLeast((now - WINDOW).isoformat())},
            ("delivery_id", "article_id", "target", "url", "status", "updated_at"),
        )  # fmt: skip
        found = []
        for delivery, article, target, url, status, updated in rows:
            retracted = status == "retracted"
            if not url or (str(delivery), retracted) in self._settled:
                continue
            site = Target.parse(str(target)).account
            found.append(_Page(str(delivery), str(article), site,
                               self._live_url(site, str(url)), retracted,
                               datetime.fromisoformat(str(updated))))  # fmt: skip
        return found

    def run_once(self, now: datetime) -> list[str]:
        """Look at every page due; the work orders opened (ids)."""
        pages = [p for p in self.pages(now) if now - p.changed_at >= GRACE]
        if not pages:
            return []
        titles = self.titles({p.article_id for p in pages})
        results = asyncio.run(probe_all(
            [ProbeTarget(p.site, p.url, False) for p in pages], timeout=self.timeout,
            per_host=self.per_host, keep_body=True))  # fmt: skip
        units = {s.code: s.name for s in self.directory.sites}
        opened = []
        for page, result in zip(pages, results, strict=True):
            title = titles.get(page.article_id, "")
            shows = result.ok and bool(title) and title in unescape(result.body)
            wrong = shows if page.retracted else not shows
            what = "已撤稿仍可访问" if page.retracted else "已发布但网站上看不到"
            evidence = Evidence(kind="http", summary=f"{page.url} {result.detail}"
                                f"{'，页面含标题' if shows else '，页面无此稿件'}",
                                detail=title, vantage=self.vantage, seen_at=now)  # fmt: skip
            unit = units.get(page.site, page.site)
            finding = Finding(Problem.NOT_VISIBLE, page.url, page.site, unit,
                              f"{unit}《{title}》{what}（{result.detail}）",
                              now + timedelta(hours=4)) if wrong else None  # fmt: skip
            seen, settled = observe_copy(self.orders, page.delivery_id, page.retracted, shows,
                                         finding, evidence, now)  # fmt: skip
            if settled:
                self._settled.add((page.delivery_id, page.retracted))  # seen as it should be
            if seen.outcome == "opened":
                opened.append(str(seen.order_id))
        return opened
