"""What is live or scheduled where: one row per article with a live or scheduled publication.
The durable timers (scheduled release, expiry) are queries over this table."""

from __future__ import annotations

import json

from events.envelope import RecordedEvent
from events.recorder import AtMost, Column, NotNull, Table
from events.store import EventStore, SubscriberTransaction
from hub.runtime.clock import utc_iso
from workflows.article_decider import ARTICLES
from workflows.article_events import (
    ArticlePublished,
    ArticleRetracted,
    PublicationCancelled,
    PublicationRescheduled,
    PublicationScheduled,
    TargetsWithdrawn,
)
from workflows.publication import Target

PUBLICATIONS = Table(
    "publications",
    (
        Column("article_id", key=True),
        Column("live_id"),
        Column("live_revision", "int"),
        Column("live_targets"),
        Column("published_at"),
        Column("expire_at"),
        Column("scheduled_id"),
        Column("scheduled_revision", "int"),
        Column("scheduled_targets"),
        Column("publish_at"),
        Column("scheduled_expire_at"),
        Column("updated_at", required=True),
    ),
    indexes=(("publish_at",), ("expire_at",)),
)
# Each live target of each article, so "what is live on site X" is an index range.
LIVE_TARGETS = Table(
    "live_targets",
    (
        Column("target", key=True),
        Column("article_id", key=True),
        # When the article first went live there (a correction does not make a column fresh:
        # its page keeps the first 发布时间); what supervision counts a column's updates by.
        Column("published_at"),
    ),
    indexes=(("article_id",), ("target", "published_at")),
)
_NO_SCHEDULE = {
    "scheduled_id": None,
    "scheduled_revision": None,
    "scheduled_targets": None,
    "publish_at": None,
    "scheduled_expire_at": None,
}


def _keys(targets: tuple[Target, ...]) -> str:
    return json.dumps([t.key for t in targets])


class PublicationsProjection:
    """Keeps `publications` from the publication events of every article."""

    name = "publications-v2"  # v2: live_targets (a new name replays every event once)
    stream_prefix = ARTICLES.prefix

    def create(self, tx: SubscriberTransaction) -> bool:
        return tx.create(PUBLICATIONS, LIVE_TARGETS)

    def drop(self, tx: SubscriberTransaction) -> None:
        tx.drop(PUBLICATIONS, LIVE_TARGETS)

    def apply(self, tx: SubscriberTransaction, event: RecordedEvent) -> None:
        if not ARTICLES.owns(event.stream_id):
            return
        article_id = ARTICLES.entity(event.stream_id)
        at = event.occurred_at.isoformat()
        payload = event.payload
        if isinstance(payload, PublicationScheduled | ArticlePublished):
            keep = [n for n in PUBLICATIONS.names if n not in ("article_id", "updated_at")]
            tx.upsert(PUBLICATIONS, [PUBLICATIONS.row(article_id=article_id, updated_at=at)],
                      keep=keep)  # fmt: skip
        match payload:
            case PublicationScheduled(publication=p):
                tx.update(PUBLICATIONS, {"article_id": article_id}, {
                    "scheduled_id": p.publication_id,
                    "scheduled_revision": p.revision,
                    "scheduled_targets": _keys(p.targets),
                    "publish_at": utc_iso(p.publish_at),
                    "scheduled_expire_at": utc_iso(p.expire_at),
                })  # fmt: skip
            case ArticlePublished(publication=p):
                went_out = payload.original_published_at or event.occurred_at
                first = dict(tx.rows(LIVE_TARGETS, {"article_id": article_id},
                                     ("target", "published_at")))  # fmt: skip
                tx.delete(LIVE_TARGETS, {"article_id": article_id})
                tx.insert_new(LIVE_TARGETS, [(t.key, article_id, first.get(t.key)
                                              or went_out.isoformat()) for t in p.targets])  # fmt: skip
                tx.update(PUBLICATIONS, {"article_id": article_id}, {
                    "live_id": p.publication_id,
                    "live_revision": p.revision,
                    "live_targets": _keys(p.targets),
                    "published_at": utc_iso(went_out),
                    "expire_at": utc_iso(p.expire_at),
                    **_NO_SCHEDULE,
                })  # fmt: skip
            case PublicationRescheduled():
                expire = utc_iso(payload.expire_at)
                tx.update(
                    PUBLICATIONS,
                    {"article_id": article_id, "scheduled_id": payload.publication_id},
                    {"publish_at": utc_iso(payload.publish_at), "scheduled_expire_at": expire,
                     "updated_at": at},
                )  # fmt: skip
                tx.update(
                    PUBLICATIONS,
                    {"article_id": article_id, "live_id": payload.publication_id},
                    {"expire_at": expire, "updated_at": at},
                )
            case PublicationCancelled():
                tx.update(PUBLICATIONS, {"article_id": article_id},
                          {**_NO_SCHEDULE, "updated_at": at})  # fmt: skip
            case TargetsWithdrawn():
                rows = tx.rows(
                    PUBLICATIONS,
                    {"article_id": article_id, "live_id": payload.publication_id},
                    ("live_targets",),
                )
                gone = {t.key for t in payload.targets}
                tx.delete(LIVE_TARGETS, {"article_id": article_id, "target": sorted(gone)})
                left = [k for k in json.loads(rows[0][0] or "[]") if k not in gone] if rows else []
                if left:
                    tx.update(PUBLICATIONS, {"article_id": article_id},
                              {"live_targets": json.dumps(left), "updated_at": at})  # fmt: skip
                else:
                    _clear_live(tx, article_id, at)
            case ArticleRetracted():
                _clear_live(tx, article_id, at)


def _clear_live(tx: SubscriberTransaction, article_id: str, at: str) -> None:
    tx.delete(LIVE_TARGETS, {"article_id": article_id})
    tx.update(PUBLICATIONS, {"article_id": article_id}, {
        "live_id": None, "live_revision": None, "live_targets": None, "published_at": None,
        "expire_at": None, "updated_at": at,
    })  # fmt: skip


def due_releases(store: EventStore, now_iso: str) -> list[str]:
    """Articles whose scheduled publication time has come."""
    rows = store.rows(PUBLICATIONS, {"publish_at": AtMost(now_iso)}, ("article_id",),
                      order_by=("publish_at",))  # fmt: skip
    return [str(r[0]) for r in rows]


def due_expiries(store: EventStore, now_iso: str) -> list[str]:
    """Articles whose live publication has reached its expiry time."""
    rows = store.rows(PUBLICATIONS, {"expire_at": AtMost(now_iso), "live_id": NotNull},
                      ("article_id",), order_by=("expire_at",))  # fmt: skip
    return [str(r[0]) for r in rows]


def next_timer(store: EventStore) -> str | None:
    """The earliest pending release or expiry time, if any."""
    release = store.rows(PUBLICATIONS, {"publish_at": NotNull}, ("publish_at",),
                         order_by=("publish_at",), limit=1)  # fmt: skip
    expiry = store.rows(PUBLICATIONS, {"expire_at": NotNull, "live_id": NotNull},
                        ("expire_at",), order_by=("expire_at",), limit=1)  # fmt: skip
    times = [str(r[0][0]) for r in (release, expiry) if r]
    return min(times) if times else None
