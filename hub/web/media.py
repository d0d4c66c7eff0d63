"""Serving stored images and attachments at /media/<sha256>.<ext>[/<download name>].

Public like the pages that show them (the address is the SHA-256 of the content, so it is
only known to who has the file or a page linking it). Served with the type the hub read from
the bytes, `nosniff` and a sandboxing CSP, and cached for good: the content never changes.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter
from fastapi.responses import FileResponse, JSONResponse, Response

from hub.media import MediaStore, download_name


def router(media: MediaStore) -> APIRouter:
    files = APIRouter(include_in_schema=False)

    def serve(key: str, name: str = "") -> Response:
        found = media.find(key[:80])
        if found is None:
            return JSONResponse(
                {"error": {"code": "MEDIA_NOT_FOUND", "message": "文件不存在"}}, status_code=404
            )
        path, stored = found
        headers = {
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "public, max-age=31536000, immutable",
        }
        if stored.kind == "attachment":
            filename = download_name(name or stored.key)
            headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
        return FileResponse(path, media_type=stored.media_type, headers=headers)

    @files.get("/media/{key}")
    def media_file(key: str) -> Response:
        return serve(key)

    @files.get("/media/{key}/{name}")
    def named_media_file(key: str, name: str) -> Response:
        return serve(key, name[:200])

    return files
