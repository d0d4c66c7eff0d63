"""Injected links and scripts (外链暗链, 挂马) on the pages the hub wrote: each live page is
compared with the manifest of what the hub published in it (channels/website/manifest.py);
any link, script, frame or inline script the live page has and the manifest has not opens a
work order with the injected references as evidence — no keyword list, no guessing: the hub
knows what it wrote. Checked every probe round: every site's homepage, and the article pages
delivered in the last day (the pages the log says changed)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from channels.website.manifest import read_manifest, references
from events.recorder import AtLeast
from events.store import EventStore
from hub.projections.deliveries import DELIVERIES_TABLE
from hub.setup.directory import Directory
from hub.supervision.probes import CLOAKED_VIEWS, TIMEOUT_S, fetch_all, hash_page, site_address
from hub.supervision.work_orders import Finding, WorkOrderService
from workflows.publication import Channel, Target
from workflows.work_order_events import Evidence, Problem

RECENT = timedelta(days=1)


class InjectionChecker:
    def __init__(
        self, store: EventStore, orders: WorkOrderService, directory: Directory,
        sites_root: Path, pattern: str, vantage: str = "local", timeout: float = TIMEOUT_S,
        per_host: int = 2,
    ) -> None:  # fmt: skip
        self.store, self.orders, self.directory = store, orders, directory
        self.sites_root, self.pattern, self.vantage = sites_root, pattern, vantage
        self.timeout, self.per_host = timeout, per_host

    def _base(self, code: str) -> tuple[str, Path]:
        site = self.directory.site(code)
        return site_address(site, self.pattern)[1], self.sites_root / site.key

    def pages(self, now: datetime) -> list[tuple[str, str, Path]]:
        """(site code, live URL, the file the hub wrote) of every page to look at."""
        found: dict[str, tuple[str, str, Path]] = {}
        for site in self.directory.sites:
            base, docroot = self._base(site.code)
            found[base] = (site.code, base, docroot / "index.html")
        rows = self.store.rows(
            DELIVERIES_TABLE,
            {"channel": str(Channel.WEBSITE), "status": "delivered",
             "updated_at": AtLeast((now - RECENT).isoformat())}, ("target", "url"),
        )  # fmt: skip
        for target, url in rows:
            if not url:
                continue
            code = Target.parse(str(target)).account
            base, docroot = self._base(code)
            path = urlsplit(str(url)).path.lstrip("/")
            found.setdefault(base + path, (code, base + path, docroot / path))
        return list(found.values())

    def run_once(self, now: datetime) -> list[str]:
        """Compare every page with its manifest; the work orders opened."""
        pages = []
        for code, url, file in self.pages(now):
            manifest = read_manifest(self._base(code)[1], file)
            if manifest is not None:  # a page the hub wrote
                pages.append((code, url, file, manifest))
        if not pages:
            return []
        views: list[tuple[str, dict[str, str] | None]] = [("浏览器", None),
                                                          *CLOAKED_VIEWS.items()]  # fmt: skip
        fetched = fetch_all([(url, headers) for _, url, _, _ in pages for _, headers in views],
                            timeout=self.timeout, per_host=self.per_host)  # fmt: skip
        units = {s.code: s.name for s in self.directory.sites}
        opened = []
        for n, (code, url, _, manifest) in enumerate(pages):
            answers = fetched[n * len(views) : (n + 1) * len(views)]
            if not answers[0].ok:
                continue  # unreachable: the probes' business
            plain = references(answers[0].body) - manifest
            injected = sorted(plain)
            for (label, _), got in zip(views[1:], answers[1:], strict=True):
                if got.ok:  # cloaking: shown only to a search spider or a search visitor
                    injected += sorted(f"{ref}（仅{label}可见）"
                                       for ref in references(got.body) - manifest - plain)  # fmt: skip
            unit = units.get(code, code)
            evidence = Evidence(
                kind="dom", summary=(f"{url} 含 {len(injected)} 处未经发布的链接或脚本"
                                     if injected else f"{url} 与发布内容一致"),
                detail="\n".join(injected[:20]), vantage=self.vantage, seen_at=now,
                dom_hash=hash_page(answers[0].body))  # fmt: skip
            finding = Finding(Problem.INJECTED_LINK, url, code, unit,
                              f"{unit} 页面被插入未经发布的内容：{injected[0][:80]}",
                              now + timedelta(hours=4)) if injected else None  # fmt: skip
            seen = self.orders.observe(f"{Problem.INJECTED_LINK}:{url}", finding, evidence, now)
            if seen.outcome == "opened":
                opened.append(str(seen.order_id))
        return opened
