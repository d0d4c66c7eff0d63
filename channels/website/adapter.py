"""Article pages written atomically into each site's document root.

A page is rendered from the site's Jinja2 templates; the write goes to a temporary file in
the same folder and is renamed over the page, so no reader ever sees half a page. The page
carries the delivery id and the content hash, which is how `status` knows what arrived.
"""

from __future__ import annotations

import fcntl
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from channels.contract import (
    EVERY_CAPABILITY,
    ChannelError,
    ChannelLimits,
    DeliveryItem,
    MediaFiles,
    Receipt,
)
from channels.website.files import write_atomically
from channels.website.lists import SiteLists
from channels.website.manifest import manifest_path, write_manifest
from channels.website.site_index import Listed, SiteIndex
from events.log import get_logger
from workflows.beijing_time import beijing_text
from workflows.delivery_events import ErrorKind
from workflows.publication import Channel

log = get_logger(__name__)
TEMPLATES = Path(__file__).parent / "templates"
_DELIVERY = re.compile(r'<meta name="hub-delivery" content="([^"]*)">')
# A stored image or attachment as the hub links it: /media/<sha256>.<ext>[/<download name>].
_NAV = re.compile(r'<nav class="site-nav".*?</nav>', re.S)
_RELATED = re.compile(r'<aside class="related".*?</aside>', re.S)
_MEDIA_LINK = re.compile(r'\b(src|href)="/media/([0-9a-f]{64}\.[a-z]{3,4})(?:/[^"]*)?"')


def media_keys(body_html: str) -> set[str]:
    """The media store's files an article body links (by their content keys)."""
    return {m.group(2) for m in _MEDIA_LINK.finditer(body_html)}


def column_page(site: dict[str, Any], column_id: str, here: str | None = None) -> str | None:
    """The column whose page a link to `column_id` opens, or None when the column is not on
    the site. A column is on the site once it has had content (its index page exists) or
    the page being written (`here`) is its first; a parent column without articles of its
    own opens its first child that is on the site. A column that never had content is not
    put online at all (not in the navigation, not in the maps): a blank column (空白栏目) is
    a single-veto finding."""
    if column_id == here or (Path(site["docroot"]) / column_id / "index.html").is_file():
        return column_id
    for child in site["columns"].get(column_id, {}).get("children", ()):
        found = column_page(site, child, here)
        if found is not None:
            return found
    return None


def linked_articles(item: DeliveryItem) -> tuple[str, ...]:
    """The articles a page links both ways in its related block: the documents it interprets
    (or its interpretations) and the document that amends or repeals it."""
    meta = item.content.metadata
    return (*meta.related_articles, *((meta.replaced_by,) if meta.replaced_by else ()))


class WebsiteAdapter:
    """One adapter for every site; `sites` maps site codes to their facts and docroots."""

    channel = Channel.WEBSITE
    capabilities = EVERY_CAPABILITY
    limits = ChannelLimits(max_title_chars=200, max_body_bytes=5_000_000)

    def __init__(
        self,
        sites: dict[str, dict[str, Any]],
        templates: Path = TEMPLATES,
        index_root: Path | None = None,
        media: MediaFiles | None = None,
    ) -> None:
        self.sites = sites
        self.media = media
        self.index_root = index_root
        self._indexes: dict[str, SiteIndex] = {}
        self.templates = templates
        self._envs: dict[str | None, Environment] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._locks_lock = threading.Lock()
        self._bursts = 0  # bursts (engine chunks) under way; their sites' lists wait for them
        self._burst_sites: dict[str, dict[str, Any]] = {}
        self.lists = SiteLists()

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

    def render(
        self, item: DeliveryItem, published_at: datetime | None = None, *, local_media: bool = True,
        site: dict[str, Any] | None = None, related: list[Listed] | None = None,
    ) -> str:  # fmt: skip
        """The article's page; `local_media=False` (a preview) links the hub's copies of its
        images instead of copying them into the site; `site`: the site's facts with another
        document root (a whole site rendered anew beside the live one); `related`: the live
        pages it links as related (policy ⇄ interpretation)."""
        site = site or self._site(item)
        column = site["columns"].get(item.target.column)
        if column is None:
            raise ChannelError(
                ErrorKind.PERMANENT, f"站点 {site['name']} 没有栏目 {item.target.column}"
            )
        return (
            self.env_of(site)
            .get_template("article.html")
            .render(
                site=site,
                column=column,
                content=item.content,
                body_html=(
                    self._with_media(site, item.content.body_html)
                    if local_media
                    else item.content.body_html
                ),
                here=column["id"],  # the page being written puts its column online
                meta=item.content.metadata,
                published_at=beijing_text(published_at or item.published_at),
                root="..",
                url=self.url(item),
                delivery_id=item.delivery_id,
                content_hash=item.content_hash,
                related=related or [],
                origin=self._origin(item, site),
                replacement=self._replacement(item, site),
            )
        )

    def _replacement(self, item: DeliveryItem, site: dict[str, Any]) -> Listed | None:
        """The live page, on this site, of the document that amends or repeals this one."""
        replaced_by = item.content.metadata.replaced_by
        if not replaced_by:
            return None
        found = self.index_of(site).pages_of(replaced_by)
        return found[0] if found else None

    def _origin(self, item: DeliveryItem, site: dict[str, Any]) -> dict[str, str] | None:
        """The site an article placed here by another site came from (转载自), with its page
        there; None for the site's own articles."""
        home = self.sites.get(item.article_site) or next(
            (s for s in self.sites.values() if s["key"] == item.article_site), None)  # fmt: skip
        if home is None or home["code"] == site["code"]:
            return None
        column = item.article_column
        url = f"https://{home['domain']}/{column}/{item.article_id}.html" if column else ""
        return {"name": str(home["name"]), "url": url}

    def _with_media(self, site: dict[str, Any], html: str) -> str:
        """The body with its images and attachments copied into the site's own `media/`
        folder and linked there, so the site's pages need nothing from the hub. A link to a
        file the hub does not have is left as it is."""
        if self.media is None or "/media/" not in html:
            return html
        folder = Path(site["docroot"]) / "media"

        def local(match: re.Match[str]) -> str:
            key = match.group(2)
            found = self.media.find(key) if self.media else None
            if found is None:
                return match.group(0)
            copy = folder / key
            if not copy.exists():  # content-addressed: an existing copy is the same file
                write_atomically(copy, found[0].read_bytes())
            return f'{match.group(1)}="../media/{key}"'

        return _MEDIA_LINK.sub(local, html)

    def send(self, item: DeliveryItem) -> Receipt:
        site = self._site(item)
        with self.site_lock(site):
            receipt = self._send(item)
            self._settle_or_defer(site)
            return receipt

    def _settle_or_defer(self, site: dict[str, Any]) -> None:
        """Render the site's stale lists now, unless a burst under way will (once, at its
        end): each page's lists were rendered after it before, a migration's many pages
        rendering every list block again and again."""
        with self._locks_lock:
            if self._bursts:
                self._burst_sites[site["code"]] = site
                return
        self.lists.flush(self.env_of(site), site, self.index_of(site))

    @contextmanager
    def burst(self) -> Iterator[None]:
        """Deliveries made together (an engine's chunk): their sites' lists are rendered once,
        when the last burst ends."""
        with self._locks_lock:
            self._bursts += 1
        try:
            yield
        finally:
            with self._locks_lock:
                self._bursts -= 1
                sites = list(self._burst_sites.values()) if not self._bursts else []
                if not self._bursts:
                    self._burst_sites.clear()
            for site in sites:
                try:
                    with self.site_lock(site):
                        self.lists.flush(self.env_of(site), site, self.index_of(site))
                except OSError as exc:  # stay marked: the site's next delivery renders them
                    log.warning("website.lists_deferred", site=site["code"], error=str(exc))

    @contextmanager
    def site_lock(self, site: dict[str, Any]) -> Iterator[None]:
        """One change at a time per site, across threads and processes (the CLI and `hub
        serve` may both deliver): the page index and the lists it renders are shared."""
        with self._locks_lock:
            lock = self._locks.setdefault(site["code"], threading.Lock())
        root = self.index_root or Path(site["docroot"]).parent / ".index"
        root.mkdir(parents=True, exist_ok=True)
        with lock, (root / f"{site['key']}.lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield

    def _send(self, item: DeliveryItem) -> Receipt:
        column = str(item.target.column)
        site = self._site(item)
        coming_online = not (Path(site["docroot"]) / column / "index.html").is_file()
        index = self._index(item)
        first = index.get(column, item.article_id)
        published_at = first.published_at if first else item.published_at.isoformat()
        path = self.page_path(item)
        touched = index.relate(column, item.article_id, linked_articles(item))
        page = self.render(item, datetime.fromisoformat(published_at),
                           related=index.related_pages(item.article_id))  # fmt: skip
        write_atomically(path, page)
        write_manifest(Path(self._site(item)["docroot"]), path, page)
        placed = index.put(Listed(item.article_id, column, item.content.title, self.url(item),
                                  published_at))  # fmt: skip
        keys = media_keys(item.content.body_html)
        self._drop_media(item, index.use_media(column, item.article_id, keys))
        index.mark_stale(placed)
        self.refresh_related(site, index, touched)
        if coming_online:  # its lists now (once in a column's life): the navigation links them
            self.lists.flush(self.env_of(site), site, index)
            self.refresh_navigation(site)
        return Receipt(remote_id=str(path), url=self.url(item))

    def refresh_related(self, site: dict[str, Any], index: SiteIndex, articles: set[str]) -> int:
        """The related block of every live page of `articles` as the index says it is now
        (a page declaring this one went live, was corrected or taken off: both ways)."""
        docroot = Path(site["docroot"])
        template = self.env_of(site).get_template("_related.html")
        changed = 0
        for article_id in sorted(articles):
            related = index.related_pages(article_id)
            for listed in index.pages_of(article_id):
                path = docroot / listed.column_id / f"{article_id}.html"
                try:
                    old = path.read_text(encoding="utf-8")
                except FileNotFoundError:
                    continue
                block = _RELATED.search(old)
                column = site["columns"].get(listed.column_id)
                if block is None or column is None:
                    continue  # a theme's page without the standard related block
                fresh = template.render(related=related, root="..", column=column).strip()
                if block.group(0) == fresh:
                    continue
                page = old[: block.start()] + fresh + old[block.end() :]
                write_atomically(path, page, durable=False)
                write_manifest(docroot, path, page)
                changed += 1
        return changed

    def refresh_navigation(self, site: dict[str, Any]) -> int:
        """A column came online: every page written before links it now (the navigation
        block of each page and list, with its manifest). Once per column in a site's life."""
        docroot = Path(site["docroot"])
        template = self.env_of(site).get_template("_nav.html")
        changed = 0
        for path in sorted(docroot.rglob("*.html")):
            depth = len(path.relative_to(docroot).parts)
            here = path.relative_to(docroot).parts[0] if depth > 1 else None
            old = path.read_text(encoding="utf-8")
            block = _NAV.search(old)
            if block is None:
                continue  # a theme's page without the standard navigation block
            nav = template.render(site=site, root=".." if depth > 1 else ".", here=here).strip()
            if block.group(0) == nav:
                continue
            page = old[: block.start()] + nav + old[block.end() :]
            write_atomically(path, page, durable=False)
            if manifest_path(docroot, path).exists():  # article pages and the homepage have one
                write_manifest(docroot, path, page)
            changed += 1
        return changed

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
        site = self._site(item)
        with self.site_lock(site):
            self._retract(item)
            self._settle_or_defer(site)

    def _retract(self, item: DeliveryItem) -> None:
        page = self.page_path(item)
        page.unlink(missing_ok=True)
        manifest_path(Path(self._site(item)["docroot"]), page).unlink(missing_ok=True)
        index = self._index(item)
        self._drop_media(item, index.use_media(str(item.target.column), item.article_id, set()))
        touched = index.relate(str(item.target.column), item.article_id, ())
        placed = index.remove(str(item.target.column), item.article_id)
        if placed is not None:
            index.mark_stale(placed)
        self.refresh_related(self._site(item), index, touched)

    def _drop_media(self, item: DeliveryItem, keys: list[str]) -> None:
        """Remove the site's copies of files no page of the site links any more."""
        folder = Path(self._site(item)["docroot"]) / "media"
        for key in keys:
            (folder / key).unlink(missing_ok=True)

    def env_of(self, site: dict[str, Any]) -> Environment:
        """The site's templates: its own theme folder (if configured) over the default."""
        theme = site.get("theme") or None
        with self._locks_lock:
            if theme not in self._envs:  # sites without a theme share compiled templates
                folders = [str(theme)] if theme else []
                self._envs[theme] = Environment(
                    loader=FileSystemLoader([*folders, str(self.templates)]),
                    autoescape=select_autoescape(["html", "xml"]),
                    keep_trailing_newline=True,
                    auto_reload=False,  # a theme changed on disk applies from the next start
                )
                self._envs[theme].globals.update(column_page=column_page, here=None)
            return self._envs[theme]

    def _index(self, item: DeliveryItem) -> SiteIndex:
        return self.index_of(self._site(item))

    def warm(self) -> None:
        """Open every site's page index now rather than on its first delivery, and render
        the lists a process stopped in a burst left stale."""
        for site in self.sites.values():
            with self.site_lock(site):
                self.lists.flush(self.env_of(site), site, self.index_of(site))

    def index_of(self, site: dict[str, Any]) -> SiteIndex:
        """The page index of a site (opened once)."""
        with self._locks_lock:
            if site["code"] not in self._indexes:
                root = self.index_root or Path(site["docroot"]).parent / ".index"
                self._indexes[site["code"]] = SiteIndex(root / f"{site['key']}.sqlite3")
            return self._indexes[site["code"]]
