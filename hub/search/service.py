"""Search as the hub offers it: an engine kept up to date with the log (sync after each
round of the engine loop, or before a command's search), rebuilt on demand, and asked with
the query's terms, its answer highlighted."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from events.log import get_logger
from events.store import EventStore
from hub.projections.delivery_sources import DeliverySourcesProjection
from hub.projections.publications import PUBLICATIONS, PublicationsProjection
from hub.search.analysis import add_words
from hub.search.documents import SearchDoc, documents_of
from hub.search.engine import EngineBusy, SearchEngine
from hub.search.query import Hit, SearchPage, SearchQuery, highlight, terms_of
from hub.search.settings import SearchSettings
from hub.setup.directory import Directory
from workflows.article_decider import ARTICLES
from workflows.article_events import ArticlePublished, ArticleRetracted, TargetsWithdrawn

SNIPPET = 120
FOLLOW_EVERY_S = 1.0
log = get_logger(__name__)
# The read models a document is made from: the index never runs ahead of them.
_SOURCES = (PublicationsProjection.name, DeliverySourcesProjection.name)
_CHANGES_WHAT_IS_LIVE = (ArticlePublished, ArticleRetracted, TargetsWithdrawn)


class SearchService:
    def __init__(
        self, store: EventStore, directory: Directory, settings: SearchSettings,
        engine: SearchEngine,
    ) -> None:  # fmt: skip
        self.store, self.directory, self.settings, self.engine = store, directory, settings, engine
        self._writing = threading.Lock()  # one sync or rebuild of this process at a time
        self._followed = 0.0  # when a search last caught the index up (monotonic seconds)
        add_words(settings.dictionary())

    def _documents(self, article_ids: list[str]) -> dict[str, list[SearchDoc]]:
        return {a: documents_of(self.store, self.directory, self.settings, a) for a in article_ids}

    def _ready(self) -> int:
        """How far the read models the documents come from have folded the log."""
        return min(self.store.checkpoint(name) for name in _SOURCES)

    def sync(self, batch_size: int = 1000) -> int:
        """Bring the index up to the read models; return how many articles were re-indexed
        (none when another process is writing the index: it brings it up to date)."""
        with self._writing:
            try:
                return self._sync(batch_size)
            except EngineBusy:
                return 0

    def _follow(self) -> None:
        """Before a search: catch up at most once a second, and never wait for a sync under
        way (a web node of the distributed runtime runs no engine loop: its searches keep
        its index following the shared log)."""
        now = time.monotonic()
        if now - self._followed < FOLLOW_EVERY_S or not self._writing.acquire(blocking=False):
            return
        try:
            self._followed = now
            self._sync(1000)
        except EngineBusy:
            pass
        except Exception:
            log.exception("search.follow_failed")
        finally:
            self._writing.release()

    def _sync(self, batch_size: int) -> int:
        changed = 0
        while True:
            position, ready = self.engine.position(), self._ready()
            if ready <= position:
                return changed
            events, covered = self.store.read_prefix(ARTICLES.prefix, position, batch_size)
            covered = min(covered, ready)
            dirty = sorted({ARTICLES.entity(e.stream_id) for e in events
                            if e.global_position <= covered
                            and isinstance(e.payload, _CHANGES_WHAT_IS_LIVE)})  # fmt: skip
            if covered <= position:
                return changed
            self.engine.replace(self._documents(dirty), covered)
            changed += len(dirty)

    def live_articles(self) -> list[str]:
        """Every article live somewhere (what a rebuild indexes)."""
        rows = self.store.rows(PUBLICATIONS, {}, ("article_id", "live_id"))
        return sorted(str(row[0]) for row in rows if row[1] is not None)

    def rebuild(self, progress: Callable[[int], None] = lambda _: None, chunk: int = 500) -> int:
        """Drop the index and index every live article again; return how many."""
        with self._writing:
            return self._rebuild(progress, chunk)

    def _rebuild(self, progress: Callable[[int], None], chunk: int) -> int:
        ready = self._ready()
        self.engine.clear()
        live = self.live_articles()
        for start in range(0, len(live), chunk):
            part = live[start : start + chunk]
            self.engine.replace(self._documents(part), 0)
            progress(len(part))
        self.engine.replace({}, ready)
        self._sync(1000)
        return len(live)

    def search(self, query: SearchQuery) -> SearchPage:
        self._follow()
        terms = terms_of(query.q, self.settings)
        if query.q.strip() and not terms:  # only punctuation or stop words: nothing matches
            return SearchPage(query, 0, [], {})
        found = self.engine.search(query, terms)
        hits = [Hit(doc, score, highlight(doc.title, terms), highlight(doc.text, terms, SNIPPET))
                for doc, score in found.docs]  # fmt: skip
        return SearchPage(query, found.total, hits, found.facets, found.partial)
