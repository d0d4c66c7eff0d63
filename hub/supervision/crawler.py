"""The crawler (周检测): every site's pages followed from its homepage, every link on them
checked — broken links (错链、断链: a 4xx, or no answer or a server error three times in a
row: a flaky server is not a broken link), outbound links counted per host — and, on pages
the hub did not write, hidden outside links (暗链: a link to another host inside an element
styled invisible) and wording errors (the live rules of hub/supervision/wording.py); the
newest date on their homepage and column pages is their freshness (`UpdateSeen`: what the
log cannot tell). Pages the hub wrote are judged by their manifests (injection.py) and their
articles' copies (wording.py) instead.

Two passes: an incremental one every `crawl_interval_s` — each homepage, its column pages,
the pages the ledger says changed since the last pass, and the pages of open crawl orders —
and a full one every week, following every page of the site (at most `max_pages` per site).
Memory stays bounded: sites are crawled 32 at a time, each site's page set is dropped when
it is done, (page, link) pairs are resolved batch by batch, and the link cache holds at most
`LINK_CACHE` links. A site's pass is one event (`CrawlRecorded`), not one per page.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urldefrag, urljoin, urlsplit

from channels.website.manifest import references
from events.decider import derived_id
from events.log import get_logger
from events.recorder import AtLeast
from events.store import EventStore
from hub.projections.deliveries import DELIVERIES_TABLE
from hub.projections.probes import CRAWLS
from hub.setup.directory import Directory, Site
from hub.supervision.probes import (
    CLOAKED_VIEWS,
    TIMEOUT_S,
    fetch,
    hash_page,
    open_session,
    record_site_event,
    site_address,
)
from hub.supervision.render import Rendered, Renderer
from hub.supervision.wording import describe, live_findings, page_content
from hub.supervision.work_orders import Finding, WorkOrderService
from workflows.beijing_time import BEIJING
from workflows.checks.matcher import CompiledDictionaries
from workflows.probe_events import CrawlRecorded, UpdateSeen
from workflows.publication import Channel
from workflows.work_order_events import Evidence, Problem

log = get_logger(__name__)

FULL_EVERY = timedelta(days=7)
LINK_CACHE = 50_000  # links whose state is remembered within a pass
SITES_AT_ONCE = 32
# A link with no answer or a server error is asked this many more times before it counts as
# broken (a 4xx is the server's word: once is enough).
RETRIES = 2
FIRST_PASS_AFTER_S = 120.0
RECTIFY = timedelta(days=5)
_SKIP = ("mailto:", "tel:", "javascript:", "data:", "inline-script:", "#")
_NOT_PAGES = re.compile(r"\.(?:pdf|docx?|xlsx?|pptx?|zip|rar|jpe?g|png|gif|webp|svg|mp[34]|"
                        r"css|js|ico|xml|txt|wps|ofd)$", re.I)  # fmt: skip
# An element styled invisible, holding a link (the classic 暗链 of a hacked CMS template).
_HIDDEN = re.compile(
    r"<(div|span|p|section|marquee|font|ul|li)\b[^>]*style\s*=\s*[\"'][^\"']*"
    r"(?:display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0|"
    r"(?:left|top|text-indent)\s*:\s*-\d{3,}px|height\s*:\s*0)[^\"']*[\"'][^>]*>(.*?)</\1>",
    re.I | re.S,
)


def page_links(html: str, url: str) -> list[str]:
    """Every address the page references (links, scripts, frames, styles, images), made
    absolute, without fragments; each once."""
    found: dict[str, None] = {}
    for ref in references(html):
        if ref.lower().startswith(_SKIP) or not ref.strip():
            continue
        absolute = urldefrag(urljoin(url, ref.strip()))[0]
        if absolute.startswith(("http://", "https://")):
            found[absolute] = None
    return list(found)


_DATE = re.compile(r"(20\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")


def newest_date(html: str, now: datetime) -> datetime | None:
    """The newest date (not in the future) a page's content shows: 2026-11-20, 2026/11/20,
    2026年11月20日 (midnight, Beijing time) — what a reader and an inspector go by on a page
    the hub did not write."""
    today = now.astimezone(BEIJING).date()
    found = None
    for match in _DATE.finditer(page_content(html)):
        try:
            day = date(*(int(g) for g in match.groups()))
        except ValueError:
            continue
        if day <= today and (found is None or day > found):
            found = day
    return datetime.combine(found, datetime.min.time(), BEIJING) if found else None


def _canonical(url: str) -> str:
    """One name for a folder's page: `…/index.html` is `…/`."""
    return url[: -len("index.html")] if url.endswith("/index.html") else url


def hidden_outside_links(html: str, host: str) -> list[str]:
    """Links to other hosts inside elements styled invisible."""
    found = []
    for match in _HIDDEN.finditer(html):
        for link in page_links(match.group(2), f"http://{host}/"):
            if urlsplit(link).netloc != host:
                found.append(link)
    return found


@dataclass
class SiteCrawl:
    site: str
    full: bool
    pages: int = 0
    links: int = 0
    bytes: int = 0
    broken: dict[str, list[str]] = field(default_factory=dict)  # page -> broken links (detail)
    outbound: set[str] = field(default_factory=set)  # hosts
    hidden: dict[str, list[str]] = field(default_factory=dict)  # page -> hidden outside links
    wording: dict[str, str] = field(default_factory=dict)  # page -> findings
    looked_at: set[str] = field(default_factory=set)  # pages fetched (the re-checks' scope)
    hashes: dict[str, str] = field(default_factory=dict)  # page -> its HTML's fingerprint
    # Freshness of what the hub did not write: target -> the newest date on its page.
    dates: dict[str, datetime] = field(default_factory=dict)
    screenshots: dict[str, str] = field(default_factory=dict)  # page -> stored screenshot


class Crawler:
    def __init__(
        self, store: EventStore, orders: WorkOrderService, directory: Directory, pattern: str,
        compiled: Callable[[], CompiledDictionaries], *, vantage: str = "local",
        max_pages: int = 5000, timeout: float = TIMEOUT_S, per_host: int = 2,
        manifest_of: Callable[[str], set[str] | None] = lambda url: None,
        renderer: Renderer | None = None,
        keep_screenshot: Callable[[bytes, str], str] | None = None,
    ) -> None:  # fmt: skip
        self.store, self.orders, self.directory = store, orders, directory
        self.pattern, self.compiled, self.vantage = pattern, compiled, vantage
        self.max_pages, self.timeout, self.per_host = max_pages, timeout, per_host
        # What the hub published in the page at a live address (None: not a page it wrote).
        self.manifest_of = manifest_of
        self.renderer = renderer  # pages rendered in Chromium too (render.py), if available
        self.keep_screenshot = keep_screenshot  # stores a screenshot (evidence); its address
        self.resolver: Any = None
        self._links: OrderedDict[str, tuple[bool, str]] = OrderedDict()
        self._gone: set[str] = set()  # links answered 4xx this pass (not asked again)
        self._hosts: dict[str, asyncio.Semaphore] = {}
        self._since: datetime | None = None

    def hub_pages(self, url: str) -> bool:
        return self.manifest_of(url) is not None

    # -- what to crawl -------------------------------------------------------------------------

    def full_due(self, now: datetime) -> bool:
        rows = self.store.rows(CRAWLS, {"kind": "full", "vantage": self.vantage}, ("at",))
        if len(rows) < len(self.directory.sites):
            return True
        return now - min(datetime.fromisoformat(str(at)) for (at,) in rows) >= FULL_EVERY

    def seeds(self, site: Site, now: datetime) -> list[str]:
        """The incremental pass's pages of a site (see the module's docstring)."""
        home, base = site_address(site, self.pattern)
        found = {home: None, **{f"{base}{c.id}/index.html": None for c, _ in site.walk()}}
        since = self._since or now - timedelta(days=1)
        rows = self.store.rows(DELIVERIES_TABLE, {
            "channel": str(Channel.WEBSITE), "updated_at": AtLeast(since.isoformat()),
            "target": [f"website:{site.code}/{c.id}" for c in site.columns]}, ("url",))  # fmt: skip
        for (url,) in rows:
            if url:
                found[base + urlsplit(str(url)).path.lstrip("/")] = None
        for order in self.orders.find(status="open", site=site.code):
            if order["problem"] in _CRAWL_PROBLEMS and "://" in str(order["subject"]):
                found[str(order["subject"])] = None
        return list(found)

    # -- a pass ---------------------------------------------------------------------------------

    def run_once(self, now: datetime, full: bool | None = None) -> list[SiteCrawl]:
        """One pass over every site (full when due, unless told); orders opened, joined and
        re-checked; a `CrawlRecorded` per site."""
        if full is None:
            full = self.full_due(now)
        started = time.monotonic()
        crawls = asyncio.run(self._crawl_all(now, full))
        self._since = now
        if self.renderer is not None:
            self._rendered(crawls, now)
        for crawl in crawls:
            self._judge(crawl, now)
            self._record(crawl, now, time.monotonic() - started)
            for target, newest in crawl.dates.items():
                record_site_event(self.store, crawl.site, now, UpdateSeen(
                    target=target, latest_at=newest, vantage=self.vantage, source="crawl"),
                    derived_id("update-seen", target, newest.isoformat()))  # fmt: skip
        log.info("crawl.done", full=full, sites=len(crawls), pages=sum(c.pages for c in crawls),
                 broken=sum(len(c.broken) for c in crawls))  # fmt: skip
        return crawls

    async def _crawl_all(self, now: datetime, full: bool) -> list[SiteCrawl]:
        slots = asyncio.Semaphore(SITES_AT_ONCE)
        self._hosts = {}
        self._links.clear()
        self._gone.clear()

        async def one(session: Any, site: Site) -> SiteCrawl:
            async with slots:
                return await self._crawl_site(session, site, now, full)

        async with open_session(self.timeout, resolver=self.resolver) as session:
            return list(await asyncio.gather(*(one(session, s) for s in self.directory.sites)))

    async def _get(self, session: Any, url: str, keep_body: bool) -> tuple[bool, str, str]:
        gate = self._hosts.setdefault(urlsplit(url).netloc, asyncio.Semaphore(self.per_host))
        async with gate:
            got = await fetch(session, url, timeout=self.timeout, keep_body=keep_body)
        if 400 <= got.status < 500:
            self._gone.add(url)  # the server says so: no need to ask again
        return got.ok, got.detail, got.body

    async def _crawl_site(self, session: Any, site: Site, now: datetime, full: bool) -> SiteCrawl:
        home, base = site_address(site, self.pattern)
        host = urlsplit(home).netloc
        crawl = SiteCrawl(site.code, full)
        seeds = [home] if full else self.seeds(site, now)
        seen: set[str] = {_canonical(u) for u in seeds}
        queue: deque[str] = deque(seeds)
        queued: set[str] = set(seeds)  # to be fetched as pages: the fetch tells their state
        # Links whose state is not known yet -> the pages that have them. Resolved batch by
        # batch (a site's navigation is known after its first pages), so memory holds the
        # frontier, not every (page, link) pair of the site.
        waiting: dict[str, list[str]] = {}
        compiled = self.compiled()
        home_body = ""
        # The pages whose newest date tells a column's (or the homepage's) freshness.
        freshness_targets = {_canonical(f"{base}{c.id}/index.html"): f"website:{site.code}/{c.id}"
                             for c, _ in site.walk()}  # fmt: skip
        freshness_targets[_canonical(home)] = f"website:{site.code}"
        while queue:
            batch = [queue.popleft() for _ in range(min(len(queue), self.per_host * 2))]
            queued.difference_update(batch)
            results = await asyncio.gather(*(self._get(session, u, True) for u in batch))
            found: dict[str, list[str]] = {}  # link -> pages of this batch
            for url, (ok, detail, body) in zip(batch, results, strict=True):
                self._remember(url, ok, detail)
                if not ok:
                    continue
                if url == home:
                    home_body = body
                crawl.pages += 1
                crawl.bytes += len(body)
                crawl.looked_at.add(url)
                crawl.hashes[url] = hash_page(body)
                links = page_links(body, url)
                crawl.links += len(links)
                for link in links:
                    target = urlsplit(link).netloc
                    if target != host:
                        crawl.outbound.add(target)
                    follow = (full and link.startswith(base) and not _NOT_PAGES.search(link)
                              and _canonical(link) not in seen
                              and len(seen) < self.max_pages)  # fmt: skip
                    if follow:
                        seen.add(_canonical(link))
                        queue.append(link)
                        queued.add(link)
                    found.setdefault(link, []).append(url)
                if not self.hub_pages(url):
                    dated = freshness_targets.get(_canonical(url))
                    newest = newest_date(body, now) if dated else None
                    if dated and newest:
                        crawl.dates[dated] = newest
                    hidden = hidden_outside_links(body, host)
                    if hidden:
                        crawl.hidden[url] = hidden
                    findings = live_findings(body, compiled, now.date())
                    if findings:
                        crawl.wording[url] = describe(findings)
            # Links no fetch of this crawl will tell about, and pages of this batch that did
            # not answer (asked again: a hiccup is not a broken link).
            await self._check_links(session, {link for link in found if link not in queued}
                                    | set(batch))  # fmt: skip
            for link, pages in found.items():
                waiting.setdefault(link, []).extend(pages)
            self._resolve(crawl, waiting, {*found, *batch}, queued)
        await self._check_links(session, set(waiting))  # whatever is left (none, normally)
        self._resolve(crawl, waiting, set(waiting), set())
        if home in crawl.looked_at and not self.hub_pages(home):
            cloaked = await self._cloaked(session, home, set(page_links(home_body, home)))
            if cloaked:
                crawl.hidden.setdefault(home, []).extend(cloaked)
        return crawl

    def _resolve(self, crawl: SiteCrawl, waiting: dict[str, list[str]], links: set[str],
                 queued: set[str]) -> None:  # fmt: skip
        """The pages waiting on each of `links` whose state is known now: broken or not."""
        for link in links:
            state = self._links.get(link)
            if link in queued or state is None or link not in waiting:
                continue
            pages = waiting.pop(link)
            if not state[0]:
                for page in pages:
                    crawl.broken.setdefault(page, []).append(f"{link} {state[1]}")

    async def _cloaked(self, session: Any, url: str, seen: set[str]) -> list[str]:
        """What the page references only for a search spider or a search visitor."""
        found = []
        for label, headers in CLOAKED_VIEWS.items():
            gate = self._hosts.setdefault(urlsplit(url).netloc, asyncio.Semaphore(self.per_host))
            async with gate:
                got = await fetch(session, url, timeout=self.timeout, keep_body=True,
                                  headers=headers)  # fmt: skip
            if got.ok:
                found += [f"{link}（仅{label}可见）" for link in page_links(got.body, url)
                          if link not in seen]  # fmt: skip
        return found

    async def _check_links(self, session: Any, links: set[str]) -> None:
        """The state of every link not known yet; a link that failed (as a link or as a page
        of the crawl) is asked once more: a server's hiccup is not a broken link."""
        unknown = [link for link in links if link not in self._links]
        results = await asyncio.gather(*(self._get(session, u, False) for u in unknown))
        for link, (ok, detail, _) in zip(unknown, results, strict=True):
            self._remember(link, ok, detail)
        for _ in range(RETRIES):
            retry = [link for link in links if link in self._links
                     and not self._links[link][0] and link not in self._gone]  # fmt: skip
            again = await asyncio.gather(*(self._get(session, u, False) for u in retry))
            for link, (ok, detail, _) in zip(retry, again, strict=True):
                self._remember(link, ok, detail)

    def _remember(self, link: str, ok: bool, detail: str) -> None:
        self._links[link] = (ok, detail)
        self._links.move_to_end(link)
        while len(self._links) > LINK_CACHE:
            self._links.popitem(last=False)

    def _rendered(self, crawls: list[SiteCrawl], now: datetime) -> None:
        """Each homepage rendered as a browser, a spider and a search visitor: on pages the
        hub wrote, anything rendered that it did not publish (a script's doing, which no
        fetch sees); on others, outside links rendered invisible and links only a spider or
        a search visitor gets."""
        assert self.renderer is not None
        homes = {site_address(self.directory.site(c.site), self.pattern)[0]: c for c in crawls}

        def suspicious(url: str, browser: Rendered) -> bool:
            manifest = self.manifest_of(url)
            if manifest is not None:
                return bool(browser.refs - manifest)
            host = urlsplit(url).netloc
            return any(urlsplit(urljoin(url, link)).netloc not in ("", host)
                       for link in browser.hidden)  # fmt: skip

        try:
            seen = self.renderer.render([u for u, c in homes.items() if u in c.looked_at],
                                        suspicious if self.keep_screenshot else None)  # fmt: skip
        except Exception as exc:  # no browser here after all: the HTTP checks stand
            log.warning("crawl.render_failed", error=repr(exc)[:300])
            return
        for url, views in seen.items():
            crawl, manifest = homes[url], self.manifest_of(url)
            browser = views.get("浏览器")
            if browser is None or not browser.ok:
                continue
            host = urlsplit(url).netloc
            if browser.screenshot and self.keep_screenshot is not None:
                crawl.screenshots[url] = self.keep_screenshot(browser.screenshot, url)
            if manifest is None:
                found = {f"{link}（样式隐藏）" for link in browser.hidden
                         if urlsplit(urljoin(url, link)).netloc not in ("", host)}  # fmt: skip
            else:
                found = {f"{ref}（脚本写入）" for ref in browser.refs - manifest}
            base = browser.refs | (manifest or set())
            for view, rendered in views.items():
                if view != "浏览器" and rendered.ok:
                    found |= {f"{ref}（仅{view}可见）" for ref in rendered.refs - base}
            if manifest is None:
                if found:
                    crawl.hidden[url] = sorted(set(crawl.hidden.get(url, [])) | found)
                continue
            site = self.directory.site(crawl.site)
            evidence = Evidence(kind="dom", summary=f"{url} 渲染后含 {len(found)} 处未经发布的内容"
                                if found else f"{url} 渲染结果与发布内容一致",
                                detail="\n".join(sorted(found)[:20]), vantage=self.vantage,
                                seen_at=now, dom_hash=crawl.hashes.get(url, ""),
                                screenshot=crawl.screenshots.get(url, ""))  # fmt: skip
            self.orders.observe(f"{Problem.INJECTED_LINK}:rendered:{url}", Finding(
                Problem.INJECTED_LINK, url, site.code, site.name,
                f"{site.name} 页面渲染后出现未经发布的内容：{sorted(found)[0][:80]}",
                now + timedelta(hours=4)) if found else None, evidence, now)  # fmt: skip

    # -- what it means ---------------------------------------------------------------------------

    def _judge(self, crawl: SiteCrawl, now: datetime) -> None:
        site = self.directory.site(crawl.site)
        checks = (
            (Problem.BROKEN_LINK, crawl.broken, "错链断链", RECTIFY),
            (Problem.INJECTED_LINK, crawl.hidden, "隐藏的外部链接（暗链）", timedelta(hours=4)),
        )  # fmt: skip
        for problem, found, label, due in checks:
            for page, items in found.items():
                evidence = Evidence(kind="http", summary=f"{page} 有 {len(items)} 处{label}",
                                    detail="\n".join(items[:50]), vantage=self.vantage,
                                    seen_at=now, dom_hash=crawl.hashes.get(page, ""),
                                    screenshot=crawl.screenshots.get(page, ""))  # fmt: skip
                self.orders.observe(f"{problem}:{page}", Finding(
                    problem, page, site.code, site.name,
                    f"{site.name} 页面有 {len(items)} 处{label}：{items[0][:80]}", now + due),
                    evidence, now)  # fmt: skip
        for page, text in crawl.wording.items():
            self.orders.observe(f"{Problem.WORDING_ERROR}:{page}", Finding(
                Problem.WORDING_ERROR, page, site.code, site.name,
                f"{site.name} 页面含严重表述错误：{text[:80]}", now + timedelta(days=1)),
                Evidence(kind="check", summary=f"{page} 含严重表述错误", detail=text,
                         vantage=self.vantage, seen_at=now,
                         dom_hash=crawl.hashes.get(page, "")), now)  # fmt: skip
        # Open orders of pages this pass looked at and found clean: a passing re-check.
        problems: dict[str, set[str]] = {
            Problem.BROKEN_LINK: set(crawl.broken), Problem.INJECTED_LINK: set(crawl.hidden),
            Problem.WORDING_ERROR: set(crawl.wording)}  # fmt: skip
        for order in self.orders.find(status="open", site=site.code):
            page, kind = str(order["subject"]), str(order["problem"])
            judged_here = kind == Problem.BROKEN_LINK or not self.hub_pages(page)
            if (kind in problems and judged_here and page in crawl.looked_at
                    and page not in problems[kind]):  # fmt: skip
                self.orders.observe(str(order["key"]), None, Evidence(
                    kind="http", summary=f"{page} 复查通过", vantage=self.vantage,
                    seen_at=now), now)  # fmt: skip

    def _record(self, crawl: SiteCrawl, now: datetime, seconds: float) -> None:
        event_id = derived_id("crawl", crawl.site, now.isoformat(), self.vantage)
        payload = CrawlRecorded(
            at=now, vantage=self.vantage, full=crawl.full, pages=crawl.pages, links=crawl.links,
            bytes=crawl.bytes, broken_pages=len(crawl.broken),
            broken_links=sum(len(v) for v in crawl.broken.values()),
            outbound_hosts=len(crawl.outbound), hidden_pages=len(crawl.hidden),
            wording_pages=len(crawl.wording), seconds=round(seconds, 1))  # fmt: skip
        record_site_event(self.store, crawl.site, now, payload, event_id)


_CRAWL_PROBLEMS = (Problem.BROKEN_LINK, Problem.INJECTED_LINK, Problem.WORDING_ERROR)


class _Pass(Protocol):
    def run_once(self, now: datetime) -> object: ...


def crawl_forever(crawler: _Pass, interval: float, stop: threading.Event) -> None:
    """An incremental pass every `interval` seconds, a full one when a week has passed; the
    first pass a little after the start (a process starting is busy enough)."""
    stop.wait(min(interval, FIRST_PASS_AFTER_S))
    while not stop.is_set():
        try:
            crawler.run_once(datetime.now(UTC))
        except Exception as exc:
            log.error("crawl.failed", error=repr(exc))
        stop.wait(interval)
