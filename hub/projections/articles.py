"""The article list and the review queues, derived from the same fold the decider uses."""

from __future__ import annotations

import json
from collections import OrderedDict

from events.envelope import RecordedEvent
from events.recorder import Column, Table
from events.store import EventStore, SubscriberTransaction
from workflows.article_decider import ARTICLES
from workflows.article_state import ArticleState, evolve, initial_state
from workflows.vocabulary import SIGNOFF_STAGE

ARTICLE_LIST = Table(
    "article_list",
    (
        Column("article_id", key=True),
        Column("stream_version", "int", required=True),
        Column("site", required=True),
        Column("columns", required=True),
        Column("title", required=True),
        Column("status", required=True),
        Column("waiting_for"),
        Column("revision", "int", required=True),
        Column("content_hash", required=True),
        Column("author", required=True),
        Column("major", "int", required=True),
        Column("sensitivity", required=True),
        Column("approved_revision", "int"),
        Column("approved_hash"),
        Column("created_at", required=True),
        Column("updated_at", required=True),
    ),
    # The list's own order (newest change first): search pages by cursor
    # (hub/queries/article_search.py).
    indexes=(("site", "status"), ("updated_at", "article_id"), ("site", "updated_at")),
)
REVIEW_QUEUE = Table(
    "review_queue",
    (
        Column("article_id", key=True),
        Column("site", required=True),
        Column("waiting_for", required=True),
        Column("stage_name", required=True),
        Column("role", required=True),
        Column("revision", "int", required=True),
        Column("title", required=True),
        Column("excluded", required=True),
        Column("since", required=True),
    ),
    indexes=(("site", "role"),),
)


class ArticlesProjection:
    """Keeps `article_list` and `review_queue` by folding each article's events."""

    name = "articles"
    stream_prefix = ARTICLES.prefix

    def __init__(self, store: EventStore, cache_size: int = 20_000) -> None:
        self._store = store
        self._states: OrderedDict[str, tuple[int, ArticleState]] = OrderedDict()
        self._cache_size = cache_size

    def create(self, tx: SubscriberTransaction) -> bool:
        return tx.create(ARTICLE_LIST, REVIEW_QUEUE)

    def drop(self, tx: SubscriberTransaction) -> None:
        tx.drop(ARTICLE_LIST, REVIEW_QUEUE)
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
        tx.upsert(
            ARTICLE_LIST,
            [
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
                )
            ],
            keep=("author", "created_at"),  # who wrote it and when stay as first recorded
        )
        waiting = state.waiting_for
        if waiting is None:
            tx.delete(REVIEW_QUEUE, {"article_id": state.article_id})
            return
        stage = state.workflow.stage(waiting)
        if waiting == SIGNOFF_STAGE or stage is None:
            stage_name, role = "领导签批", str(state.workflow.signoff.role)
        else:
            stage_name, role = stage.name, str(stage.role)
        tx.upsert(
            REVIEW_QUEUE,
            [
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
                )
            ],
            keep=("site",),
        )
