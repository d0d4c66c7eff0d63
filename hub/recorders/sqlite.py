"""Article search on SQLite: FTS5 with the trigram tokenizer (Chinese has no spaces between
words, and trigrams find any substring of three or more characters without a dictionary)."""

from __future__ import annotations

import json
from typing import Any

from events.store import SubscriberTransaction
from hub.recorders.search import SearchBackend

_CREATE = (
    "CREATE TABLE IF NOT EXISTS article_search_ids (id INTEGER PRIMARY KEY, article_id TEXT UNIQUE)",
    "CREATE VIRTUAL TABLE IF NOT EXISTS article_text USING fts5(title, body, tokenize='trigram')",
)


class SQLiteSearch(SearchBackend):
    mark = "?"

    def create(self, tx: SubscriberTransaction) -> None:
        for statement in _CREATE:
            tx.execute(statement)

    def drop(self, tx: SubscriberTransaction) -> None:
        tx.execute("DROP TABLE IF EXISTS article_text")
        tx.execute("DROP TABLE IF EXISTS article_search_ids")

    def index(
        self, tx: SubscriberTransaction, article_id: str, seq: int, title: str, body: str
    ) -> None:
        # The ids table numbers articles in the order they were created (`seq` is that order).
        tx.execute(
            "INSERT OR IGNORE INTO article_search_ids (article_id) VALUES (?)", (article_id,)
        )
        (row,) = tx.query("SELECT id FROM article_search_ids WHERE article_id = ?", (article_id,))
        tx.execute("DELETE FROM article_text WHERE rowid = ?", (row[0],))
        tx.execute(
            "INSERT INTO article_text (rowid, title, body) VALUES (?, ?, ?)", (row[0], title, body)
        )

    def in_values(self, expression: str, values: list[str]) -> tuple[str, list[Any]]:
        return f"{expression} IN (SELECT value FROM json_each(?))", [json.dumps(values)]

    def json_holds(self, column: str) -> str:
        return f"EXISTS (SELECT 1 FROM json_each({column}) WHERE value = ?)"

    def title_like(self) -> str:
        return "a.title LIKE ? ESCAPE '\\'"  # SQLite's LIKE ignores the case of Latin letters

    def full_text(self, text: str) -> tuple[str, str, str, list[Any]]:
        # The index drives: matches newest-created first, each row checked by the filters
        # until the page is full (a common word costs no more than a rare one).
        source = ("article_text t JOIN article_search_ids i ON i.id = t.rowid "
                  "JOIN article_list a ON a.article_id = i.article_id")  # fmt: skip
        return source, "t.rowid", "article_text MATCH ?", ['"' + text.replace('"', '""') + '"']
