"""Article search on PostgreSQL: a table of each article's title and plain text, matched by
ILIKE (any substring, Latin letters in any case: what FTS5's trigram index gives on SQLite),
with a trigram GIN index (`pg_trgm`) where the server has the extension, so a match does not
read every row. Without it (a server that lacks the contrib extension, e.g. some builds of
KingbaseES or openGauss) the same query scans the table: correct, slower on a large archive."""

from __future__ import annotations

from typing import Any

from events.log import get_logger
from events.store import SubscriberTransaction
from hub.recorders.search import SearchBackend, like_pattern

log = get_logger(__name__)

_CREATE = (
    "CREATE TABLE IF NOT EXISTS article_text (article_id TEXT PRIMARY KEY, "
    "seq BIGINT NOT NULL, title TEXT NOT NULL, body TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS article_text_seq ON article_text (seq)",
)
_TRIGRAMS = (
    "CREATE INDEX IF NOT EXISTS article_text_trgm ON article_text "
    "USING gin ((title || ' ' || body) gin_trgm_ops)"
)


class PostgreSQLSearch(SearchBackend):
    mark = "%s"

    def create(self, tx: SubscriberTransaction) -> None:
        for statement in _CREATE:
            tx.execute(statement)
        available = tx.query("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
        if not available:
            log.warning("search.no_trigram_index", reason="pg_trgm is not installed")
            return
        tx.execute("SAVEPOINT trigrams")
        try:
            tx.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            tx.execute(_TRIGRAMS)
        except Exception as exc:  # not allowed to create it: search scans instead
            tx.execute("ROLLBACK TO SAVEPOINT trigrams")
            log.warning("search.no_trigram_index", reason=str(exc).splitlines()[0])
        tx.execute("RELEASE SAVEPOINT trigrams")

    def drop(self, tx: SubscriberTransaction) -> None:
        tx.execute("DROP TABLE IF EXISTS article_text")

    def index(
        self, tx: SubscriberTransaction, article_id: str, seq: int, title: str, body: str
    ) -> None:
        tx.execute(
            "INSERT INTO article_text (article_id, seq, title, body) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT (article_id) DO UPDATE SET title = excluded.title, body = excluded.body",
            (article_id, seq, title, body),
        )

    def in_values(self, expression: str, values: list[str]) -> tuple[str, list[Any]]:
        return f"{expression} = ANY(%s)", [values]

    def json_holds(self, column: str) -> str:
        return (f"EXISTS (SELECT 1 FROM jsonb_array_elements_text(({column})::jsonb) AS c(value) "
                "WHERE c.value = %s)")  # fmt: skip

    def title_like(self) -> str:
        return "a.title ILIKE %s"  # backslash is PostgreSQL's default LIKE escape

    def full_text(self, text: str) -> tuple[str, str, str, list[Any]]:
        source = "article_text t JOIN article_list a ON a.article_id = t.article_id"
        return source, "t.seq", "(t.title || ' ' || t.body) ILIKE %s", [like_pattern(text)]
