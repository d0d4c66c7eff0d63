"""Serving stored images and attachments at /media/<sha256>.<ext>[/<download name>].

A file is public only while a live publication links it; staff who may see a draft linking it
(or who write articles, for a file uploaded but not yet saved in one) get it privately. A
retraction therefore stops serving the article's files unless another live article uses them,
so public copies are cached for minutes, not for good. Served with the type the hub read from
the bytes, `nosniff` and a sandboxing CSP.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse, Response

from hub.content.media import download_name
from hub.projections.media_refs import media_access
from hub.web.security import caller_of, can_see_site
from workflows.vocabulary import WRITING_ROLES

if TYPE_CHECKING:
    from hub.runtime.embedded import EmbeddedHub

PUBLIC_CACHE = "public, max-age=300"  # a retraction is honoured by caches within 5 minutes
PRIVATE_CACHE = "private, no-store"


def router(hub: EmbeddedHub) -> APIRouter:
    files = APIRouter(include_in_schema=False)

    def cache_policy(request: Request, key: str) -> str | None:
        """How the file may be served to this request (None: not at all)."""
        hub.catch_up()
        live, sites = media_access(hub.store, key)
        if live:
            return PUBLIC_CACHE
        caller = caller_of(request, hub.logins)
        if caller is None:
            return None
        actor = hub.config.directory.acting(caller.user_id)
        if any(can_see_site(actor, site) for site in sites):
            return PRIVATE_CACHE
        writes = any(roles & WRITING_ROLES for roles in actor.site_roles.values())
        return PRIVATE_CACHE if not sites and writes else None

    async def serve(request: Request, key: str, name: str = "") -> Response:
        key = key[:80]
        found = hub.media.find(key)
        policy = await run_in_threadpool(cache_policy, request, key) if found else None
        if found is None or policy is None:
            return JSONResponse(
                {"error": {"code": "MEDIA_NOT_FOUND", "message": "文件不存在"}},
                status_code=404,
                headers={"Cache-Control": PRIVATE_CACHE},
            )
        path, stored = found
        headers = {
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": policy,
        }
        if stored.kind == "attachment":
            filename = download_name(name or stored.key)
            headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
        return FileResponse(path, media_type=stored.media_type, headers=headers)

    @files.get("/media/{key}")
    async def media_file(request: Request, key: str) -> Response:
        return await serve(request, key)

    @files.get("/media/{key}/{name}")
    async def named_media_file(request: Request, key: str, name: str) -> Response:
        return await serve(request, key, name[:200])

    return files
