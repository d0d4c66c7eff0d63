"""The app feed's own storage: one copy of an article's content however many apps show it,
gone when no app shows it; cursors and tombstones per app; a feed file of an older release
opens with its change log intact."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

from channels.app.feed import AppFeed, FeedItem


def item(app: str, revision: int = 1, delivery: str = "d1", body: str = "<p>正文</p>") -> FeedItem:
    return FeedItem(
        app=app, article_id="a1", seq=0, revision=revision, delivery_id=f"{delivery}-{app}",
        column_id="notices", title=f"通知（第{revision}版）", summary="摘要", body_html=body,
        source="省政府办公厅", url="app://article/a1", published_at="2026-11-23T08:00:00+08:00",
        updated_at="2026-11-23T08:00:00+08:00", status="published",
    )  # fmt: skip


def contents(path: Path) -> list[tuple[str, int]]:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT article_id, revision FROM contents ORDER BY revision").fetchall()


def test_one_copy_of_the_content_serves_every_app_until_none_shows_it(tmp_path: Path) -> None:
    path = tmp_path / "feed.sqlite3"
    feed = AppFeed(path)
    shown_a, _ = feed.upsert(item("app-a"))
    shown_b, _ = feed.upsert(item("app-b"))
    assert (shown_a.seq, shown_b.seq) == (1, 1)  # each app has its own change log
    assert contents(path) == [("a1", 1)]
    assert feed.get("app-b", "a1") == replace(item("app-b"), seq=1)

    feed.upsert(item("app-a", revision=2, delivery="d2", body="<p>更正后</p>"))
    assert feed.get("app-a", "a1").body_html == "<p>更正后</p>"  # type: ignore[union-attr]
    assert feed.get("app-b", "a1").body_html == "<p>正文</p>"  # type: ignore[union-attr]
    assert contents(path) == [("a1", 1), ("a1", 2)]  # app-b still shows revision 1
    feed.upsert(item("app-b", revision=2, delivery="d2", body="<p>更正后</p>"))
    assert contents(path) == [("a1", 2)]

    feed.tombstone("app-a", "a1", "2026-11-23T09:00:00+08:00")
    assert contents(path) == [("a1", 2)]
    feed.tombstone("app-b", "a1", "2026-11-23T09:00:00+08:00")
    assert contents(path) == []  # a retracted text stays nowhere
    changes, more = feed.changes("app-a", 0, 10)
    assert [(c.seq, c.status, c.body_html, c.summary) for c in changes] == [
        (3, "retracted", "", "")
    ]
    assert not more and feed.head("app-a") == 3


def test_a_repeated_upsert_changes_nothing_and_keeps_the_first_push_key(tmp_path: Path) -> None:
    feed = AppFeed(tmp_path / "feed.sqlite3")
    first, kept = feed.upsert(item("app-a"), cid="cid-1")
    again, kept_again = feed.upsert(item("app-a"), cid="cid-2")
    assert (kept, kept_again) == ("cid-1", "cid-1")
    assert first == again and feed.head("app-a") == 1


def test_a_feed_of_the_older_release_keeps_its_change_log(tmp_path: Path) -> None:
    path = tmp_path / "feed.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(
            """CREATE TABLE items (
            app TEXT NOT NULL, article_id TEXT NOT NULL, seq INTEGER NOT NULL,
            revision INTEGER NOT NULL, delivery_id TEXT NOT NULL, column_id TEXT NOT NULL,
            title TEXT NOT NULL, summary TEXT NOT NULL, body_html TEXT NOT NULL,
            source TEXT NOT NULL, url TEXT NOT NULL, published_at TEXT NOT NULL,
            updated_at TEXT NOT NULL, status TEXT NOT NULL, PRIMARY KEY (app, article_id))"""
        )
        db.execute("CREATE TABLE pushes (delivery_id TEXT PRIMARY KEY, cid TEXT NOT NULL)")
        for app, seq, status in (("app-a", 4, "published"), ("app-b", 7, "retracted")):
            old = replace(item(app), seq=seq, status=status)
            db.execute("INSERT INTO items VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                       tuple(old.__dict__.values()))  # fmt: skip
        db.execute("INSERT INTO pushes VALUES ('d1-app-a', 'cid-old')")
    feed = AppFeed(path)
    assert feed.get("app-a", "a1") == replace(item("app-a"), seq=4)
    assert [(c.seq, c.status) for c in feed.changes("app-b", 0, 10)[0]] == [(7, "retracted")]
    assert feed.upsert(item("app-a"), cid="new")[1] == "cid-old"
    assert feed.upsert(item("app-b"))[0].seq == 8
    feed.close()
    assert AppFeed(path).head("app-b") == 8  # opening again migrates nothing twice
