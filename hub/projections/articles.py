"""The article list and the review queues, derived from the same fold the decider uses."""

from __future__ import annotations

import json
from collections import OrderedDict

from events.envelope import RecordedEvent
from events.store import EventStore, SubscriberTransaction
from workflows.article_decider import ARTICLES
from workflows.article_state import ArticleState, evolve, initial_state
from workflows.vocabulary import SIGNOFF_STAGE

_CREATE = (
    """CREATE TABLE IF NOT EXISTS article_list (
        article_id TEXT PRIMARY KEY,
        stream_version INTEGER NOT NULL,
        site TEXT NOT NULL,
        columns TEXT NOT NULL,
        title TEXT NOT NULL,
        status TEXT NOT NULL,
        waiting_for TEXT,
        revision INTEGER NOT NULL,
        content_hash TEXT NOT NULL,
        author TEXT NOT NULL,
        major INTEGER NOT NULL,
        sensitivity TEXT NOT NULL,
        approved_revision INTEGER,
        approved_hash TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS article_list_site ON article_list (site, status)",
    # The list's own order (newest change first): search pages by cursor (hub/queries/article_search.py).
    "CREATE INDEX IF NOT EXISTS article_list_updated ON article_list (updated_at, article_id)",
    "CREATE INDEX IF NOT EXISTS article_list_site_updated ON article_list (site, updated_at)",
    """CREATE TABLE IF NOT EXISTS review_queue (
        article_id TEXT PRIMARY KEY,
        site TEXT NOT NULL,
        waiting_for TEXT NOT NULL,
        stage_name TEXT NOT NULL,
        role TEXT NOT NULL,
        revision INTEGER NOT NULL,
        title TEXT NOT NULL,
        excluded TEXT NOT NULL,
        since TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS review_queue_site_role ON review_queue (site, role)",
)

_UPSERT_ARTICLE = """
INSERT INTO article_list (article_id, stream_version, site, columns, title, status, waiting_for,
    revision, content_hash, author, major, sensitivity, approved_revision, approved_hash,
    created_at, updated_at)
VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
ON CONFLICT (article_id) DO UPDATE SET stream_version = excluded.stream_version,
    site = excluded.site, columns = excluded.columns, title = excluded.title,
    status = excluded.status, waiting_for = excluded.waiting_for, revision = excluded.revision,
    content_hash = excluded.content_hash, major = excluded.major,
    sensitivity = excluded.sensitivity, approved_revision = excluded.approved_revision,
    approved_hash = excluded.approved_hash, updated_at = excluded.updated_at
"""

_UPSERT_QUEUE = """
INSERT INTO review_queue (article_id, site, waiting_for, stage_name, role, revision, title,
    excluded, since)
VALUES (?,?,?,?,?,?,?,?,?)
ON CONFLICT (article_id) DO UPDATE SET waiting_for = excluded.waiting_for,
    stage_name = excluded.stage_name, role = excluded.role, revision = excluded.revision,
    title = excluded.title, excluded = excluded.excluded, since = excluded.since
"""


class ArticlesProjection:
    """Keeps `article_list` and `review_queue` by folding each article's events."""

    name = "articles"
    stream_prefix = ARTICLES.prefix

    def __init__(self, store: EventStore, cache_size: int = 20_000) -> None:
        self._store = store
        self._states: OrderedDict[str, tuple[int, ArticleState]] = OrderedDict()
        self._cache_size = cache_size

    def create(self, tx: SubscriberTransaction) -> None:
        for statement in _CREATE:
            tx.execute(statement)

    def drop(self, tx: SubscriberTransaction) -> None:
        tx.execute("DROP TABLE IF EXISTS article_list")
        tx.execute("DROP TABLE IF EXISTS review_queue")
        self._states.clear()

    def _previous(self, event: RecordedEvent) -> ArticleState:
        cached = self._states.get(event.stream_id)
        if cached and cached[0] == event.stream_version - 1:
            return cached[1]
        state = initial_state
        for old in self._store.read_stream(event.stream_id, 1, event.stream_version - 1):
            state = evolve(state, old.payload)
        return state

    def apply(self, tx: SubscriberTransaction, event: RecordedEvent) -> None:
        if not ARTICLES.owns(event.stream_id):
            return
        state = evolve(self._previous(event), event.payload)
        self._states[event.stream_id] = (event.stream_version, state)
        self._states.move_to_end(event.stream_id)
        if len(self._states) > self._cache_size:
            self._states.popitem(last=False)
        self._write(tx, event, state)

    def _write(self, tx: SubscriberTransaction, event: RecordedEvent, state: ArticleState) -> None:
        assert state.content is not None and state.workflow is not None
        at = event.occurred_at.isoformat()
        meta = state.content.metadata
        tx.execute(
            _UPSERT_ARTICLE,
            (
                state.article_id,
                event.stream_version,
                state.site,
                json.dumps(state.columns),
                state.content.title,
                str(state.status),
                state.waiting_for,
                state.revision,
                state.content_hash,
                state.author,
                int(meta.major),
                str(meta.sensitivity),
                state.approved_revision,
                state.approved_hash,
                at,
                at,
            ),
        )
        waiting = state.waiting_for
        if waiting is None:
            tx.execute("DELETE FROM review_queue WHERE article_id = ?", (state.article_id,))
            return
        stage = state.workflow.stage(waiting)
        if waiting == SIGNOFF_STAGE or stage is None:
            stage_name, role = "领导签批", str(state.workflow.signoff.role)
        else:
            stage_name, role = stage.name, str(stage.role)
        tx.execute(
            _UPSERT_QUEUE,
            (
                state.article_id,
                state.site,
                waiting,
                stage_name,
                role,
                state.revision,
                state.content.title,
                json.dumps(sorted(state.excluded_reviewers())),
                at,
            ),
        )
