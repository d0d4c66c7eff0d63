"""What flowed between sites (资源库流转): every offer (推送) and upward submission (信息报送)
with its state and lineage, and every reference (引用) of a live article by another site. The
lists of the library, the sender's "was it adopted?" and the repost-speed figures read it."""

from __future__ import annotations

import json

from events.decider import derived_id
from events.envelope import RecordedEvent
from events.recorder import Column, Table
from events.store import SubscriberTransaction
from workflows.article_decider import ARTICLES
from workflows.article_events import ArticleRetracted, ArticleReused, TargetsWithdrawn
from workflows.reuse_decider import REUSES
from workflows.reuse_events import ReuseAccepted, ReuseDeclined, ReuseOffered, SourceChanged

REUSES_TABLE = Table(
    "reuses",
    (
        Column("reuse_id", key=True), Column("kind", required=True),
        Column("source_article", required=True), Column("source_site", required=True),
        Column("to_site", required=True), Column("status", required=True), Column("title"),
        Column("note"), Column("offered_by"), Column("offered_at"), Column("decided_by"),
        Column("decided_at"), Column("reason"), Column("copy_article"), Column("columns"),
        Column("revision", "int"), Column("change"), Column("changed_at"),
        Column("followed", "int"),
    ),
    indexes=(("to_site", "status"), ("source_article",), ("source_site", "kind"),
             ("copy_article",)),
)  # fmt: skip
_FIELDS = tuple(c.name for c in REUSES_TABLE.columns)


def reference_id(article_id: str, site_code: str) -> str:
    return derived_id("reference", article_id, site_code)


class ReusesProjection:
    """Offers and submissions, from the reuse streams."""

    name = "reuses"
    stream_prefix = REUSES.prefix

    def create(self, tx: SubscriberTransaction) -> bool:
        return tx.create(REUSES_TABLE)

    def drop(self, tx: SubscriberTransaction) -> None:
        tx.delete(REUSES_TABLE, {"kind": ["offer", "submission"]})  # references: their own

    def apply(self, tx: SubscriberTransaction, event: RecordedEvent) -> None:
        if not REUSES.owns(event.stream_id):
            return
        reuse_id = REUSES.entity(event.stream_id)
        at = event.occurred_at.isoformat()
        match event.payload:
            case ReuseOffered() as offered:
                row = dict.fromkeys(_FIELDS)
                row.update(reuse_id=reuse_id, kind=offered.kind,
                           source_article=offered.source_article, source_site=offered.source_site,
                           to_site=offered.to_site, status="offered", title=offered.title,
                           note=offered.note, offered_by=offered.offered_by, offered_at=at,
                           revision=offered.revision)  # fmt: skip
                tx.upsert(REUSES_TABLE, [tuple(row[f] for f in _FIELDS)])
            case ReuseAccepted() as accepted:
                tx.update(REUSES_TABLE, {"reuse_id": reuse_id},
                          {"status": "accepted", "decided_by": accepted.accepted_by,
                           "decided_at": at, "copy_article": accepted.copy_article,
                           "columns": json.dumps(list(accepted.columns))})  # fmt: skip
            case ReuseDeclined() as declined:
                tx.update(REUSES_TABLE, {"reuse_id": reuse_id},
                          {"status": "declined", "decided_by": declined.declined_by,
                           "decided_at": at, "reason": declined.reason})  # fmt: skip
            case SourceChanged() as changed:
                tx.update(REUSES_TABLE, {"reuse_id": reuse_id},
                          {"change": changed.change, "changed_at": at,
                           "followed": int(changed.followed)})  # fmt: skip


class ReferencesProjection:
    """References (引用): a live article placed on another site's columns by that site."""

    name = "references"
    stream_prefix = ARTICLES.prefix

    def create(self, tx: SubscriberTransaction) -> bool:
        return tx.create(REUSES_TABLE)

    def drop(self, tx: SubscriberTransaction) -> None:
        tx.delete(REUSES_TABLE, {"kind": "reference"})

    def apply(self, tx: SubscriberTransaction, event: RecordedEvent) -> None:
        if not ARTICLES.owns(event.stream_id):
            return
        if isinstance(event.payload, TargetsWithdrawn | ArticleRetracted):
            self._gone(tx, ARTICLES.entity(event.stream_id), event)
        if not isinstance(event.payload, ArticleReused):
            return
        reused, article_id = event.payload, ARTICLES.entity(event.stream_id)
        reuse_id = reference_id(article_id, reused.site)
        earlier = tx.rows(REUSES_TABLE, {"reuse_id": reuse_id, "status": "accepted"},
                          ("columns", "offered_at"))  # fmt: skip
        columns = json.loads(str(earlier[0][0])) if earlier and earlier[0][0] else []
        columns += [t.key for t in reused.targets if t.key not in columns]
        row = dict.fromkeys(_FIELDS)
        row.update(reuse_id=reuse_id, kind="reference", source_article=article_id,
                   source_site=reused.source_site, to_site=reused.site, status="accepted",
                   offered_by=reused.reused_by, decided_by=reused.reused_by,
                   offered_at=str(earlier[0][1]) if earlier else event.occurred_at.isoformat(),
                   decided_at=event.occurred_at.isoformat(), columns=json.dumps(columns),
                   revision=reused.revision, note=reused.reuse_id)  # fmt: skip
        tx.upsert(REUSES_TABLE, [tuple(row[f] for f in _FIELDS)])

    def _gone(self, tx: SubscriberTransaction, article_id: str, event: RecordedEvent) -> None:
        """A reference whose columns no longer show it (the receiving site took it off, or the
        source was retracted) is withdrawn; reusing it again places it anew."""
        gone = event.payload
        assert isinstance(gone, TargetsWithdrawn | ArticleRetracted)
        sites = {t.account for t in gone.targets}
        at = event.occurred_at.isoformat()
        for site in sites:
            tx.update(REUSES_TABLE, {"reuse_id": reference_id(article_id, site),
                                     "status": "accepted"},
                      {"status": "withdrawn", "change": "retracted" if isinstance(
                          gone, ArticleRetracted) else "withdrawn", "changed_at": at})  # fmt: skip
