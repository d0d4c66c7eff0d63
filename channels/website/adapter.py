"""Article pages written atomically into each site's document root.

A page is rendered from the site's Jinja2 templates; the write goes to a temporary file in
the same folder and is renamed over the page, so no reader ever sees half a page. The page
carries the delivery id and the content hash, which is how `status` knows what arrived.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from channels.contract import Capability, ChannelError, ChannelLimits, DeliveryItem, Receipt
from channels.website.site_index import Listed, SiteIndex
from workflows.delivery_events import ErrorKind
from workflows.publication import Channel

TEMPLATES = Path(__file__).parent / "templates"
_DELIVERY = re.compile(r'<meta name="hub-delivery" content="([^"]*)">')


class WebsiteAdapter:
    """One adapter for every site; `sites` maps site codes to their facts and docroots."""

    channel = Channel.WEBSITE
    capabilities = frozenset({Capability.PUBLISH, Capability.UPDATE, Capability.RETRACT,
                              Capability.STATUS})  # fmt: skip
    limits = ChannelLimits(max_title_chars=200, max_body_bytes=5_000_000)

    def __init__(
        self,
        sites: dict[str, dict[str, Any]],
        templates: Path = TEMPLATES,
        index_root: Path | None = None,
    ) -> None:
        self.sites = sites
        self.index_root = index_root
        self._indexes: dict[str, SiteIndex] = {}
        self.env = Environment(
            loader=FileSystemLoader(str(templates)),
            autoescape=select_autoescape(["html", "xml"]),
            keep_trailing_newline=True,
        )

    def _site(self, item: DeliveryItem) -> dict[str, Any]:
        site = self.sites.get(item.target.account)
        if site is None:
            raise ChannelError(ErrorKind.PERMANENT, f"未配置站点 {item.target.account}")
        return site

    def page_path(self, item: DeliveryItem) -> Path:
        site = self._site(item)
        return Path(site["docroot"]) / str(item.target.column) / f"{item.article_id}.html"

    def url(self, item: DeliveryItem) -> str:
        site = self._site(item)
        return f"https://{site['domain']}/{item.target.column}/{item.article_id}.html"

    def render(self, item: DeliveryItem) -> str:
        site = self._site(item)
        column = site["columns"].get(item.target.column)
        if column is None:
            raise ChannelError(
                ErrorKind.PERMANENT, f"站点 {site['name']} 没有栏目 {item.target.column}"
            )
        return self.env.get_template("article.html").render(
            site=site,
            column=column,
            content=item.content,
            meta=item.content.metadata,
            published_at=item.published_at.strftime("%Y-%m-%d %H:%M"),
            url=self.url(item),
            delivery_id=item.delivery_id,
            content_hash=item.content_hash,
        )

    def send(self, item: DeliveryItem) -> Receipt:
        path = self.page_path(item)
        write_atomically(path, self.render(item))
        published = item.published_at.isoformat()
        listed = Listed(item.article_id, str(item.target.column), item.content.title,
                        self.url(item), published)  # fmt: skip
        self._index(item).put(listed)
        self._rebuild_lists(item)
        return Receipt(remote_id=str(path), url=self.url(item))

    def status(self, item: DeliveryItem) -> Receipt | None:
        path = self.page_path(item)
        try:
            head = path.read_text(encoding="utf-8")[:4096]
        except FileNotFoundError:
            return None
        found = _DELIVERY.search(head)
        if found is None or found.group(1) != item.delivery_id:
            return None
        return Receipt(remote_id=str(path), url=self.url(item))

    def retract(self, item: DeliveryItem) -> None:
        self.page_path(item).unlink(missing_ok=True)
        self._index(item).remove(str(item.target.column), item.article_id)
        self._rebuild_lists(item)

    # -- lists: the column page and feed it touched, the homepage, the sitemap --------------

    def _index(self, item: DeliveryItem) -> SiteIndex:
        site = self._site(item)
        if site["code"] not in self._indexes:
            root = self.index_root or Path(site["docroot"]).parent / ".index"
            self._indexes[site["code"]] = SiteIndex(root / f"{site['key']}.sqlite3")
        return self._indexes[site["code"]]

    def _rebuild_lists(self, item: DeliveryItem) -> None:
        site = self._site(item)
        index = self._index(item)
        docroot = Path(site["docroot"])
        column = site["columns"][item.target.column]
        newest = index.newest(column["id"], 50)
        render = self.env.get_template
        write_atomically(
            docroot / column["id"] / "index.html",
            render("column.html").render(site=site, column=column, items=newest),
        )
        updated = newest[0].published_at if newest else item.published_at.isoformat()
        write_atomically(
            docroot / column["id"] / "atom.xml",
            render("atom.xml").render(site=site, column=column, items=[
                {"article_id": i.article_id, "title": i.title, "url": i.url,
                 "updated": i.published_at} for i in newest[:20]
            ], updated=updated),
        )  # fmt: skip
        sections = [
            {"column": c, "entries": index.newest(c["id"], 8)} for c in site["columns"].values()
        ]
        write_atomically(
            docroot / "index.html",
            render("home.html").render(site=site, sections=[s for s in sections if s["entries"]]),
        )
        everything = index.newest(None, 50_000)
        write_atomically(
            docroot / "sitemap.xml",
            render("sitemap.xml").render(
                site=site,
                columns=list(site["columns"].values()),
                items=[{"url": i.url, "updated": i.published_at} for i in everything],
            ),
        )


def write_atomically(path: Path, text: str) -> None:
    """Write `text` to `path` so that readers see the old file or the new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
