"""The library exported for archiving (归档): every page live on the sites, as the file the
site serves and a record of it — the government page metadata (网页设计规范: SiteName,
SiteDomain, SiteIDCode, ColumnName, ColumnType, ArticleTitle, PubDate, ContentSource,
Keywords, Author, Description, Url), the policy metadata (文号, 索引号, 发文机关, 成文日期,
主题分类, 有效性), and the provenance an archive needs (revision, content hash, when it went
live, who reviewed, approved and signed it, from the log). GB/T 42147-2022 defines the
metadata of such records; where its element names are not known here, the record keeps these
names. A manifest lists every file with its SHA-256, so the archive can be checked whole."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path
from typing import Any

from hub.queries.live_at import LiveItem, live_at
from hub.runtime.clock import utc_now
from hub.runtime.embedded import EmbeddedHub
from hub.setup.directory import Site
from workflows.beijing_time import beijing_text
from workflows.errors import DomainError
from workflows.publication import Target


def export_library(
    hub: EmbeddedHub, path: Path, site_refs: list[str] | None = None
) -> dict[str, Any]:
    """Write the archive to `path` (a .zip); what it holds."""
    directory = hub.config.directory
    sites = [directory.site(s) for s in site_refs] if site_refs else list(directory.sites)
    if not path.parent.is_dir():
        raise DomainError("FILE_UNREADABLE", f"目录不存在: {path.parent}")
    hub.catch_up()
    now = utc_now()
    files: dict[str, str] = {}
    records = 0
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:

        def put(name: str, data: bytes) -> None:
            archive.writestr(name, data)
            files[name] = hashlib.sha256(data).hexdigest()

        for site in sites:
            for item in live_at(hub.store, now, site=site.code):
                column_id = Target.parse(item.target).column or ""
                page = hub.config.sites_root / site.key / column_id / f"{item.article_id}.html"
                if not page.is_file():
                    continue  # not written yet (its delivery is on the way)
                base = f"items/{site.key}/{column_id}/{item.article_id}"
                put(f"{base}.html", page.read_bytes())
                record = _record(hub, site, column_id, item)
                put(f"{base}.json", json.dumps(record, ensure_ascii=False, indent=1).encode())
                records += 1
        manifest = {"exported_at": now.isoformat(), "sites": [s.key for s in sites],
                    "records": records, "files": files}  # fmt: skip
        archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1))
    return {"path": str(path), "records": records, "files": len(files) + 1}


def _record(hub: EmbeddedHub, site: Site, column_id: str, item: LiveItem) -> dict[str, Any]:
    from hub.projections.delivery_sources import revision_content

    directory = hub.config.directory
    content = revision_content(hub.store, item.article_id, item.revision)
    meta = content.metadata
    column = site.column(column_id)
    return {
        "SiteName": site.name, "SiteDomain": site.domain, "SiteIDCode": site.code,
        "ColumnName": column.name if column else column_id,
        "ColumnType": column.type if column else "",
        "ArticleTitle": content.title, "PubDate": beijing_text(item.live_since),
        "ContentSource": meta.source or site.name, "Keywords": ",".join(meta.keywords),
        "Author": meta.author, "Description": meta.summary,
        "Url": f"https://{site.domain}/{column_id}/{item.article_id}.html",
        "policy": {"doc_number": meta.doc_number, "index_number": meta.index_number,
                   "issuing_agency": meta.issuing_agency,
                   "written_date": meta.written_date.isoformat() if meta.written_date else "",
                   "subject_category": meta.subject_category, "validity": str(meta.validity),
                   "replaced_by": meta.replaced_by},
        "provenance": {**item.as_json(), "organiser": site.footer.organiser or site.name,
                       "approvers": [directory.user_name(a.user) for a in item.approvals]},
    }  # fmt: skip
