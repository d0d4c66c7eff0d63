"""A whole site rendered anew: every live page, every list, the homepage, the feeds, the
sitemaps, the manifests and the site's media copies — after a lost document root, a theme
change, or to move a site.

The caller (the hub, from its log) gives each live page's delivered item and the time it first
went live there, and the columns that ever had a page (a column emptied by retractions keeps
its empty list, as incremental publishing leaves it). The site is rendered into a staging
folder beside the live one and swapped in, under the site's lock (no delivery changes it
meanwhile); the page index is rebuilt in place (other processes keep their connection to it).
What comes out is byte for byte what incremental publishing made.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from channels.contract import DeliveryItem
from channels.website.adapter import WebsiteAdapter, linked_articles, media_keys
from channels.website.files import write_atomically
from channels.website.manifest import manifest_path, write_manifest
from channels.website.site_index import Listed


def _swap(live: Path, staged: Path) -> None:
    """Put `staged` where `live` is (two renames; the old one removed after)."""
    old = live.with_name(f".old-{live.name}")
    shutil.rmtree(old, ignore_errors=True)
    if live.exists():
        os.rename(live, old)
    if staged.exists():
        os.rename(staged, live)
    shutil.rmtree(old, ignore_errors=True)


def rerender_site(
    adapter: WebsiteAdapter, site: dict[str, Any],
    pages: Sequence[tuple[DeliveryItem, str]], columns: set[str],
    progress: Callable[[int], None] = lambda _: None,
) -> int:  # fmt: skip
    """Render `site` anew from `pages` (each live page's item and first publication time,
    ISO 8601) and the `columns` that ever had a page; the number of pages written."""
    docroot = Path(site["docroot"])
    staging = docroot.with_name(f".render-{site['key']}")
    staged = {**site, "docroot": str(staging)}
    manifests = manifest_path(docroot, docroot / "x").parent
    staged_manifests = manifest_path(staging, staging / "x").parent
    with adapter.site_lock(site):
        for folder in (staging, staged_manifests):
            shutil.rmtree(folder, ignore_errors=True)
        staging.mkdir(parents=True)
        # Every column that ever had a page is online: each page's navigation links it, as
        # incremental publishing leaves them (its lists, rendered below, replace the marks).
        for column_id in columns:
            (staging / column_id).mkdir(parents=True, exist_ok=True)
            (staging / column_id / "index.html").touch()
        index = adapter.index_of(site)
        index.clear()
        # The index first (each page's related block shows the pages live in the end).
        listed = []
        for item, published_at in pages:
            column = str(item.target.column)
            listed.append(Listed(item.article_id, column, item.content.title,
                                 adapter.url(item), published_at))  # fmt: skip
            index.use_media(column, item.article_id, media_keys(item.content.body_html))
            index.relate(column, item.article_id, linked_articles(item))
        index.put_many(listed)
        for item, published_at in pages:
            path = staging / str(item.target.column) / f"{item.article_id}.html"
            page = adapter.render(item, datetime.fromisoformat(published_at), site=staged,
                                  related=index.related_pages(item.article_id))  # fmt: skip
            write_atomically(path, page, durable=False)
            write_manifest(staging, path, page)
            progress(1)
        env = adapter.env_of(site)
        for column_id in site["columns"]:
            if column_id in columns:
                adapter.lists.column(env, staged, index, site["columns"][column_id], 0, True)
        if columns:
            adapter.lists.home(env, staged, index)
            adapter.lists.sitemap(env, staged, index, 0, True)
        _swap(docroot, staging)
        _swap(manifests, staged_manifests)
    return len(pages)
