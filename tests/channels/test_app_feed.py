"""The app feed's own storage: one copy of an article's content however many apps show it,
gone when no app shows it; cursors and tombstones per app; a feed file of an older release
opens with its change log intact."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from channels.app.feed import AppFeed, FeedItem
from channels.local_db import Place


def item(app: str, revision: int = 1, delivery: str = "d1", body: str = "<p>正文</p>") -> FeedItem:
    return FeedItem(
        app=app, article_id="a1", seq=0, revision=revision, delivery_id=f"{delivery}-{app}",
        column_id="notices", title=f"通知（第{revision}版）", summary="摘要", body_html=body,
        source="省政府办公厅", url="app://article/a1", published_at="2026-11-23T08:00:00+08:00",
        updated_at="2026-11-23T08:00:00+08:00", status="published",
    )  # fmt: skip


def contents(feed: AppFeed) -> list[tuple[str, int]]:
    rows = feed._db.execute("SELECT article_id, revision FROM contents ORDER BY revision")
    return [(str(a), int(r)) for a, r in rows.fetchall()]


def test_one_copy_of_the_content_serves_every_app_until_none_shows_it(
    place: Callable[[str], Place],
) -> None:
    feed = AppFeed(place("feed"))
    shown_a, _ = feed.upsert(item("app-a"))
    shown_b, _ = feed.upsert(item("app-b"))
    assert (shown_a.seq, shown_b.seq) == (1, 1)  # each app has its own change log
    assert contents(feed) == [("a1", 1)]
    assert feed.get("app-b", "a1") == replace(item("app-b"), seq=1)

    feed.upsert(item("app-a", revision=2, delivery="d2", body="<p>更正后</p>"))
    assert feed.get("app-a", "a1").body_html == "<p>更正后</p>"  # type: ignore[union-attr]
    assert feed.get("app-b", "a1").body_html == "<p>正文</p>"  # type: ignore[union-attr]
    assert contents(feed) == [("a1", 1), ("a1", 2)]  # app-b still shows revision 1
    feed.upsert(item("app-b", revision=2, delivery="d2", body="<p>更正后</p>"))
    assert contents(feed) == [("a1", 2)]

    feed.tombstone("app-a", "a1", "2026-11-23T09:00:00+08:00")
    assert contents(feed) == [("a1", 2)]
    feed.tombstone("app-b", "a1", "2026-11-23T09:00:00+08:00")
    assert contents(feed) == []  # a retracted text stays nowhere
    changes, more = feed.changes("app-a", 0, 10)
    assert [(c.seq, c.status, c.body_html, c.summary) for c in changes] == [
        (3, "retracted", "", "")
    ]
    assert not more and feed.head("app-a") == 3


def test_a_repeated_upsert_changes_nothing_and_keeps_the_first_push_key(
    place: Callable[[str], Place],
) -> None:
    feed = AppFeed(place("feed"))
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


def test_writers_in_several_processes_number_each_apps_changes_without_gaps(
    place: Callable[[str], Place],
) -> None:
    """Delivery workers on several machines write one feed (distributed: one schema of the
    shared database): each app's change numbers stay gapless and in commit order, so an app
    syncing with `since=<cursor>` misses nothing."""
    import threading

    feeds = [AppFeed(place("feed")) for _ in range(3)]  # three processes' connections
    errors: list[BaseException] = []

    def write(feed: AppFeed, n: int) -> None:
        try:
            for k in range(15):
                article = f"a{n}-{k}"
                feed.upsert(replace(item("app-a", delivery=f"d{n}-{k}"), article_id=article))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(f, n)) for n, f in enumerate(feeds)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    changes, more = feeds[0].changes("app-a", 0, 100)
    assert [c.seq for c in changes] == list(range(1, 46)) and not more
    assert len({c.article_id for c in changes}) == 45
    for feed in feeds:
        feed.close()
