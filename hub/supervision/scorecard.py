"""The inspection, simulated continuously (research/government-rules.md §1): every site and
new-media account judged now by the national 检查指标 as far as the hub can measure it — the
single-veto items, then the 100-point deductions whose points are known — with each line's
evidence one click away. What the hub cannot measure (互动交流, 办事服务: systems the platform
does not run) is shown as not measured, never as passed.

Scoring (§1.1): any single-veto item makes a site 不合格 and nothing else is scored;
otherwise 100 minus the deductions, below 60 不合格.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from events.store import EventStore
from hub.projections.probes import CRAWLS
from hub.setup.directory import Directory
from hub.supervision.freshness import Countdown, State, platform_freshness
from hub.supervision.probes import VETO_RATIO, homepage_ratios
from hub.supervision.work_orders import WorkOrderService
from workflows.work_order_events import Problem

VETO, DEDUCTION = "单项否决", "扣分"
MET, CLEAR, UNMEASURED = "met", "clear", "unmeasured"
STATUS_LABELS = {MET: "触及", CLEAR: "未触及", UNMEASURED: "未监测"}
MIN_ATTEMPTS = 20  # a ratio over fewer probes than a day's is not judged
POLICY_STALE_POINTS = 5.0  # "政策文件类一级栏目未更新，扣5分" (§1.4, a 国管局 self-check)
BROKEN_LINK_POINTS, BROKEN_LINK_CAP = 0.1, 5.0  # per broken link (vendor practice, TRS)


@dataclass(frozen=True)
class Item:
    group: str  # 单项否决 | 扣分
    label: str
    status: str  # met | clear | unmeasured
    detail: str
    points: float = 0.0  # a deduction's points, when met
    evidence: str = ""  # the console page of what is behind the line


@dataclass(frozen=True)
class Score:
    """A site's or an account's card."""

    subject: str  # site code, or the account's target key
    name: str
    site: str  # the site code responsible
    kind: str  # site | account
    items: tuple[Item, ...]

    @property
    def vetoes(self) -> list[Item]:
        return [i for i in self.items if i.group == VETO and i.status == MET]

    @property
    def score(self) -> float | None:
        """100 minus the deductions; None when a veto decides (nothing else is scored)."""
        if self.vetoes:
            return None
        return max(0.0, 100.0 - sum(i.points for i in self.items if i.status == MET))

    @property
    def verdict(self) -> str:
        score = self.score
        return "不合格" if score is None or score < 60 else "合格"


def evidence_link(what: str, **params: str) -> str:
    return "/console/supervision/evidence?" + urlencode({"what": what, **params})


def scorecard(
    store: EventStore, directory: Directory, orders: WorkOrderService, now: datetime,
    warning_days: int = 4,
) -> tuple[list[Score], list[Score]]:  # fmt: skip
    """Every site's card and every new-media account's, as of `now`."""
    sites, accounts = platform_freshness(directory, store, now, warning_days)
    ratios = homepage_ratios(store, now)
    open_orders: dict[tuple[str, str], int] = {}
    for order in orders.find(status="open", limit=100_000):
        key = (str(order["site"]), str(order["problem"]))
        open_orders[key] = open_orders.get(key, 0) + 1
    broken = _broken_links(store)
    cards = []
    for fresh in sites:
        code = fresh.site
        attempts, failures = ratios.get(code, (0, 0))
        serious = open_orders.get((code, Problem.WORDING_ERROR), 0)
        injected = open_orders.get((code, Problem.INJECTED_LINK), 0)
        homepage = fresh.homepage
        stale_policy = [c for c in fresh.countdowns if c.kind == "column" and c.category == "A"
                        and c.state is State.OVERDUE and c.days > 14]  # fmt: skip
        links = broken.get(code, 0)
        items = (
            Item(VETO, "安全、泄密事故等严重问题", MET if serious or injected else CLEAR,
                 f"严重表述错误 {serious} 处、外链暗链 {injected} 处未整改",
                 evidence=evidence_link("orders", site=code, problem="wording_error,injected_link")),
            _availability(code, attempts, failures),
            Item(VETO, "首页不更新",
                 MET if homepage.state in (State.OVERDUE, State.BLANK) else CLEAR,
                 "首页从未更新" if homepage.last_update is None else
                 f"首页最近更新 {homepage.last_update.date().isoformat()}",
                 evidence=evidence_link("freshness", site=code)),
            Item(VETO, "栏目不更新", MET if any(
                "栏目" in v for v in fresh.vetoes()) else CLEAR,
                 f"动态、通知、政策类超期 {fresh.count('A')} 个（≥5 否决），"
                 f"应更新栏目超期 {fresh.count('B')} 个（≥10），空白栏目 {fresh.count('blank')} 个（≥5）",
                 evidence=evidence_link("freshness", site=code)),
            Item(VETO, "互动回应差", UNMEASURED, "互动交流系统未接入本平台"),
            Item(VETO, "服务不实用", UNMEASURED, "办事服务系统未接入本平台"),
            Item(DEDUCTION, "发布解读：政策文件类一级栏目 6 个月未更新",
                 MET if stale_policy else CLEAR,
                 "、".join(c.name for c in stale_policy) or "无", POLICY_STALE_POINTS,
                 evidence_link("freshness", site=code)),
            Item(DEDUCTION, "功能设计：错链断链", MET if links else CLEAR,
                 f"最近一次巡查发现 {links} 处", min(BROKEN_LINK_CAP, links * BROKEN_LINK_POINTS),
                 evidence_link("orders", site=code, problem="broken_link")),
            Item(DEDUCTION, "互动交流：留言答复", UNMEASURED, "互动交流系统未接入本平台"),
        )  # fmt: skip
        cards.append(Score(code, fresh.name, code, "site", items))
    account_cards = [_account_card(c) for c in accounts]
    return cards, account_cards


def _account_card(c: Countdown) -> Score:
    return Score(c.subject, c.name, c.site, "account", (
        Item(VETO, "内容不更新（2 周）", MET if c.state is State.OVERDUE else CLEAR,
             "从未经本平台发布" if c.last_update is None else
             f"最近发布 {c.last_update.date().isoformat()}",
             evidence=evidence_link("published", account=c.subject)),
        Item(VETO, "互动回应差", UNMEASURED, "留言与菜单未接入本平台"),
    ))  # fmt: skip


def _availability(code: str, attempts: int, failures: int) -> Item:
    if attempts < MIN_ATTEMPTS:
        return Item(VETO, "站点无法访问", UNMEASURED, f"近 7 天仅探测 {attempts} 次，不足 20 次",
                    evidence=evidence_link("probes", site=code))  # fmt: skip
    ratio = failures / attempts
    return Item(VETO, "站点无法访问", MET if ratio >= VETO_RATIO else CLEAR,
                f"近 7 天首页探测 {attempts} 次，打不开 {failures} 次（{ratio:.1%}，≥5% 否决）",
                evidence=evidence_link("probes", site=code))  # fmt: skip


def _broken_links(store: EventStore) -> dict[str, int]:
    """Each site's broken links in its latest full crawl (else its latest pass)."""
    latest: dict[str, tuple[bool, str, int]] = {}
    for site, kind, at, count in store.rows(CRAWLS, {}, ("site", "kind", "at", "broken_links")):
        mark = (kind == "full", str(at), int(count or 0))
        if str(site) not in latest or mark[:2] > latest[str(site)][:2]:
            latest[str(site)] = mark
    return {site: count for site, (_, _, count) in latest.items()}
