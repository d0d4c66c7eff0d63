"""The screens' playlists on each kind of store (an SQLite file; a schema of the shared
database in the distributed runtime): numbered changes, one delivery shown once, retraction,
heartbeats; two processes' connections see one playlist."""

from __future__ import annotations

from collections.abc import Callable

from channels.local_db import Place
from channels.screen.playlist import Playlists


def item(article: str, valid_until: str = "") -> dict[str, object]:
    return {"id": article, "title": "今冬明春安全生产", "priority": 1,
            "published_at": "2026-12-04T08:00:00+08:00", "display": {"valid_until": valid_until}}  # fmt: skip


def test_a_playlist_is_a_change_log_any_process_reads(place: Callable[[str], Place]) -> None:
    worker, web = Playlists(place("screens")), Playlists(place("screens"))
    try:
        assert worker.upsert("hall", "d1", item("a1")) == 1
        assert worker.upsert("hall", "d1", item("a1")) == 1  # the same delivery again: nothing
        assert worker.upsert("hall", "d2", item("a2", "2026-12-01T00:00:00+08:00")) == 2
        assert web.head("hall") == 2 and web.delivery_on_air("hall", "a1") == ("d1", 1)
        version, live = web.playlist("hall", "2026-12-04T09:00:00+08:00")
        assert version == 2 and [i["id"] for i in live] == ["a1"]  # a2 is out of date
        worker.retract("hall", "a1")
        worker.retract("hall", "a1")  # gone already: no second change
        assert [(c.version, c.kind) for c in web.changes_after("hall", 1)] == [
            (2, "upsert"), (3, "retract")]  # fmt: skip
        web.heartbeat("hall", 3, "", "2026-12-04T09:00:01+08:00")
        web.heartbeat("hall", 3, "a2", "2026-12-04T09:00:02+08:00")
        assert worker.last_heartbeat("hall") == {
            "version_seen": 3, "item_on_air": "a2", "at": "2026-12-04T09:00:02+08:00"}  # fmt: skip
        assert worker.head("lobby") == 0
    finally:
        worker.close()
        web.close()
