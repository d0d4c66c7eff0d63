"""The article form of the console: a new article (typed or imported from Word), a revision
of an existing one, and what keeps work from being lost while it is open (keepalive, and
presence: who else has the same article's form open)."""

from __future__ import annotations

import json
import re
import threading
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData
from starlette.datastructures import UploadFile as StarletteUpload

from hub.content.docx_import import import_docx
from hub.content.media import MAX_ATTACHMENT_BYTES
from hub.web.console_page import Console, back_to_article, field
from hub.web.security import Caller, require_writer
from workflows.errors import DomainError
from workflows.vocabulary import SENSITIVITY_LABELS, Role

NEW_FORM = {"sensitivity": "normal", "disclosure_type": "proactive", "pii_exemption": ""}
# Labels of the metadata choices, as the form offers them (government-rules.md 7c).
DISCLOSURE_LABELS = {
    "proactive": "主动公开",
    "on_request": "依申请公开",
    "not_disclosed": "不予公开",
}
PII_LABELS = {"": "无", "punishment": "惩戒公示", "mandatory": "强制性信息披露"}
_TEXT_METADATA = ("source", "author", "summary", "doc_number", "index_number", "issuing_agency",
                  "subject_category", "disclosure_reason")  # fmt: skip
_CHOICE_METADATA = ("sensitivity", "disclosure_type", "pii_exemption")


class Editing:
    """Who has an article's edit form open (this process's view; forms report every 20 s)."""

    WINDOW_S = 60.0

    def __init__(self) -> None:
        self._seen: dict[str, dict[str, float]] = {}
        self._lock = threading.Lock()

    def seen(self, article_id: str, user: str) -> list[str]:
        """Record `user` on the article; the other users seen within the window."""
        now = time.monotonic()
        with self._lock:
            users = self._seen.setdefault(article_id, {})
            users[user] = now
            for name in [u for u, at in users.items() if now - at > self.WINDOW_S]:
                del users[name]
            return sorted(u for u in users if u != user)


def routes(console: Console) -> APIRouter:
    pages = APIRouter()
    hub, directory = console.hub, console.directory
    editing = Editing()

    def placements(user_id: str) -> list[tuple[Any, list[tuple[Any, int]]]]:
        actor = directory.acting(user_id)
        return [
            (site, [(column, len(parents)) for column, parents in site.walk()])
            for site in directory.sites
            if Role.EDITOR in actor.roles_on(site.code)
        ]

    def form_page(request: Request, caller: Caller, form: dict[str, Any], *, article: Any = None,
                  error: DomainError | None = None,
                  notes: list[str] | None = None) -> HTMLResponse:  # fmt: skip
        action = f"/console/articles/{article['id']}/edit" if article else "/console/articles/new"
        return console.render(
            request, "article_form.html", caller, 400 if error else 200, form=form,
            article=article, action=action, error=error, placements=placements(caller.user_id),
            sensitivities=list(SENSITIVITY_LABELS.items()), notes=notes or [],
            disclosures=list(DISCLOSURE_LABELS.items()), exemptions=list(PII_LABELS.items()),
        )  # fmt: skip

    @pages.get("/console/articles/new")
    async def new_article(request: Request) -> Response:
        caller = await console.staff(request)
        return form_page(request, caller, NEW_FORM)

    @pages.post("/console/articles/import")
    async def import_article(request: Request) -> Response:
        """A Word document fills the new-article form; the editor checks it and saves."""
        caller = await console.staff(request)
        form = await request.form()
        upload = form.get("file")
        values: dict[str, Any] = dict(NEW_FORM)
        try:
            require_writer(directory.acting(caller.user_id))
            if not isinstance(upload, StarletteUpload) or not upload.filename:
                raise DomainError("IMPORT_NOT_DOCX", "请选择要导入的 Word 文档（.docx）")
            data = await upload.read(MAX_ATTACHMENT_BYTES + 1)
            document = await run_in_threadpool(import_docx, data, upload.filename, hub.media)
        except DomainError as exc:
            return form_page(request, caller, values, error=exc)
        values.update(title=document.title, body_html=document.body_html,
                      **{k: v for k, v in vars(document.fields).items() if v})  # fmt: skip
        notes = [f"已导入《{upload.filename}》，图片 {len(document.images)} 张；请核对后保存"]
        return form_page(request, caller, values, notes=notes + document.messages)

    @pages.post("/console/articles/new")
    async def create_article(request: Request) -> Response:
        caller = await console.staff(request)
        form = await request.form()
        values = article_form(form)
        try:
            site, _, column = field(form, "column", 200).partition("/")
            if not site or not column:
                raise DomainError("COLUMN_REQUIRED", "请选择站点与栏目")
            result = await run_in_threadpool(
                hub.articles.create, caller.user_id, site, [column] if column else [],
                values["title"], values["body_html"], metadata(values),
            )  # fmt: skip
        except DomainError as exc:
            values["column"] = field(form, "column", 200)
            return form_page(request, caller, values, error=exc)
        return back_to_article(result.article_id, "saved")

    @pages.get("/console/articles/{article_id}/edit")
    async def edit_form(request: Request, article_id: str) -> Response:
        caller = await console.staff(request)
        try:
            show = await run_in_threadpool(
                hub.articles.show, console.visible(caller, article_id[:80]))  # fmt: skip
        except DomainError as exc:
            return console.refused(request, caller, exc)
        meta = show["metadata"]
        form = {**meta, "title": show["title"], "body_html": show["body_html"],
                "keywords": "，".join(meta.get("keywords") or []),
                "related": "，".join(meta.get("related_articles") or []),
                "written_date": meta.get("written_date") or ""}  # fmt: skip
        return form_page(request, caller, form, article=show)

    @pages.post("/console/articles/{article_id}/edit")
    async def edit_article(request: Request, article_id: str) -> Response:
        caller = await console.staff(request)
        values = article_form(await request.form())
        try:
            target = console.visible(caller, article_id[:80])
            await run_in_threadpool(
                lambda: hub.articles.edit(caller.user_id, target, title=values["title"],
                                          body_html=values["body_html"],
                                          metadata=metadata(values)))  # fmt: skip
        except DomainError as exc:
            show = hub.articles.show(article_id) if exc.code != "ARTICLE_NOT_FOUND" else None
            return form_page(request, caller, values, article=show, error=exc)
        return back_to_article(target, "revised")

    @pages.get("/console/keepalive")
    async def keepalive(request: Request) -> Response:
        """A page's 保持登录: the session's idle timer restarts (any request of it does)."""
        await console.staff(request)
        return Response(status_code=204)

    @pages.post("/console/articles/{article_id}/presence")
    async def presence(request: Request, article_id: str) -> Response:
        """An open edit form says it is there; the answer names the others editing it now."""
        caller = await console.staff(request)
        target = await run_in_threadpool(console.visible, caller, article_id[:80])
        names = [directory.user_name(u) for u in editing.seen(target, caller.user_id)]
        return Response(json.dumps({"others": names}, ensure_ascii=False),
                        media_type="application/json")  # fmt: skip

    return pages


def article_form(form: FormData) -> dict[str, Any]:
    text = {name: field(form, name, 200_000 if name == "body_html" else 2000)
            for name in ("title", "body_html", "keywords", "related", "written_date",
                         *_TEXT_METADATA,
                         *_CHOICE_METADATA)}  # fmt: skip
    return {**text, "major": form.get("major") == "1", "repost": form.get("repost") == "1"}


def metadata(values: dict[str, Any]) -> dict[str, Any]:
    keywords = [k.strip() for k in re.split(r"[,，;；\s]+", values["keywords"]) if k.strip()]
    meta: dict[str, Any] = {name: values[name] for name in _TEXT_METADATA}
    related = [r.strip() for r in re.split(r"[,，;；\s]+", values["related"]) if r.strip()]
    meta |= {"keywords": keywords, "related_articles": related,
             "major": values["major"], "repost": values["repost"],
             "sensitivity": values["sensitivity"] or "normal",
             "disclosure_type": values["disclosure_type"] or "proactive",
             "pii_exemption": values["pii_exemption"],
             "written_date": values["written_date"] or None}  # fmt: skip
    return meta
