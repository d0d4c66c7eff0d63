"""Probes (管网 · 可用性): every site's homepage and column pages fetched on a cadence by the
national method — a page not answered within 15 s, or answered with an error status, is a
failure; the share of failed homepage probes over a week is the site's ratio (single veto at
5 %, warning at 3 %).

Politeness: at most `per_host` requests at once to one government host. An outage is confirmed
after two failures of a page in a row (one failure is often the network, not the site; the
second probe comes `RETRY_S` after the first failure, not a whole cycle later), and
its homepage's confirmed outage opens a work order (站点无法访问) at once; each later probe
that passes re-checks the order, which closes after its passes.

Storage stays bounded: results are rolled up per site, vantage point and hour
(`ProbeHourRecorded`; the failed addresses kept as evidence), and outages are events when they
begin and end — not one event per request (research/supervision.md: Uptime Kuma's database
grew to 8 GB). A prober is a process that can run on any machine (`hub probe --vantage`)
with access to the store; several vantage points confirm one another's outages on the screen.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from events.decider import derived_id
from events.envelope import SYSTEM_ACTOR, Event, NewEvent
from events.log import get_logger
from events.recorder import AtLeast
from events.store import ConcurrencyConflict, EventStore
from hub.projections.probes import OUTAGES, PROBE_HOURS, PROBES
from hub.setup.directory import Directory, Site
from hub.supervision.work_orders import Finding, WorkOrderService
from workflows.probe_events import OutageConfirmed, OutageEnded, ProbeHourRecorded
from workflows.work_order_events import Evidence, Problem

log = get_logger(__name__)

TIMEOUT_S = 15.0  # the national method's limit
MAX_PAGE_BYTES = 5 * 1024 * 1024  # what is read of one answer at most
CONFIRM_AFTER = 2  # failures in a row before an outage is confirmed
RETRY_S = 30.0  # a page that failed is probed again this soon (not a whole cycle later)
VETO_RATIO, WARNING_RATIO = 0.05, 0.03
RECTIFY = timedelta(days=1)  # an unreachable site is fixed the same day


@dataclass(frozen=True)
class ProbeTarget:
    site: str  # site code
    url: str
    homepage: bool


@dataclass(frozen=True)
class ProbeResult:
    target: ProbeTarget
    ok: bool
    detail: str  # "HTTP 200", "HTTP 503", "超时 15 秒", "连接失败：…"
    elapsed_ms: int
    status: int = 0  # the HTTP status (0: no answer)
    body: str = ""  # the page's text, when asked for (`keep_body`)
    skipped: bool = False  # not asked: its host did not answer twice this round


def hash_page(html: str) -> str:
    """A page's fingerprint as evidence: SHA-256 of its HTML, first 16 hex digits."""
    return hashlib.sha256(html.encode("utf-8", "replace")).hexdigest()[:16]


def site_address(site: Site, pattern: str) -> tuple[str, str]:
    """A site's homepage address on the live site and the folder address its pages are
    under: `pattern` is the homepage's address with {domain}, {key} and {code}
    (https://{domain}/ in production)."""
    home = pattern.format(domain=site.domain, key=site.key, code=site.code)
    return home, home if home.endswith("/") else home.rsplit("/", 1)[0] + "/"


def probe_targets(
    directory: Directory, pattern: str, columns: bool = True,
    online: Callable[[Site, str], bool] = lambda site, column: True,
) -> list[ProbeTarget]:  # fmt: skip
    """Each site's homepage (and its column pages that are `online`), by `site_address`."""
    found = []
    for site in directory.sites:
        home, base = site_address(site, pattern)
        found.append(ProbeTarget(site.code, home, True))
        if columns:
            found += [ProbeTarget(site.code, f"{base}{c.id}/index.html", False)
                      for c in site.columns if online(site, c.id)]  # fmt: skip
    return found


BROWSER_UA = "Mozilla/5.0 (compatible; GovHubProbe/1.0)"
SPIDER_UA = "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)"
# Cloaking (a hacked site showing its injected links only to search engines, or only to
# visitors coming from one): a page is also fetched as these see it.
CLOAKED_VIEWS: dict[str, dict[str, str]] = {
    "搜索引擎爬虫": {"User-Agent": SPIDER_UA},
    "搜索引擎来访": {"Referer": "https://www.baidu.com/s?wd=%E6%94%BF%E5%BA%9C"},
}


@dataclass(frozen=True)
class Fetched:
    ok: bool
    status: int  # the HTTP status (0: no answer)
    detail: str  # "HTTP 200", "超时 15 秒", "连接失败：…"
    elapsed_ms: int
    body: str = ""
    answered: bool = True  # false: a timeout or no connection (the host is silent)


async def fetch(session: Any, url: str, *, timeout: float, keep_body: bool = False,
                headers: dict[str, str] | None = None, method: str = "GET") -> Fetched:  # fmt: skip
    """One request by the national method: an error status or no answer within `timeout`
    is a failure."""
    import aiohttp

    started = time.perf_counter()
    try:
        async with session.request(method, url, allow_redirects=True, headers=headers) as answer:
            raw = await _read_capped(answer.content)
            body = raw.decode(answer.charset or "utf-8", errors="replace") if keep_body else ""
            elapsed = int((time.perf_counter() - started) * 1000)
            return Fetched(answer.status < 400, answer.status, f"HTTP {answer.status}",
                           elapsed, body)  # fmt: skip
    except TimeoutError:
        detail = f"超时 {timeout:.0f} 秒"
    except aiohttp.ClientError as exc:
        detail = f"连接失败：{type(exc).__name__}"
    except ValueError as exc:  # an address aiohttp cannot request (a broken link's)
        detail = f"地址无效：{type(exc).__name__}"
    return Fetched(False, 0, detail, int((time.perf_counter() - started) * 1000),
                   answered=False)  # fmt: skip


async def _read_capped(stream: Any) -> bytes:
    """The answer's body up to MAX_PAGE_BYTES (a hostile site's endless page stops there)."""
    parts, size = [], 0
    while size < MAX_PAGE_BYTES:
        chunk = await stream.read(min(65_536, MAX_PAGE_BYTES - size))
        if not chunk:
            break
        parts.append(chunk)
        size += len(chunk)
    return b"".join(parts)


def open_session(timeout: float, concurrency: int = 64, resolver: Any = None) -> Any:
    """An aiohttp session for probes and crawls (open it inside the running loop)."""
    import aiohttp

    return aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=timeout), headers={"User-Agent": BROWSER_UA},
        connector=aiohttp.TCPConnector(limit=concurrency, resolver=resolver),
    )  # fmt: skip


def fetch_all(requests: list[tuple[str, dict[str, str] | None]], *, timeout: float = TIMEOUT_S,
              per_host: int = 2) -> list[Fetched]:  # fmt: skip
    """Fetch every (url, extra headers) with its body, at most `per_host` at a time per host."""

    async def run() -> list[Fetched]:
        hosts: dict[str, asyncio.Semaphore] = {}

        async def one(session: Any, url: str, headers: dict[str, str] | None) -> Fetched:
            async with hosts.setdefault(urlsplit(url).netloc, asyncio.Semaphore(per_host)):
                return await fetch(session, url, timeout=timeout, keep_body=True,
                                   headers=headers)  # fmt: skip

        async with open_session(timeout) as session:
            return list(await asyncio.gather(*(one(session, u, h) for u, h in requests)))

    return asyncio.run(run())


async def probe_all(
    targets: Iterable[ProbeTarget], *, timeout: float = TIMEOUT_S, per_host: int = 2,
    concurrency: int = 64, keep_body: bool = False, resolver: Any = None,
) -> list[ProbeResult]:  # fmt: skip
    """Fetch every target once, at most `per_host` at a time per host."""
    hosts: dict[str, asyncio.Semaphore] = {}
    # Hosts that did not answer at all (timeout, refused) this round: after two, their other
    # pages are skipped — a dead host would otherwise hold the round for pages × timeout / 2.
    # Once a page came back unanswered, the host's next page waits for the fetches still out
    # (they started together and decide whether the host is down) instead of racing them.
    silent: dict[str, int] = {}
    out: dict[str, int] = {}
    settled: dict[str, asyncio.Event] = {}
    overall = asyncio.Semaphore(concurrency)

    async def one(session: Any, target: ProbeTarget) -> ProbeResult:
        host = urlsplit(target.url).netloc
        gate = hosts.setdefault(host, asyncio.Semaphore(per_host))
        idle = settled.setdefault(host, asyncio.Event())
        async with gate, overall:  # the host first: a task waiting for its host holds no slot
            if silent.get(host, 0) and out.get(host, 0):
                await idle.wait()
            if silent.get(host, 0) >= 2:
                return ProbeResult(target, False, "跳过（主机无响应）", 0, skipped=True)
            out[host] = out.get(host, 0) + 1
            idle.clear()
            try:
                got = await fetch(session, target.url, timeout=timeout, keep_body=keep_body)
                if not got.answered:
                    silent[host] = silent.get(host, 0) + 1
            finally:
                out[host] -= 1
                if not out[host]:
                    idle.set()
            return ProbeResult(target, got.ok, got.detail, got.elapsed_ms, got.status, got.body)

    async with open_session(timeout, concurrency, resolver) as session:
        return list(await asyncio.gather(*(one(session, t) for t in targets)))


def homepage_ratios(store: EventStore, now: datetime) -> dict[str, tuple[int, int]]:
    """Each site's homepage (attempts, failures) over the last 7 days (the national window)."""
    since = (now - timedelta(days=7)).replace(minute=0, second=0, microsecond=0)
    rows = store.rows(PROBE_HOURS, {"hour": AtLeast(since.isoformat())},
                      ("site", "homepage_attempts", "homepage_failures"))  # fmt: skip
    totals: dict[str, tuple[int, int]] = {}
    for site, attempts, failures in rows:
        a, f = totals.get(str(site), (0, 0))
        totals[str(site)] = (a + int(attempts or 0), f + int(failures or 0))
    return totals


# -- a prober ------------------------------------------------------------------------------------


@dataclass
class _Hour:
    attempts: int = 0
    failures: int = 0
    homepage_attempts: int = 0
    homepage_failures: int = 0
    slowest_ms: int = 0
    failed: list[str] = field(default_factory=list)


class Prober:
    """Probes, and records what it saw: rollups when an hour is over, outages as they begin
    and end, work orders for homepages down (see the module's docstring)."""

    def __init__(
        self, store: EventStore, orders: WorkOrderService, directory: Directory,
        targets: list[ProbeTarget], vantage: str = "local", per_host: int = 2,
        timeout: float = TIMEOUT_S,
    ) -> None:  # fmt: skip
        self.store, self.orders, self.directory = store, orders, directory
        self.targets, self.vantage = targets, vantage
        self.per_host, self.timeout = per_host, timeout
        self.resolver: Any = None  # an aiohttp resolver (the benchmark's hosts are all local)
        # Further checks of each round (the pages the ledger says should, or should not, show).
        self.also: list[Callable[[datetime], object]] = []
        self.targets_of: Callable[[], list[ProbeTarget]] | None = None
        self._streak: dict[str, int] = {}
        self._hours: dict[tuple[str, datetime], _Hour] = {}
        # This vantage point's outages still open when the prober (re)starts.
        self._down = {str(url) for (url,) in store.rows(
            OUTAGES, {"ended_at": None, "vantage": vantage}, ("url",))}  # fmt: skip

    def run_once(self, now: datetime) -> list[ProbeResult]:
        if self.targets_of is not None:  # columns come online as they get content
            self.targets = self.targets_of()
        results = asyncio.run(probe_all(self.targets, timeout=self.timeout,
                                        per_host=self.per_host, resolver=self.resolver))  # fmt: skip
        self.record(results, now)
        for check in self.also:
            check(now)
        return results

    def suspects(self) -> list[ProbeTarget]:
        """Pages that failed once and are not confirmed down yet: probed again soon (an
        outage is confirmed in `RETRY_S`, not in a whole cycle)."""
        return [t for t in self.targets
                if self._streak.get(t.url, 0) and t.url not in self._down]  # fmt: skip

    def recheck_suspects(self, now: datetime) -> list[ProbeResult]:
        suspects = self.suspects()
        if not suspects:
            return []
        results = asyncio.run(probe_all(suspects, timeout=self.timeout, per_host=self.per_host,
                                        resolver=self.resolver))  # fmt: skip
        self.record(results, now)
        return results

    def record(self, results: list[ProbeResult], now: datetime) -> None:
        hour = now.replace(minute=0, second=0, microsecond=0)
        for (site, started), _ in list(self._hours.items()):
            if started < hour:
                self._flush(site, started)
        units = {s.code: s.name for s in self.directory.sites}
        for result in results:
            if result.skipped:
                continue  # not asked: neither a failure nor a pass
            target = result.target
            rollup = self._hours.setdefault((target.site, hour), _Hour())
            rollup.attempts += 1
            rollup.slowest_ms = max(rollup.slowest_ms, result.elapsed_ms)
            if target.homepage:
                rollup.homepage_attempts += 1
            if not result.ok:
                rollup.failures += 1
                rollup.homepage_failures += int(target.homepage)
                if len(rollup.failed) < 5:
                    rollup.failed.append(f"{target.url} {result.detail}")
            self._outage(result, now, units)

    def _outage(self, result: ProbeResult, now: datetime, units: dict[str, str]) -> None:
        target, url = result.target, result.target.url
        evidence = Evidence(kind="http", summary=f"{url} {result.detail}，耗时 "
                            f"{result.elapsed_ms / 1000:.1f} 秒", vantage=self.vantage,
                            seen_at=now)  # fmt: skip
        key = f"{Problem.UNREACHABLE}:{target.site}"
        if result.ok:
            self._streak.pop(url, None)
            if url in self._down:
                self._down.discard(url)
                self._append(target.site, now, OutageEnded(url=url, at=now, vantage=self.vantage),
                             derived_id("outage-end", url, now.isoformat(), self.vantage))  # fmt: skip
            if target.homepage and not self._down_elsewhere(url):
                self.orders.observe(key, None, evidence, now)  # up from everywhere: passes
            return
        streak = self._streak[url] = self._streak.get(url, 0) + 1
        if url in self._down or (streak < CONFIRM_AFTER and not self._down_elsewhere(url)):
            return  # one failure, and no other vantage point sees it down: not yet
        self._down.add(url)
        self._append(target.site, now, OutageConfirmed(
            url=url, homepage=target.homepage, since=now, vantage=self.vantage,
            detail=result.detail), derived_id("outage", url, now.isoformat(), self.vantage))  # fmt: skip
        log.warning("probe.outage_confirmed", site=target.site, url=url, detail=result.detail)
        if target.homepage:
            unit = units.get(target.site, target.site)
            self.orders.observe(key, Finding(Problem.UNREACHABLE, target.site, target.site, unit,
                                             f"{unit} › 首页无法访问：{result.detail}",
                                             now + RECTIFY), evidence, now)  # fmt: skip

    def _down_elsewhere(self, url: str) -> bool:
        """Whether another vantage point has the page in a confirmed outage now."""
        rows = self.store.rows(OUTAGES, {"url": url, "ended_at": None}, ("vantage",))
        return any(str(v) != self.vantage for (v,) in rows)

    def _flush(self, site: str, hour: datetime) -> None:
        rollup = self._hours.pop((site, hour))
        self._append(site, hour, ProbeHourRecorded(
            hour=hour, vantage=self.vantage, attempts=rollup.attempts, failures=rollup.failures,
            homepage_attempts=rollup.homepage_attempts,
            homepage_failures=rollup.homepage_failures, slowest_ms=rollup.slowest_ms,
            failed_urls=tuple(rollup.failed)),
            derived_id("probe-hour", site, hour.isoformat(), self.vantage))  # fmt: skip

    def flush(self) -> None:
        """Record every hour still open (a prober stopping)."""
        for site, hour in list(self._hours):
            self._flush(site, hour)

    def _append(self, site: str, month: datetime, payload: Event, event_id: str) -> None:
        record_site_event(self.store, site, month, payload, event_id)


def record_site_event(store: EventStore, site: str, month: datetime, payload: Event,
                      event_id: str) -> None:  # fmt: skip
    """Append to the site's probe stream of the month (bounded streams; a repeat of an event
    id is the store's idempotent no-op; several vantage points may write at once)."""
    stream = PROBES(f"{site}-{month:%Y%m}")
    event = NewEvent(payload, SYSTEM_ACTOR, event_id, event_id=event_id)
    for _ in range(5):
        try:
            store.append(stream, [event], store.stream_version(stream))
            return
        except ConcurrencyConflict:
            continue


def probe_forever(prober: Prober, interval: float, stop: threading.Event) -> None:
    """Probe every `interval` seconds until `stop` is set (then record the open hours); a page
    that failed is probed again after `RETRY_S` to confirm its outage."""
    next_round = time.monotonic()
    while not stop.is_set():
        try:
            if time.monotonic() >= next_round:
                next_round = time.monotonic() + interval
                prober.run_once(datetime.now(UTC))
            else:
                prober.recheck_suspects(datetime.now(UTC))
        except Exception as exc:
            log.error("probe.round_failed", error=repr(exc))
        wait = next_round - time.monotonic()
        if prober.suspects():
            wait = min(wait, RETRY_S)
        stop.wait(max(0.0, wait))
    prober.flush()
