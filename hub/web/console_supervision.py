"""The supervisors' one screen (一屏调度) and the work order page: every site's countdowns to
the veto thresholds (from the log), the units nearest a veto, the open orders by age, and each
order's evidence with what the user may do next (dispatch, report fixed, return, extend,
close). Supervisors see every site in their scope; other staff see their own sites'."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from hub.projections.probes import OUTAGES
from hub.runtime.clock import as_beijing, utc_now
from hub.supervision.freshness import SITE_LIMITS, STATE_LABELS, SiteFreshness, platform_freshness
from hub.supervision.probes import VETO_RATIO, WARNING_RATIO, homepage_ratios
from hub.supervision.trends import availability_trend, freshness_trend
from hub.web.console_page import Console, field
from hub.web.errors import status_of
from workflows.errors import DomainError
from workflows.work_order_decider import ORDER_STATUS_LABELS
from workflows.work_order_events import PROBLEM_LABELS

STEP_LABELS = {"WorkOrderOpened": "发现", "WorkOrderObserved": "再次发现",
               "WorkOrderDispatched": "派单", "WorkOrderRectified": "报告整改",
               "WorkOrderRechecked": "自动复核", "WorkOrderReturned": "退回",
               "WorkOrderExtended": "延期", "WorkOrderClosed": "销号"}  # fmt: skip
ACTIONS = ("dispatch", "rectify", "return", "extend", "close")
DONE = {"dispatch": "dispatched", "rectify": "rectified", "return": "returned_order",
        "extend": "extended", "close": "closed_order"}  # fmt: skip


def _severity(site: SiteFreshness) -> tuple[int, int, float]:
    """Sort key: vetoes first, then warnings, then the nearest homepage countdown."""
    left = site.homepage.days_left(utc_now())
    return -len(site.vetoes()), -len(site.warnings()), left if left is not None else -1e9


def _form_time(text: str) -> datetime:
    for shape in ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            moment = as_beijing(datetime.strptime(text.strip(), shape))
        except ValueError:
            continue
        assert moment is not None
        return moment
    raise DomainError("INVALID_INPUT", "请填写期限，格式如 2026-12-31 18:00")


def routes(console: Console) -> APIRouter:
    pages = APIRouter()
    hub, directory = console.hub, console.directory
    orders = hub.work_orders

    def screen(user: str) -> dict[str, Any]:
        now = utc_now()
        sites, accounts = platform_freshness(directory, hub.store, now,
                                             hub.config.settings.freshness_warning_days)  # fmt: skip
        sites = [s for s in sites if orders.may_see(user, s.site)]
        accounts = [a for a in accounts if orders.may_see(user, a.site)]
        open_orders = orders.find(status="open", for_user=user)
        ratios = homepage_ratios(hub.store, now)
        down = [dict(zip(("url", "site", "homepage", "since", "vantage", "detail"), row,
                         strict=True))
                for row in hub.store.rows(OUTAGES, {"ended_at": None},
                                          ("url", "site", "homepage", "since", "vantage", "detail"))
                if orders.may_see(user, str(row[1]))]  # fmt: skip
        by_problem = Counter(str(o["problem"]) for o in open_orders)
        units: dict[str, Counter[str]] = {}
        oldest: dict[str, float] = {}
        for o in open_orders:
            unit = str(o["unit"])
            units.setdefault(unit, Counter())[str(o["problem"])] += 1
            age = (now - datetime.fromisoformat(str(o["opened_at"]))).total_seconds() / 86400
            oldest[unit] = max(oldest.get(unit, 0.0), age)
        by_unit = sorted(((u, c, int(oldest[u])) for u, c in units.items()),
                         key=lambda row: -sum(row[1].values()))  # fmt: skip
        return {
            "now": now, "sites": sorted(sites, key=_severity), "accounts": accounts,
            "orders": open_orders, "by_problem": by_problem, "by_unit": by_unit,
            "vetoed": sum(1 for s in sites if s.vetoes()),
            "warned": sum(1 for s in sites if not s.vetoes() and s.warnings()),
            "accounts_overdue": sum(1 for a in accounts if a.state == "overdue"),
            "supervisor": any(orders.supervises(user, s.site) for s in sites),
            "ratios": ratios, "down": down, "veto_ratio": VETO_RATIO,
            "warning_ratio": WARNING_RATIO,
        }  # fmt: skip

    def render(
        request: Request, name: str, caller: Any, code: int = 200, **context: Any
    ) -> Response:
        return console.render(request, name, caller, code, problem_labels=PROBLEM_LABELS,
                              step_labels=STEP_LABELS,
                              order_labels=ORDER_STATUS_LABELS, state_labels=STATE_LABELS,
                              limits=SITE_LIMITS, **context)  # fmt: skip

    @pages.get("/console/supervision")
    async def one_screen(request: Request) -> Response:
        caller = await console.staff(request)
        data = await run_in_threadpool(screen, caller.user_id)
        return render(request, "supervision.html", caller, **data)

    def wall(user: str) -> dict[str, Any]:
        data = screen(user)
        now = data["now"]
        data["trends"] = {s.site: (availability_trend(hub.store, s.site, now),
                                   freshness_trend(hub.store, s.site, now))
                          for s in data["sites"]}  # fmt: skip
        return data

    @pages.get("/console/supervision/wall")
    async def duty_wall(request: Request) -> Response:
        """The one screen for the duty room's large screen: big figures, live incidents,
        the units nearest a veto and their trends; it refreshes itself every minute."""
        caller = await console.staff(request)
        data = await run_in_threadpool(wall, caller.user_id)
        return render(request, "wall.html", caller, **data)

    def order_page(request: Request, caller: Any, order_id: str,
                   error: DomainError | None = None) -> Response:  # fmt: skip
        found = orders.get(order_id)
        if not orders.may_see(caller.user_id, str(found["site"])):
            raise DomainError("WORK_ORDER_NOT_FOUND", f"工单 {order_id} 不存在")
        supervisor = orders.supervises(caller.user_id, str(found["site"]))
        return render(request, "work_order.html", caller, status_of(error) if error else 200,
                      order=found, history=orders.history(order_id), supervisor=supervisor,
                      staff=bool(orders.staff_roles(caller.user_id, str(found["site"]))),
                      error=error)  # fmt: skip

    @pages.get("/console/supervision/orders/{order_ref}")
    async def order(request: Request, order_ref: str) -> Response:
        caller = await console.staff(request)
        try:
            order_id = await run_in_threadpool(orders.resolve, order_ref[:80])
            return await run_in_threadpool(order_page, request, caller, order_id)
        except DomainError as exc:
            return console.refused(request, caller, exc)

    @pages.post("/console/supervision/orders/{order_id}/{action}")
    async def act(request: Request, order_id: str, action: str) -> Response:
        caller = await console.staff(request)
        form = await request.form()
        user, order_id = caller.user_id, order_id[:80]
        steps: dict[str, Callable[[], object]] = {
            "dispatch": lambda: orders.dispatch(user, order_id, field(form, "unit", 80),
                                                _form_time(field(form, "deadline", 40)),
                                                field(form, "note", 500)),
            "rectify": lambda: orders.rectify(user, order_id, field(form, "note", 500)),
            "return": lambda: orders.return_(user, order_id, field(form, "reason", 500)),
            "extend": lambda: orders.extend(user, order_id, field(form, "reason", 500),
                                            _form_time(field(form, "until", 40))),
            "close": lambda: orders.close(user, order_id),
        }  # fmt: skip
        try:
            if action not in steps:
                raise DomainError("COMMAND_UNKNOWN", f"没有这个操作：{action[:40]}")
            found = await run_in_threadpool(orders.get, order_id)
            if not orders.may_see(user, str(found["site"])):
                raise DomainError("WORK_ORDER_NOT_FOUND", f"工单 {order_id} 不存在")
            await run_in_threadpool(steps[action])
        except DomainError as exc:
            try:
                return await run_in_threadpool(order_page, request, caller, order_id, exc)
            except DomainError:
                return console.refused(request, caller, exc)
        query = urlencode({"done": DONE[action]})
        return RedirectResponse(f"/console/supervision/orders/{order_id}?{query}", 303)

    return pages
