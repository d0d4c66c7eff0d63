"""The freshness sweep: what the countdowns say becomes work orders, and work orders close
when the countdowns say the problem is gone.

Each sweep (every `supervision_interval_s`, by whichever process runs the timers) opens an
order for every column past its threshold (栏目不更新), every blank column (空白栏目), every
homepage past 14 days (首页不更新) and every new-media account past 14 days (新媒体不更新) —
or joins the open one, at most once a day (the order's evidence says the problem persists,
without an event every five minutes). An open order whose problem is gone is re-checked
(passed) at each sweep and closes after its passes; one whose problem came back is re-checked
as failed. An account's last update is the newer of its last publication through the hub
and its newest post its platform lists (accounts.py); an account with neither is not judged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from events.log import get_logger
from events.store import EventStore
from hub.setup.directory import Directory
from hub.supervision.freshness import Countdown, State, platform_freshness
from hub.supervision.work_orders import Finding, WorkOrderService
from workflows.work_order_events import Evidence, Problem

log = get_logger(__name__)

RECTIFY_DAYS = 10  # the time a unit is given (a county's 10 working days, in days)
_FRESHNESS = (Problem.COLUMN_STALE, Problem.BLANK_COLUMN, Problem.HOMEPAGE_STALE,
              Problem.ACCOUNT_STALE)  # fmt: skip


@dataclass
class SweepReport:
    opened: list[str] = field(default_factory=list)
    joined: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)


def _problem(countdown: Countdown) -> Problem | None:
    if countdown.kind == "homepage":
        return Problem.HOMEPAGE_STALE if countdown.state in (State.OVERDUE, State.BLANK) else None
    if countdown.kind == "account":
        return Problem.ACCOUNT_STALE if countdown.state is State.OVERDUE else None
    if countdown.state is State.BLANK:
        return Problem.BLANK_COLUMN
    return Problem.COLUMN_STALE if countdown.state is State.OVERDUE else None


def _evidence(countdown: Countdown, now: datetime) -> Evidence:
    if countdown.last_update is None:
        summary = "开设以来无任何信息" if countdown.kind != "homepage" else "首页无任何信息"
    else:
        days = (now - countdown.last_update).days
        summary = (f"最近一次更新 {countdown.last_update.date().isoformat()}，"
                   f"已 {days} 天（规定 {countdown.days} 天内）")  # fmt: skip
    return Evidence(kind="log", summary=summary, detail=countdown.subject, seen_at=now)


def sweep_freshness(
    orders: WorkOrderService, directory: Directory, store: EventStore, now: datetime,
    warning_days: int,
) -> SweepReport:  # fmt: skip
    report = SweepReport()
    sites, accounts = platform_freshness(directory, store, now, warning_days)
    units = {s.code: s.name for s in directory.sites}
    countdowns = [c for s in sites for c in s.countdowns] + accounts
    present: set[str] = set()
    for countdown in countdowns:
        problem = _problem(countdown)
        if problem is None:
            continue
        key = f"{problem}:{countdown.subject}"
        present.add(key)
        evidence = _evidence(countdown, now)
        seen = orders.observe(key, Finding(
            problem, countdown.subject, countdown.site, units.get(countdown.site, countdown.site),
            f"{countdown.name}：{evidence.summary}", now + timedelta(days=RECTIFY_DAYS),
        ), evidence, now)  # fmt: skip
        if seen.outcome == "opened":
            report.opened.append(str(seen.order_id))
        elif seen.outcome in ("joined", "failed"):
            report.joined.append(str(seen.order_id))
    for order in orders.find(status="open"):
        if order["problem"] not in _FRESHNESS or order["key"] in present:
            continue
        seen = orders.observe(str(order["key"]), None, Evidence(
            kind="log", summary="已更新，复核通过", detail=str(order["subject"]), seen_at=now), now)  # fmt: skip
        if seen.outcome == "closed":
            report.closed.append(str(order["order_id"]))
    if report.opened or report.closed:
        log.info("supervision.swept", opened=len(report.opened), joined=len(report.joined),
                 closed=len(report.closed))  # fmt: skip
    return report
