"""A user's notifications (通知): what the console's header counts and its inbox lists."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from events.envelope import Actor, NewEvent, new_id
from events.recorder import AtLeast
from events.store import EventStore
from hub.projections.notifications import INBOX, INBOX_READS, NOTIFICATIONS
from workflows.inbox_events import NotificationsRead


class Inbox:
    def __init__(self, store: EventStore, caught_up: Callable[[], object]) -> None:
        self.store, self._caught_up = store, caught_up

    def _read_up_to(self, user: str) -> str:
        rows = self.store.rows(INBOX_READS, {"user_id": user}, ("up_to",))
        return str(rows[0][0]) if rows else ""

    def unread(self, user: str) -> int:
        up_to = self._read_up_to(user)
        if not up_to:
            rows = self.store.tally(NOTIFICATIONS, {"user_id": user})
            return int(rows[0][0]) if rows else 0
        since = self.store.rows(NOTIFICATIONS, {"user_id": user, "at": AtLeast(up_to)}, ("at",))
        mark = datetime.fromisoformat(up_to)
        return sum(1 for (at,) in since if datetime.fromisoformat(str(at)) > mark)

    def latest(self, user: str, limit: int = 100) -> list[dict[str, Any]]:
        """The newest notifications first, each with whether it was read."""
        up_to = self._read_up_to(user)
        rows = self.store.rows(NOTIFICATIONS, {"user_id": user}, order_by=("at",))
        found = [dict(zip(NOTIFICATIONS.names, r, strict=True)) for r in rows]
        for item in found:
            item["read"] = int(bool(up_to) and datetime.fromisoformat(str(item["at"]))
                               <= datetime.fromisoformat(up_to))  # fmt: skip
        return list(reversed(found))[:limit]

    def mark_read(self, user: str, now: datetime) -> None:
        """Everything up to now is read (one event on the user's inbox stream)."""
        stream = INBOX(user)
        event = NewEvent(NotificationsRead(up_to=now), Actor(user, "user"), new_id())
        self.store.append(stream, [event], self.store.stream_version(stream))
        self._caught_up()
