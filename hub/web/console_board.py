"""The operator's board (投递台账): every delivery the operator may see, live (one reader per
process, hub/web/board.py), with counts per channel and per site over everything its filter
covers, and retry / cancel one delivery or many."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from hub.distributed.ledger_channel import ledger_follower
from hub.setup.directory import Directory
from hub.web.board import BoardFeed
from hub.web.console_page import Console, field
from hub.web.errors import status_of
from hub.web.pages import TEMPLATES
from hub.web.security import Caller, can_see_site, delivery_site, visible_deliveries
from workflows.article_commands import ActingUser
from workflows.delivery_decider import DELIVERY_STATUS_LABELS
from workflows.errors import DomainError
from workflows.publication import CHANNEL_LABELS, Target

STREAM = "/console/deliveries/stream"


def routes(console: Console) -> APIRouter:
    pages = APIRouter()
    hub, directory = console.hub, console.directory
    settings = hub.config.settings
    board = BoardFeed(
        hub.delivery_service,
        hub.ledger,
        # Distributed: the ledger is folded by workers on other machines; Redis says when.
        ledger_follower(settings.redis_url, settings.kafka_prefix)
        if settings.runtime == "distributed"
        else None,
    )

    def board_rows(caller: Caller, article: str, account: str, status: str) -> list[dict[str, Any]]:
        rows = hub.delivery_service.find(article or None, account or None, status or None, 500)
        rows = visible_deliveries(hub, caller.user_id, rows)
        titles = hub.articles.titles({r["article_id"] for r in rows})
        return [{**r, "title": titles.get(r["article_id"], "")} for r in rows]

    def places(caller: Caller) -> list[tuple[str, str]]:
        """What the board can be narrowed to, by name: the sites the user may see (their
        websites) and those sites' accounts."""
        actor = directory.acting(caller.user_id)
        sites = [s for s in directory.sites if can_see_site(actor, s.code)]
        keys = {s.key for s in sites} | {s.code for s in sites}
        return [(s.code, f"网站 · {s.name}") for s in sites] + [
            (a.id, f"{CHANNEL_LABELS.get(a.channel, a.channel)} · {a.name}")
            for a in directory.accounts if a.site in keys
        ]  # fmt: skip

    def board_page(request: Request, caller: Caller, error: DomainError | None,
                   article: str = "", account: str = "", status: str = "") -> HTMLResponse:  # fmt: skip
        """The board after a refused change: the rows and the reason."""
        rows = board_rows(caller, article, account, status)
        return console.render(
            request, "deliveries.html", caller, status_of(error) if error else 200, rows=rows,
            article=article, account=account, status=status, error=error, health=[],
            delivery_labels=DELIVERY_STATUS_LABELS, channel_labels=CHANNEL_LABELS, stream=STREAM,
            places=places(caller), article_title=hub.articles.titles({article}).get(article),
        )  # fmt: skip

    @pages.get("/console/deliveries")
    async def deliveries(request: Request, article: str = "", account: str = "",
                         status: str = "") -> Response:  # fmt: skip
        caller = await console.staff(request)
        article, account, status = article[:80], account[:80], status[:40]
        try:
            rows = await run_in_threadpool(board_rows, caller, article, account, status)
            error = None
        except DomainError as exc:
            rows, error = [], exc
        actor = directory.acting(caller.user_id)
        health = [a for a in await run_in_threadpool(hub.delivery_service.accounts)
                  if can_see_site(actor, a["site"]) and account in ("", a["account"])]  # fmt: skip
        since = await run_in_threadpool(hub.delivery_service.latest_change)
        query = urlencode({"article": article, "account": account, "status": status,
                           "since": since})  # fmt: skip
        return console.render(
            request, "deliveries.html", caller, rows=rows, article=article, account=account,
            status=status, error=error, health=health, delivery_labels=DELIVERY_STATUS_LABELS,
            channel_labels=CHANNEL_LABELS, stream=f"{STREAM}?{query}", places=places(caller),
            article_title=hub.articles.titles({article}).get(article) if article else None,
        )  # fmt: skip

    @pages.get(STREAM)
    async def delivery_stream(request: Request, article: str = "", account: str = "",
                              status: str = "", since: str = "") -> Response:  # fmt: skip
        """The board's live rows (from the process's one reader) and counts over every
        delivery its filter covers, per channel and per site."""
        caller = await console.who(request)
        if caller is None:
            return Response("请先登录", status_code=401, media_type="text/plain")
        row_template = TEMPLATES.get_template("console/delivery_row.html")
        article, account, status = article[:80], account[:80], status[:40]
        after = int(since) if since.isdigit() and len(since) < 19 else None
        actor = directory.acting(caller.user_id)

        def wants(row: dict[str, Any]) -> bool:
            return (
                (not article or row["article_id"] == article)
                and (not account or Target.parse(row["target"]).account == account)
                and (not status or row["status"] == status)
                and can_see_site(actor, delivery_site(hub.delivery_service, row["target"]))
            )

        def counts() -> str:
            rollup = hub.delivery_service.rollup(article or None, account or None,
                                                 status or None)  # fmt: skip
            return json.dumps(rollup_text(rollup, actor, directory), ensure_ascii=False)

        async def events() -> AsyncIterator[str]:
            subscriber = await board.subscribe(wants, after)
            seen: dict[str, int] = {}
            try:
                yield "retry: 2000\n\n"
                yield f"event: counts\ndata: {await run_in_threadpool(counts)}\n\n"
                while not await request.is_disconnected():
                    try:
                        rows = await asyncio.wait_for(subscriber.queue.get(), timeout=15)
                    except TimeoutError:
                        yield ": ping\n\n"
                        continue
                    titles = await run_in_threadpool(
                        hub.articles.titles, {r["article_id"] for r in rows})  # fmt: skip
                    for row in rows:
                        # The catch-up on joining and the first live read can overlap.
                        if seen.get(row["id"], -1) >= row["change"]:
                            continue
                        seen[row["id"]] = row["change"]
                        html = row_template.render(
                            d={**row, "title": titles.get(row["article_id"], "")}, csrf="")  # fmt: skip
                        yield f"event: delivery\ndata: {json.dumps({'id': row['id'], 'html': html})}\n\n"
                    yield f"event: counts\ndata: {await run_in_threadpool(counts)}\n\n"
            finally:
                board.leave(subscriber)

        return StreamingResponse(events(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store"})  # fmt: skip

    @pages.post("/console/deliveries/bulk")
    async def bulk(request: Request) -> Response:
        """Retry or cancel the selected deliveries, or every one the board's filter shows."""
        caller = await console.staff(request)
        form = await request.form()
        action, scope = field(form, "action", 10), field(form, "scope", 10)
        article, account, status = (field(form, n, 80) for n in ("article", "account", "status"))
        ids = [v[:80] for v in form.getlist("ids") if isinstance(v, str)][:5000]

        def run() -> dict[str, Any]:
            chosen = ids
            if scope == "filter":
                chosen = [r["id"] for r in board_rows(caller, article, account, status)]
            if not chosen:
                raise DomainError("INVALID_INPUT", "请先勾选投递，或使用“对当前筛选的全部投递执行”")
            return hub.delivery_service.bulk(caller.user_id, action, chosen,
                                             field(form, "reason", 500))  # fmt: skip

        error: DomainError | None
        try:
            outcome = await run_in_threadpool(run)
        except DomainError as exc:
            error = exc
        else:
            refused = outcome["refused"]
            error = DomainError("BULK_PARTIAL", f"已处理 {len(outcome['done'])} 个，"
                                f"{len(refused)} 个未处理：" + "；".join(
                                    f"{r['id'][-8:]} {r['message']}" for r in refused[:10]),
                                ) if refused else None  # fmt: skip
        if error is None:
            query = urlencode({"article": article, "account": account, "status": status,
                               "done": "bulk"})  # fmt: skip
            return RedirectResponse(f"/console/deliveries?{query}", 303)
        return await run_in_threadpool(board_page, request, caller, error, article, account,
                                       status)  # fmt: skip

    @pages.post("/console/deliveries/{delivery_id}/{operation}")
    async def operate(request: Request, delivery_id: str, operation: str) -> Response:
        caller = await console.staff(request)
        form = await request.form()
        reason = str(form.get("reason", ""))[:500]
        service = hub.delivery_service
        operations: dict[str, tuple[str, Callable[[], object]]] = {
            "retry": ("retried", lambda: service.retry(caller.user_id, delivery_id[:80])),
            "cancel": ("cancelled", lambda: service.cancel(caller.user_id, delivery_id[:80], reason)),
        }  # fmt: skip
        done = operations.get(operation, ("", None))[0]
        try:
            if operation not in operations:
                raise DomainError("COMMAND_UNKNOWN", f"没有这个操作：{operation[:40]}")
            await run_in_threadpool(operations[operation][1])
        except DomainError as exc:
            return await run_in_threadpool(board_page, request, caller, exc)
        return RedirectResponse("/console/deliveries?" + urlencode({"done": done}), 303)

    return pages


def rollup_text(rollup: dict[str, Any], actor: ActingUser, directory: Directory) -> dict[str, Any]:
    """The board's counts for people: in all, per channel, per site the user may see."""

    def line(counts: dict[str, int]) -> str:
        return "，".join(f"{DELIVERY_STATUS_LABELS.get(k, k)} {n:,}"
                         for k, n in sorted(counts.items())) or "暂无投递"  # fmt: skip

    return {
        "total": line(rollup["total"][""]),
        "channels": {CHANNEL_LABELS.get(c, c): line(n) for c, n in rollup["channels"].items()},
        "sites": {directory.site_name(s): line(n) for s, n in rollup["sites"].items()
                  if s and can_see_site(actor, s)},
    }  # fmt: skip
