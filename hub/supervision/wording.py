"""Wording errors live (严重表述错误): the system checks over what the public reads now.

A page passed the checks when it was reviewed; it can be wrong later — the dictionaries
learn a new error (a leader left office, an agency was renamed, a phrase is now forbidden), or
somebody edited a copy on a platform. Every live copy of every article the hub published (the
website page, the WeChat article, the Weibo post: the ledger knows their addresses) is fetched
and its text checked with the rules that judge wording and leaked personal data; a BLOCK
finding opens one work order per article, whose evidence traces it: the revision and its
content hash, the three reviewers who approved it, and every channel copy with what was found
in each. One correction of the article reaches every copy (the correction is a new revision
published to the same targets), and the order closes when the copies pass.

Pages the hub did not write (homepages of other systems, sites not yet on the platform) are
checked by the crawler with the same rules (`live_findings`), one order per page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from events.recorder import AtLeast
from events.store import EventStore
from hub.projections.deliveries import DELIVERIES_TABLE
from hub.setup.directory import Directory
from hub.supervision.probes import TIMEOUT_S, fetch_all, site_address
from hub.supervision.work_orders import Finding, WorkOrderService
from workflows.article_state import ArticleState
from workflows.checks.document import CheckContext, Document
from workflows.checks.findings import Finding as CheckFinding
from workflows.checks.findings import Severity
from workflows.checks.matcher import CompiledDictionaries
from workflows.checks.rules_leaders import check_leaders
from workflows.checks.rules_personal import check_names_beside_numbers, check_numbers
from workflows.checks.rules_wording import (
    check_names,
    check_renamed_agencies,
    check_secrecy,
    check_sensitive_words,
    check_sovereignty,
    check_typos,
)
from workflows.content import ArticleMetadata
from workflows.publication import CHANNEL_LABELS, Channel, Target
from workflows.work_order_events import Evidence, Problem

# The rules that judge what a reader sees (not the metadata a page was filed with).
LIVE_RULES = (check_names, check_leaders, check_sovereignty, check_renamed_agencies,
              check_sensitive_words, check_typos, check_secrecy, check_numbers,
              check_names_beside_numbers)  # fmt: skip
WINDOW = timedelta(days=2)  # copies changed this recently are checked every round
RECTIFY = timedelta(days=1)
_MAIN = re.compile(r"<main\b[^>]*>(.*?)</main>", re.I | re.S)
_BODY = re.compile(r"<body\b[^>]*>(.*)", re.I | re.S)
_TITLE = re.compile(r"<title\b[^>]*>(.*?)</title>", re.I | re.S)


def page_content(html: str) -> str:
    """The part of a page people read as its content: its <main>, else its <body>."""
    found = _MAIN.search(html) or _BODY.search(html)
    return found.group(1) if found else html


def live_findings(html: str, compiled: CompiledDictionaries, as_of: date) -> list[CheckFinding]:
    """The BLOCK findings of the wording rules in a live page's content."""
    doc = Document.build("", page_content(html), ArticleMetadata(), compiled,
                         CheckContext(phase="recheck", as_of=as_of))  # fmt: skip
    found: dict[str, CheckFinding] = {}
    for rule in LIVE_RULES:
        for finding in rule(doc):
            if finding.severity is Severity.BLOCK:
                found.setdefault(finding.id, finding)
    return list(found.values())


def describe(findings: list[CheckFinding]) -> str:
    return "；".join(f"{f.rule}「{f.text}」{f.message}" for f in findings[:5])


class WordingChecker:
    """Checks the live copies of the hub's articles (see the module's docstring)."""

    def __init__(
        self, store: EventStore, orders: WorkOrderService, directory: Directory, pattern: str,
        compiled: Callable[[], CompiledDictionaries],
        article: Callable[[str], ArticleState], vantage: str = "local",
        timeout: float = TIMEOUT_S, per_host: int = 2,
    ) -> None:  # fmt: skip
        self.store, self.orders, self.directory = store, orders, directory
        self.pattern, self.compiled, self.article = pattern, compiled, article
        self.vantage, self.timeout, self.per_host = vantage, timeout, per_host
        self._checked_with = ""  # the dictionaries of the last full pass

    def _live_url(self, channel: str, target: str, url: str) -> str:
        if channel != Channel.WEBSITE:
            return url
        base = site_address(self.directory.site(Target.parse(target).account), self.pattern)[1]
        return base + urlsplit(url).path.lstrip("/")

    def copies(self, now: datetime, full: bool) -> dict[str, list[tuple[str, str, str]]]:
        """article -> [(channel, target, live URL)] of the copies to look at: all live ones
        (`full`), else those changed in the last `WINDOW` and those of open orders."""
        where: dict[str, Any] = {"status": "delivered"}
        if not full:
            where["updated_at"] = AtLeast((now - WINDOW).isoformat())
        rows = self.store.rows(DELIVERIES_TABLE, where, ("article_id", "channel", "target", "url"))
        if not full:
            pending = [str(o["subject"]) for o in self.orders.find(
                status="open", problem=str(Problem.WORDING_ERROR)) if "://" not in str(o["subject"])]  # fmt: skip
            if pending:
                rows += self.store.rows(DELIVERIES_TABLE, {"status": "delivered",
                                        "article_id": pending},
                                        ("article_id", "channel", "target", "url"))  # fmt: skip
        found: dict[str, list[tuple[str, str, str]]] = {}
        for article, channel, target, url in rows:
            if url and str(url).startswith("http"):
                copy = (str(channel), str(target), self._live_url(str(channel), str(target),
                                                                    str(url)))  # fmt: skip
                if copy not in found.setdefault(str(article), []):
                    found[str(article)].append(copy)
        return found

    def run_once(self, now: datetime, full: bool | None = None) -> list[str]:
        """Check the copies due (every live copy when the dictionaries changed since the
        last full pass); the work orders opened."""
        compiled = self.compiled()
        if full is None:
            full = compiled.version != self._checked_with
        copies = self.copies(now, full)
        if full:
            self._checked_with = compiled.version
        flat = [(a, c) for a, cs in copies.items() for c in cs]
        if not flat:
            return []
        pages = [(got.ok, got.body) for got in fetch_all(
            [(url, None) for _, (_, _, url) in flat], timeout=self.timeout,
            per_host=self.per_host)]  # fmt: skip
        seen: dict[str, list[str]] = {}
        failing: dict[str, list[str]] = {}
        for (article, (channel, target, url)), (ok, body) in zip(flat, pages, strict=True):
            if not ok:
                continue  # unreachable: the probes' business
            findings = live_findings(body, compiled, now.date())
            label = f"{CHANNEL_LABELS.get(channel, channel)} {target} {url}"
            seen.setdefault(article, []).append(label)
            if findings:
                failing.setdefault(article, []).append(f"{label}：{describe(findings)}")
        opened = []
        for article, labels in seen.items():
            key = f"{Problem.WORDING_ERROR}:{article}"
            bad = failing.get(article, [])
            state = self.article(article)
            evidence = Evidence(kind="check", summary=(
                f"{len(bad)} 个渠道副本含严重表述错误" if bad else f"{len(labels)} 个渠道副本复查通过"),
                detail="\n".join([self._trace(state), *(bad or labels)]), vantage=self.vantage,
                seen_at=now)  # fmt: skip
            finding = None
            if bad:
                site = self.directory.site(state.site)
                title = state.content.title if state.content else article
                finding = Finding(Problem.WORDING_ERROR, article, site.code, site.name,
                                  f"《{title}》线上副本含严重表述错误：{bad[0].split('：', 1)[1][:80]}",
                                  now + RECTIFY)  # fmt: skip
            seen_now = self.orders.observe(key, finding, evidence, now)
            if seen_now.outcome == "opened":
                opened.append(str(seen_now.order_id))
        return opened

    @staticmethod
    def _trace(state: ArticleState) -> str:
        """Which revision is live, and who approved it."""
        live = state.live
        revision = live.revision if live else state.revision
        stages = {s.id: s.name for s in state.workflow.stages} if state.workflow else {}
        approvers = "、".join(f"{stages.get(a.stage, a.stage)} {a.user_id}"
                              for a in state.approvals if a.revision == revision)  # fmt: skip
        digest = (live.content_hash if live else state.content_hash)[:12]
        return (f"稿件 {state.article_id} 第 {revision} 版（内容哈希 {digest}）；"
                f"审核：{approvers or '无记录'}")  # fmt: skip
