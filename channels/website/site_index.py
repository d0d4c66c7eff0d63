"""What each site shows, kept by the website channel itself: one row per live article page.
Column pages, archive pages, the homepage, the Atom feeds and the sitemaps are rendered from
it. It lives beside the document roots, never inside one (a web server must not serve it).

Lists are ordered oldest first by (published_at, article_id); an article's *rank* is its
place in that order. Archive pages and sitemap files hold fixed blocks of ranks, so a new
article (the newest, the last rank) changes only the last block: the cost of a publication
does not grow with the site. Ranks are counted from the newest end for the same reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from channels.local_db import open_local_db, write_transaction
from workflows.beijing_time import beijing_text

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS pages (
        article_id TEXT NOT NULL, column_id TEXT NOT NULL, title TEXT NOT NULL,
        url TEXT NOT NULL, published_at TEXT NOT NULL, PRIMARY KEY (column_id, article_id))""",
    "CREATE INDEX IF NOT EXISTS pages_column ON pages (column_id, published_at, article_id)",
    "CREATE INDEX IF NOT EXISTS pages_site ON pages (published_at, article_id, column_id)",
    "CREATE TABLE IF NOT EXISTS counts (column_id TEXT PRIMARY KEY, n INTEGER NOT NULL)",
    # The site's own copies of images and attachments, and the pages that link each.
    """CREATE TABLE IF NOT EXISTS media_uses (
        media_key TEXT NOT NULL, column_id TEXT NOT NULL, article_id TEXT NOT NULL,
        PRIMARY KEY (media_key, column_id, article_id))""",
    "CREATE INDEX IF NOT EXISTS media_uses_page ON media_uses (column_id, article_id)",
    # The articles each live page declares related (a policy and its interpretations, P19):
    # a page shows the live pages of those and of the articles that declare it (both ways).
    """CREATE TABLE IF NOT EXISTS relations (
        column_id TEXT NOT NULL, article_id TEXT NOT NULL, related_id TEXT NOT NULL,
        PRIMARY KEY (column_id, article_id, related_id))""",
    "CREATE INDEX IF NOT EXISTS relations_related ON relations (related_id)",
    "CREATE INDEX IF NOT EXISTS pages_article ON pages (article_id, column_id)",
    # Lists not rendered yet since a change (a burst of deliveries renders them once, at its
    # end): per column and for the sitemap ('*'), the first rank changed.
    "CREATE TABLE IF NOT EXISTS stale_lists (scope TEXT PRIMARY KEY, from_rank INTEGER NOT NULL)",
)
_FIELDS = "article_id, column_id, title, url, published_at"
SITE = ""  # the key of the whole site's count


@dataclass(frozen=True)
class Listed:
    article_id: str
    column_id: str
    title: str
    url: str
    published_at: str  # ISO 8601 with zone

    @property
    def date(self) -> str:
        return beijing_text(self.published_at, "date")


@dataclass(frozen=True)
class Placed:
    """Where a put or removed page sits: its rank in its column and in the whole site."""

    column_rank: int
    site_rank: int
    listed: Listed


class SiteIndex:
    """The live pages of one site (SQLite, one small file per site)."""

    def __init__(self, path: Path) -> None:
        self._db = open_local_db(path, _SCHEMA)

    def get(self, column_id: str, article_id: str) -> Listed | None:
        row = self._db.execute(
            f"SELECT {_FIELDS} FROM pages WHERE column_id = ? AND article_id = ?",
            (column_id, article_id),
        ).fetchone()
        return Listed(*row) if row else None

    def mark_stale(self, placed: Placed) -> None:
        """The lists a page put at (or removed from) `placed` changes, to render later."""
        with write_transaction(self._db):
            self._db.executemany(
                "INSERT INTO stale_lists VALUES (?, ?) ON CONFLICT (scope) DO UPDATE "
                "SET from_rank = MIN(from_rank, excluded.from_rank)",
                ((placed.listed.column_id, placed.column_rank), ("*", placed.site_rank)),
            )

    def take_stale(self) -> dict[str, int]:
        """The stale lists (scope -> first rank changed), no longer marked."""
        with write_transaction(self._db):
            rows = self._db.execute("SELECT scope, from_rank FROM stale_lists").fetchall()
            self._db.execute("DELETE FROM stale_lists")
        return {str(scope): int(rank) for scope, rank in rows}

    def put(self, item: Listed) -> Placed:
        """List the page; a page listed already keeps its place (and first publication time)."""
        with write_transaction(self._db):
            current = self.get(item.column_id, item.article_id)
            if current is None:
                self._db.execute(
                    "INSERT INTO pages VALUES (?, ?, ?, ?, ?)",
                    (item.article_id, item.column_id, item.title, item.url, item.published_at),
                )
                self._bump(item.column_id, 1)
                listed = item
            else:
                self._db.execute(
                    "UPDATE pages SET title = ?, url = ? WHERE column_id = ? AND article_id = ?",
                    (item.title, item.url, item.column_id, item.article_id),
                )
                listed = Listed(item.article_id, item.column_id, item.title, item.url,
                                current.published_at)  # fmt: skip
            return self._placed(listed)

    def remove(self, column_id: str, article_id: str) -> Placed | None:
        """Unlist the page; where it was, or None if it was not listed."""
        with write_transaction(self._db):
            current = self.get(column_id, article_id)
            placed = self._placed(current) if current else None
            if current is not None:
                for table in ("pages", "relations"):
                    self._db.execute(
                        f"DELETE FROM {table} WHERE column_id = ? AND article_id = ?",
                        (column_id, article_id),
                    )
                self._bump(column_id, -1)
        return placed

    def relate(self, column_id: str, article_id: str, related: Iterable[str]) -> set[str]:
        """Record the articles the page declares related. Returns the articles whose pages'
        related blocks may change: those it declared before and now, those that declare it,
        and itself."""
        with write_transaction(self._db):
            before = self._related_ids("SELECT related_id FROM relations WHERE column_id = ? "
                                       "AND article_id = ?", (column_id, article_id))  # fmt: skip
            self._db.execute(
                "DELETE FROM relations WHERE column_id = ? AND article_id = ?",
                (column_id, article_id),
            )
            now = {r for r in related if r != article_id}
            self._db.executemany(
                "INSERT INTO relations VALUES (?, ?, ?)",
                [(column_id, article_id, r) for r in sorted(now)],
            )
        return before | now | self.declaring(article_id) | {article_id}

    def declaring(self, article_id: str) -> set[str]:
        """The articles whose live pages declare `article_id` related."""
        return self._related_ids(
            "SELECT article_id FROM relations WHERE related_id = ?", (article_id,)
        )

    def _related_ids(self, sql: str, params: tuple[str, ...]) -> set[str]:
        return {str(row[0]) for row in self._db.execute(sql, params).fetchall()}

    def related_pages(self, article_id: str) -> list[Listed]:
        """The live pages an article's pages link as related, both ways: one page per
        related article (its first column), oldest first."""
        ids = self._related_ids(
            "SELECT related_id FROM relations WHERE article_id = ?", (article_id,)
        ) | self.declaring(article_id)
        ids.discard(article_id)
        pages = [found[0] for found in (self.pages_of(i) for i in sorted(ids)) if found]
        return sorted(pages, key=lambda p: (p.published_at, p.article_id))

    def pages_of(self, article_id: str) -> list[Listed]:
        """The article's live pages in this site, by column."""
        rows = self._db.execute(
            f"SELECT {_FIELDS} FROM pages WHERE article_id = ? ORDER BY column_id", (article_id,)
        ).fetchall()
        return [Listed(*row) for row in rows]

    def _bump(self, column_id: str, delta: int) -> None:
        for key in (column_id, SITE):
            self._db.execute(
                "INSERT INTO counts VALUES (?, ?) ON CONFLICT (column_id) DO UPDATE SET n = n + ?",
                (key, max(delta, 0), delta),
            )

    def _placed(self, item: Listed) -> Placed:
        (after_in_column,) = self._db.execute(
            "SELECT COUNT(*) FROM pages WHERE column_id = ? AND (published_at, article_id) > (?, ?)",
            (item.column_id, item.published_at, item.article_id),
        ).fetchone()
        (after_in_site,) = self._db.execute(
            "SELECT COUNT(*) FROM pages WHERE (published_at, article_id, column_id) > (?, ?, ?)",
            (item.published_at, item.article_id, item.column_id),
        ).fetchone()
        return Placed(
            self.count(item.column_id) - 1 - int(after_in_column),
            self.count(None) - 1 - int(after_in_site),
            item,
        )

    def count(self, column_id: str | None) -> int:
        """Pages listed in the column (None: in the whole site)."""
        row = self._db.execute(
            "SELECT n FROM counts WHERE column_id = ?", (SITE if column_id is None else column_id,)
        ).fetchone()
        return int(row[0]) if row else 0

    def window(self, column_id: str | None, start: int, size: int) -> list[Listed]:
        """The pages of ranks [start, start + size), oldest first. Read from whichever end is
        nearer, so the newest blocks cost the same however large the site is."""
        total = self.count(column_id)
        end = min(total, start + size)
        if end <= start:
            return []
        where, params = ("WHERE column_id = ?", (column_id,)) if column_id is not None else ("", ())
        order = "published_at, article_id" + ("" if column_id is not None else ", column_id")
        if start >= total - end:
            descending = ", ".join(f"{c} DESC" for c in order.split(", "))
            rows = self._db.execute(
                f"SELECT {_FIELDS} FROM pages {where} ORDER BY {descending} LIMIT ? OFFSET ?",
                (*params, end - start, total - end),
            ).fetchall()
            rows.reverse()
        else:
            rows = self._db.execute(
                f"SELECT {_FIELDS} FROM pages {where} ORDER BY {order} LIMIT ? OFFSET ?",
                (*params, end - start, start),
            ).fetchall()
        return [Listed(*row) for row in rows]

    def search(self, text: str, limit: int = 50) -> list[Listed]:
        """Live pages whose title holds `text`, newest first (the public site search, titles
        only until the resource library brings full text to the sites)."""
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = self._db.execute(
            f"SELECT {_FIELDS} FROM pages WHERE title LIKE ? ESCAPE '\\' "
            "ORDER BY published_at DESC, article_id DESC LIMIT ?",
            (pattern, limit),
        ).fetchall()
        return [Listed(*row) for row in rows]

    def newest(self, column_id: str | None = None, limit: int = 50) -> list[Listed]:
        """The `limit` newest pages, newest first."""
        total = self.count(column_id)
        return list(reversed(self.window(column_id, max(0, total - limit), limit)))

    def put_many(self, items: list[Listed]) -> None:
        """Bulk-list new pages (a full rebuild); ranks are not computed."""
        with write_transaction(self._db):
            self._db.executemany(
                "INSERT OR IGNORE INTO pages VALUES (?, ?, ?, ?, ?)",
                [(i.article_id, i.column_id, i.title, i.url, i.published_at) for i in items],
            )
            self._db.execute("DELETE FROM counts")
            self._db.execute(
                "INSERT INTO counts SELECT column_id, COUNT(*) FROM pages GROUP BY column_id"
            )
            self._db.execute("INSERT INTO counts SELECT ?, COUNT(*) FROM pages", (SITE,))

    def clear(self) -> None:
        """Forget every page (the site is about to be rendered anew from the log)."""
        with write_transaction(self._db):
            for table in ("pages", "counts", "media_uses", "relations", "stale_lists"):
                self._db.execute(f"DELETE FROM {table}")

    def use_media(self, column_id: str, article_id: str, keys: set[str]) -> list[str]:
        """Record the files a page links now; returns the files no page links any more."""
        if not keys and not self._page_media(column_id, article_id):
            return []  # most pages link no file: no write at all
        with write_transaction(self._db):
            before = self._page_media(column_id, article_id)
            self._db.execute(
                "DELETE FROM media_uses WHERE column_id = ? AND article_id = ?",
                (column_id, article_id),
            )
            self._db.executemany(
                "INSERT INTO media_uses VALUES (?, ?, ?)",
                [(key, column_id, article_id) for key in sorted(keys)],
            )
            return [key for key in sorted(before - keys) if not self._used(key)]

    def _page_media(self, column_id: str, article_id: str) -> set[str]:
        rows = self._db.execute(
            "SELECT media_key FROM media_uses WHERE column_id = ? AND article_id = ?",
            (column_id, article_id),
        ).fetchall()
        return {str(r[0]) for r in rows}

    def _used(self, key: str) -> bool:
        return (
            self._db.execute(
                "SELECT 1 FROM media_uses WHERE media_key = ? LIMIT 1", (key,)
            ).fetchone()
            is not None
        )

    def close(self) -> None:
        self._db.close()
