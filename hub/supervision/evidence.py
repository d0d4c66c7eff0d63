"""What is behind a figure of the scorecard or a report: the rows (and their events) it
counts, for the drill-down page (`/console/supervision/evidence?what=…`) and the API. Each
kind of figure names its query in the link (evidence_link in scorecard.py)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from events.recorder import AtLeast
from events.store import EventStore
from hub.projections.probes import PROBE_HOURS
from hub.runtime.clock import utc_now
from hub.setup.directory import Directory
from hub.supervision.freshness import STATE_LABELS, platform_freshness
from hub.supervision.reports import INTERPRETATION, PUBLISHING_LINES, orders_in, period, published
from workflows.beijing_time import beijing_text
from workflows.errors import DomainError
from workflows.work_order_decider import ORDER_STATUS_LABELS
from workflows.work_order_events import PROBLEM_LABELS

KINDS = ("published", "orders", "probes", "freshness")


@dataclass
class Evidence:
    title: str
    site: str  # the site the rows are of ("" for the platform)
    headers: tuple[str, ...]
    rows: list[tuple[str, ...]] = field(default_factory=list)
    links: list[str] = field(default_factory=list)  # each row's console page ("" for none)


def _year(params: Mapping[str, str]) -> tuple[datetime, datetime, str]:
    """The period asked for: `year`, `quarter` (2026-Q4), else the last 7 days."""
    try:
        if params.get("quarter"):
            year, q = params["quarter"].split("-Q")
            if not 1 <= int(q) <= 4:
                raise ValueError(q)
            start, end = period(int(year), int(q))
            return start, end, f"{year}年第{q}季度"
        if params.get("year"):
            start, end = period(int(params["year"]))
            return start, end, f"{params['year']}年"
    except ValueError as exc:
        raise DomainError("INVALID_INPUT", "期间格式应为 year=2026 或 quarter=2026-Q4") from exc
    now = utc_now()
    return now - timedelta(days=7), now + timedelta(seconds=1), "近 7 天"


def evidence(
    store: EventStore, directory: Directory, params: Mapping[str, str],
    titles: Callable[[set[str]], dict[str, str]],
) -> Evidence:  # fmt: skip
    what = params.get("what", "")
    if what not in KINDS:
        raise DomainError("INVALID_INPUT", "没有这种明细")
    start, end, span = _year(params)
    if what == "published":
        return _published(store, directory, params, start, end, span, titles)
    site = params.get("site", "")
    if site:
        directory.site(site)  # unknown: SITE_UNKNOWN
    if what == "orders":
        problems = set(params["problem"].split(",")) if params.get("problem") else None
        found = orders_in(store, start, end, site or None, problems)
        if params.get("status"):
            found = [o for o in found if o["status"] == params["status"]]
        return Evidence(
            f"{span}发现的问题工单", site, ("工单", "问题", "对象", "发现时间", "状态"),
            [(str(o["order_id"])[:10], PROBLEM_LABELS.get(str(o["problem"]), str(o["problem"])),
              str(o["subject"]), beijing_text(str(o["opened_at"])),
              ORDER_STATUS_LABELS.get(str(o["status"]), str(o["status"]))) for o in found],
            [f"/console/supervision/orders/{o['order_id']}" for o in found])  # fmt: skip
    if not site:
        raise DomainError("INVALID_INPUT", "请指定站点")
    code = directory.site(site).code
    if what == "probes":
        rows = store.rows(PROBE_HOURS, {"site": code, "hour": AtLeast(start.isoformat())},
                          ("hour", "vantage", "attempts", "failures", "homepage_attempts",
                           "homepage_failures"), order_by=("hour",))  # fmt: skip
        kept = [r for r in rows if datetime.fromisoformat(str(r[0])) < end]
        return Evidence(f"{span}可用性探测（每小时汇总）", code,
                        ("小时", "探测点", "探测", "失败", "首页探测", "首页失败"),
                        [(beijing_text(str(r[0])), *(str(v) for v in r[1:])) for r in kept],
                        [""] * len(kept))  # fmt: skip
    sites, _ = platform_freshness(directory, store, utc_now())
    (fresh,) = [s for s in sites if s.site == code]
    return Evidence("栏目与首页更新（来自发布记录）", code, ("栏目", "规则", "最近更新", "状态"),
                    [(c.name, f"{c.days} 天", beijing_text(c.last_update) if c.last_update
                      else "—", STATE_LABELS[c.state]) for c in fresh.countdowns],
                    [""] * len(fresh.countdowns))  # fmt: skip


def _published(
    store: EventStore, directory: Directory, params: Mapping[str, str], start: datetime,
    end: datetime, span: str, titles: Callable[[set[str]], dict[str, str]],
) -> Evidence:  # fmt: skip
    account = params.get("account", "").split(":")[-1]  # wechat:sf-wechat or sf-wechat
    site_code = account
    columns: set[str] | None = None
    if any(s.code == account for s in directory.sites):
        site = directory.site(account)
        kind = params.get("type")
        if kind:
            named = {t for t, _ in PUBLISHING_LINES} | {INTERPRETATION}
            columns = {c.id for c, _ in site.walk()
                       if (c.type == kind if kind != "其他" else c.type not in named)}  # fmt: skip
    else:
        found = next((a for a in directory.accounts if a.id == account), None)
        if found is None:
            raise DomainError("INVALID_INPUT", f"没有账号或站点 {account[:40]}")
        site_code = directory.site(found.site).code
    rows = published(store, account, start, end, columns)
    names = titles({str(r["article_id"]) for r in rows})
    return Evidence(
        f"{span}发布的信息", site_code, ("发布时间", "标题", "发布到", "发布事件", "现状"),
        [(beijing_text(str(r["published_at"])), names.get(str(r["article_id"]), "—"),
          str(r["target"]), str(r["event_id"])[:12],
          "已撤下" if r["taken_down_at"] else "在线") for r in rows],
        [f"/console/articles/{r['article_id']}" for r in rows])  # fmt: skip
