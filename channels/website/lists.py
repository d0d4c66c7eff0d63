"""The list pages of a site, re-rendered for exactly the blocks the changes touched (a burst
of changes is marked in the page index and rendered once, by `flush`).

A column has `index.html` (the newest PAGE_SIZE articles, with links to the archive) and
archive pages `list-1.html` (the oldest PAGE_SIZE) … `list-N.html` (the newest, partly
filled). The sitemap is an index (`sitemap.xml`) of `sitemap-columns.xml` and of blocks of
SITEMAP_SIZE article URLs (`sitemap-1.xml` …), numbered the same way. A newest article changes
its column's last archive page (and the one before, whose "next" link appears), the column
index, the Atom feed, the homepage and the last sitemap block; an older one (a retraction)
changes the blocks from its own to the last.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment

from channels.website.files import write_atomically
from channels.website.manifest import write_manifest
from channels.website.site_index import SiteIndex
from workflows.beijing_time import beijing_iso

PAGE_SIZE = 20
SITEMAP_SIZE = 1000
FEED_SIZE = 20
HOME_SIZE = 8


def blocks(count: int, size: int) -> int:
    """How many blocks of `size` hold `count` items (at least one: an empty list page)."""
    return max(1, -(-count // size))


class SiteLists:
    def flush(self, env: Environment, site: dict[str, Any], index: SiteIndex) -> int:
        """Render the lists marked stale (`SiteIndex.mark_stale`) once: each column's from its
        first changed rank, the homepage, the sitemap; the number of scopes rendered. What
        comes out is what rendering after each change would have left."""
        stale = index.take_stale()
        if not stale:
            return 0
        sitemap_from = stale.pop("*", 0)
        for column_id, rank in sorted(stale.items()):
            column = site["columns"].get(column_id)
            if column is not None:
                self.column(env, site, index, column, rank, True)
        self.home(env, site, index)
        self.sitemap(env, site, index, sitemap_from, True)
        return len(stale) + 1

    def column(
        self, env: Environment, site: dict[str, Any], index: SiteIndex, column: dict[str, Any],
        from_rank: int, removed: bool,
    ) -> None:  # fmt: skip
        folder = Path(site["docroot"]) / column["id"]
        count = index.count(column["id"])
        last = blocks(count, PAGE_SIZE)
        first = min(from_rank // PAGE_SIZE + 1, max(1, last - 1))
        # One page of articles needs no archive: the column index shows them all.
        for number in range(first, last + 1) if last > 1 else ():
            entries = index.window(column["id"], (number - 1) * PAGE_SIZE, PAGE_SIZE)
            _write_list(
                folder / f"list-{number}.html",
                env.get_template("column.html").render(
                    site=site, column=column, here=column["id"], items=list(reversed(entries)), root="..",
                    page=number, pages=last, count=count,
                ),
            )  # fmt: skip
        if removed:  # pages gone: the archive pages beyond the last (several, after a burst)
            for extra in folder.glob("list-*.html"):
                number = extra.name[len("list-") : -len(".html")]
                if number.isdigit() and (int(number) > last or last == 1):
                    extra.unlink(missing_ok=True)
        newest = index.newest(column["id"], max(PAGE_SIZE, FEED_SIZE))
        _write_list(
            folder / "index.html",
            env.get_template("column.html").render(
                site=site, column=column, here=column["id"], items=newest[:PAGE_SIZE], root="..", page=None,
                pages=last, count=count,
            ),
        )  # fmt: skip
        feed = [{"article_id": i.article_id, "title": i.title, "url": i.url,
                 "updated": beijing_iso(i.published_at)} for i in newest[:FEED_SIZE]]  # fmt: skip
        _write_list(
            folder / "atom.xml",
            env.get_template("atom.xml").render(
                site=site, column=column, here=column["id"], items=feed,
                updated=feed[0]["updated"] if feed else "1970-01-01T00:00:00+00:00",
            ),
        )  # fmt: skip

    def site_map(self, env: Environment, site: dict[str, Any]) -> None:
        """The 网站地图 page for people: every column of the site (rarely changes)."""
        _write_if_changed(
            Path(site["docroot"]) / "sitemap.html",
            env.get_template("sitemap.html").render(site=site, root="."),
        )

    def home(self, env: Environment, site: dict[str, Any], index: SiteIndex) -> None:
        sections = [
            {"column": c, "entries": index.newest(c["id"], HOME_SIZE)}
            for c in site["columns"].values()
        ]
        home = env.get_template("home.html").render(
            site=site, sections=[s for s in sections if s["entries"]], root="."
        )
        docroot = Path(site["docroot"])
        _write_list(docroot / "index.html", home)

        write_manifest(docroot, docroot / "index.html", home)
        self.site_map(env, site)

    def sitemap(
        self, env: Environment, site: dict[str, Any], index: SiteIndex, from_rank: int,
        removed: bool,
    ) -> None:  # fmt: skip
        docroot = Path(site["docroot"])
        count = index.count(None)
        last = blocks(count, SITEMAP_SIZE)
        for number in range(min(from_rank // SITEMAP_SIZE + 1, last), last + 1):
            entries = index.window(None, (number - 1) * SITEMAP_SIZE, SITEMAP_SIZE)
            _write_list(
                docroot / f"sitemap-{number}.xml",
                env.get_template("sitemap.xml").render(
                    items=[{"url": i.url, "updated": beijing_iso(i.published_at)} for i in entries]
                ),
            )
        if removed:
            for extra in docroot.glob("sitemap-*.xml"):
                block = extra.name[len("sitemap-") : -len(".xml")]
                if block.isdigit() and int(block) > last:
                    extra.unlink(missing_ok=True)
        columns = [{"url": f"https://{site['domain']}/{c}/index.html", "updated": None}
                   for c in site["columns"] if (docroot / c / "index.html").is_file()]  # fmt: skip
        columns.insert(0, {"url": f"https://{site['domain']}/index.html", "updated": None})
        _write_if_changed(
            docroot / "sitemap-columns.xml",
            env.get_template("sitemap.xml").render(items=columns),
        )
        _write_if_changed(
            docroot / "sitemap.xml",
            env.get_template("sitemap-index.xml").render(
                site=site,
                files=["sitemap-columns.xml"] + [f"sitemap-{n}.xml" for n in range(1, last + 1)],
            ),
        )


def _write_if_changed(path: Path, text: str) -> None:
    """For files that rarely change (the sitemap index): skip the write when equal."""
    try:
        if path.read_text(encoding="utf-8") == text:
            return
    except FileNotFoundError:
        pass
    _write_list(path, text)


def _write_list(path: Path, text: str) -> None:
    """List pages are re-derived from the index on every change: atomic, not fsynced."""
    write_atomically(path, text, durable=False)
