"""The inspection scorecard, the report figures and their drill-down in the console
(supervision, 管网): /console/supervision/scorecard, /console/supervision/reports (the annual
report figures of a site and the quarterly 通报 draft, with their xlsx and docx downloads) and
/console/supervision/evidence (what any figure counts). A site's staff see their own sites;
supervisors see every site they supervise; the platform-wide downloads are theirs alone."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from hub.runtime.clock import utc_now
from hub.supervision.evidence import evidence
from hub.supervision.reports import annual_figures, annual_xlsx, bulletin_docx, quarterly_bulletin
from hub.supervision.scorecard import STATUS_LABELS, Score, scorecard
from hub.web.console_page import Console
from workflows.beijing_time import BEIJING
from workflows.errors import DomainError

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _period(request: Request) -> tuple[int, int]:
    """The year and quarter asked for (default: now, Beijing time)."""
    now = utc_now().astimezone(BEIJING)
    try:
        year = int(request.query_params.get("year") or now.year)
        quarter = int(request.query_params.get("quarter") or (now.month - 1) // 3 + 1)
    except ValueError as exc:
        raise DomainError("INVALID_INPUT", "年份、季度应为数字") from exc
    if not 2000 <= year <= now.year + 1 or not 1 <= quarter <= 4:
        raise DomainError("INVALID_INPUT", "年份或季度超出范围")
    return year, quarter


def routes(console: Console) -> APIRouter:
    pages = APIRouter()
    hub, directory = console.hub, console.directory
    orders = hub.work_orders

    def cards(user: str) -> tuple[list[Score], list[Score]]:
        sites, accounts = scorecard(hub.store, directory, orders, utc_now(),
                                    hub.config.settings.freshness_warning_days)  # fmt: skip
        return ([c for c in sites if orders.may_see(user, c.site)],
                [a for a in accounts if orders.may_see(user, a.site)])  # fmt: skip

    def supervisor(user: str) -> bool:
        return any(orders.supervises(user, s.code) for s in directory.sites)

    @pages.get("/console/supervision/scorecard")
    async def scorecard_page(request: Request) -> Response:
        caller = await console.staff(request)
        sites, accounts = await run_in_threadpool(cards, caller.user_id)
        return console.render(request, "scorecard.html", caller, sites=sites,
                              accounts=accounts, score_labels=STATUS_LABELS)  # fmt: skip

    @pages.get("/console/supervision/reposts")
    async def reposts_page(request: Request) -> Response:
        """转载时效: how fast the portals' policy documents were reposted by every site."""
        caller = await console.staff(request)
        if not supervisor(caller.user_id):
            refused = DomainError("SITE_ROLE_REQUIRED", "转载时效仅监管人员可查看")
            return console.refused(request, caller, refused)
        article = request.query_params.get("article", "")[:80]
        documents = await run_in_threadpool(hub.reuse.key_documents)
        chosen = next((d for d in documents if d["article_id"] == article), None)
        return console.render(request, "reposts.html", caller, documents=documents,
                              chosen=chosen)  # fmt: skip

    def reports_data(user: str, year: int, quarter: int, site_ref: str) -> dict[str, Any]:
        visible = [s for s in directory.sites if orders.may_see(user, s.code)]
        if not visible:
            raise DomainError("SITE_ROLE_REQUIRED", "您在任何站点都没有角色")
        site = directory.site(site_ref) if site_ref else visible[0]
        if site not in visible:
            raise DomainError("SITE_UNKNOWN", f"站点 {site_ref[:40]} 不存在")
        sites, accounts = cards(user)
        bulletin = quarterly_bulletin(hub.store, directory, sites, accounts, year, quarter,
                                      utc_now())  # fmt: skip
        return {"year": year, "quarter": quarter, "site": site, "sites": visible,
                "figures": annual_figures(hub.store, directory, site, year),
                "bulletin": bulletin, "supervisor": supervisor(user)}  # fmt: skip

    @pages.get("/console/supervision/reports")
    async def reports_page(request: Request) -> Response:
        caller = await console.staff(request)
        try:
            year, quarter = _period(request)
            data = await run_in_threadpool(reports_data, caller.user_id, year, quarter,
                                           request.query_params.get("site", "")[:40])  # fmt: skip
        except DomainError as exc:
            return console.refused(request, caller, exc)
        return console.render(request, "reports.html", caller, **data)

    def download(user: str, kind: str, year: int, quarter: int, base: str) -> bytes:
        if not supervisor(user):
            raise DomainError("SITE_ROLE_REQUIRED", "只有监管人员可以导出全平台报表")
        if kind == "annual.xlsx":
            figures = {s.code: annual_figures(hub.store, directory, s, year)
                       for s in directory.sites if orders.may_see(user, s.code)}  # fmt: skip
            return annual_xlsx(directory, figures, year, base)
        sites, accounts = cards(user)
        return bulletin_docx(quarterly_bulletin(hub.store, directory, sites, accounts, year,
                                                quarter, utc_now()), base)  # fmt: skip

    @pages.get("/console/supervision/reports/{kind}")
    async def report_file(request: Request, kind: str) -> Response:
        caller = await console.staff(request)
        try:
            if kind not in ("annual.xlsx", "bulletin.docx"):
                raise DomainError("INVALID_INPUT", "没有这种报表")
            year, quarter = _period(request)
            base = str(request.base_url).rstrip("/")
            body = await run_in_threadpool(download, caller.user_id, kind, year, quarter, base)
        except DomainError as exc:
            return console.refused(request, caller, exc)
        name = (f"annual-report-{year}.xlsx" if kind == "annual.xlsx"
                else f"bulletin-{year}-Q{quarter}.docx")  # fmt: skip
        return Response(body, media_type=XLSX if kind == "annual.xlsx" else DOCX,
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip

    def drill(user: str, params: dict[str, str]) -> Any:
        found = evidence(hub.store, directory, params, hub.articles.titles)
        if found.site and not orders.may_see(user, found.site):
            raise DomainError("SITE_UNKNOWN", "站点不存在")
        if not found.site and not supervisor(user):
            raise DomainError("SITE_ROLE_REQUIRED", "只有监管人员可以查看全平台明细")
        return found

    @pages.get("/console/supervision/evidence")
    async def evidence_page(request: Request) -> Response:
        caller = await console.staff(request)
        params = {k: v[:80] for k, v in request.query_params.items()}
        try:
            found = await run_in_threadpool(drill, caller.user_id, params)
        except DomainError as exc:
            return console.refused(request, caller, exc)
        return console.render(request, "evidence.html", caller, evidence=found,
                              generated=datetime.now(BEIJING))  # fmt: skip

    return pages
