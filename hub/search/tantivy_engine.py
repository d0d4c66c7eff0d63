"""The embedded search engine: a tantivy index in a folder beside the hub's database.

Each text is indexed twice (hub/search/analysis.py): as bigrams (`*_bi`, a phrase of them is
an exact substring) and as jieba words (`*_w`, ranking). Facets are tantivy's term
aggregations over raw fast fields. The log position the index reflects is kept in
`position.json`, written after each commit: a crash between the two re-applies a batch,
which replaces the same articles' documents with the same documents."""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import tantivy

from hub.search.analysis import query_phrase, runs, word_terms
from hub.search.documents import SearchDoc, indexed_fields
from hub.search.engine import EngineBusy, Found
from hub.search.query import (
    BODY_BOOST,
    FACET_SIZE,
    FACETS,
    INTENT_BOOST,
    NUMBER_BOOST,
    SYNONYM_BOOST,
    TITLE_BOOST,
    WORDS_BODY_BOOST,
    WORDS_TITLE_BOOST,
    SearchQuery,
    Term,
    filters_of,
)

SCHEMA_VERSION = 4
_WRITER_HEAP = 64_000_000
# How much a match counts by where it is: the title most, a 文号 exactly more still.


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    for raw in ("id", "article", "number"):
        builder.add_text_field(raw, tokenizer_name="raw", index_option="basic")
    for facet in FACETS:
        builder.add_text_field(facet, tokenizer_name="raw", fast=True, index_option="basic")
    for text in ("title_bi", "body_bi"):
        builder.add_text_field(text, tokenizer_name="whitespace")
    for words in ("title_w", "body_w"):
        builder.add_text_field(words, tokenizer_name="whitespace", index_option="freq")
    builder.add_integer_field("published", fast=True)
    builder.add_float_field("authority", fast=True)
    builder.add_bytes_field("data", stored=True)
    return builder.build()


def _document(doc: SearchDoc) -> tantivy.Document:
    data = json.dumps(doc.as_json(), ensure_ascii=False).encode("utf-8")
    return tantivy.Document(**indexed_fields(doc), data=data)


class TantivyEngine:
    name = "tantivy"

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.schema = _schema()
        self._lock = threading.Lock()  # one writer of this process at a time
        self._position_file = folder / "position.json"
        folder.mkdir(parents=True, exist_ok=True)
        state = self._stored_state()
        if state.get("schema") != SCHEMA_VERSION:
            if state or any(folder.iterdir()):  # an index of another schema: made anew
                shutil.rmtree(folder, ignore_errors=True)
                folder.mkdir(parents=True, exist_ok=True)
            self._write_position(0)
        self.index = tantivy.Index(self.schema, path=str(folder), reuse=True)

    # -- position ----------------------------------------------------------------------

    def _stored_state(self) -> dict[str, Any]:
        try:
            data = json.loads(self._position_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _write_position(self, position: int) -> None:
        temporary = self._position_file.with_suffix(".tmp")
        temporary.write_text(json.dumps({"schema": SCHEMA_VERSION, "position": position}),
                             encoding="utf-8")  # fmt: skip
        os.replace(temporary, self._position_file)

    def position(self) -> int:
        return int(self._stored_state().get("position", 0))

    # -- writing -----------------------------------------------------------------------

    def replace(self, articles: Mapping[str, Sequence[SearchDoc]], position: int) -> None:
        with self._lock:
            writer = self._writer()
            try:
                for article_id, docs in articles.items():
                    writer.delete_documents_by_term("article", article_id)
                    for doc in docs:
                        writer.add_document(_document(doc))
                writer.commit()
            except BaseException:
                writer.rollback()
                raise
            finally:
                writer.wait_merging_threads()
            self._write_position(position)
            self.index.reload()

    def _writer(self) -> tantivy.IndexWriter:
        try:
            return self.index.writer(_WRITER_HEAP, 1)
        except ValueError as exc:
            if "LockBusy" in str(exc):  # another process (a web node on this machine) writes
                raise EngineBusy(str(exc)) from None
            raise

    def clear(self) -> None:
        with self._lock:
            writer = self._writer()
            writer.delete_all_documents()
            writer.commit()
            writer.wait_merging_threads()
            self._write_position(0)
            self.index.reload()

    def count(self) -> int:
        self.index.reload()
        return int(self.index.searcher().num_docs)

    def close(self) -> None:
        return None

    # -- searching ---------------------------------------------------------------------

    def _text_clause(self, spelling: str) -> tantivy.Query | None:
        """One spelling of a term: in the title or the body as a substring (bigram phrase),
        ranked higher where its words are words of the text."""
        phrase = query_phrase(spelling)
        if not phrase:
            return None
        places = []
        for field, boost in (("title_bi", TITLE_BOOST), ("body_bi", BODY_BOOST)):
            if len(phrase) == 1 and len(phrase[0]) == 1 and not phrase[0].isascii():
                found = tantivy.Query.regex_query(self.schema, field, f"{phrase[0]}.|.{phrase[0]}")
            elif len(phrase) == 1:
                found = tantivy.Query.term_query(self.schema, field, phrase[0])
            else:
                found = tantivy.Query.phrase_query(
                    self.schema, field, list[str | tuple[int, str]](phrase)
                )
            places.append(tantivy.Query.boost_query(found, boost))
        # The spelling must be there as written; its words, where they are words, only rank.
        clauses = [
            (
                tantivy.Occur.Must,
                tantivy.Query.boolean_query([(tantivy.Occur.Should, p) for p in places]),
            )
        ]
        for word in word_terms(spelling):
            for field, boost in (("title_w", WORDS_TITLE_BOOST), ("body_w", WORDS_BODY_BOOST)):
                term = tantivy.Query.term_query(self.schema, field, word)
                clauses.append((tantivy.Occur.Should, tantivy.Query.boost_query(term, boost)))
        return tantivy.Query.boolean_query(clauses)

    def _term_clause(self, term: Term) -> tantivy.Query | None:
        clauses = []
        if term.doc_number:
            number = tantivy.Query.term_query(self.schema, "number", term.doc_number)
            clauses.append(tantivy.Query.boost_query(number, NUMBER_BOOST))
        for rank, spelling in enumerate(term.spellings):
            clause = self._text_clause(spelling)
            if clause is not None:  # a synonym counts a little less than the word typed
                clauses.append(
                    tantivy.Query.boost_query(clause, 1.0 if rank == 0 else SYNONYM_BOOST)
                )
        if not clauses:
            return None
        return tantivy.Query.boolean_query([(tantivy.Occur.Should, c) for c in clauses])

    def _filters(self, query: SearchQuery) -> list[tantivy.Query]:
        return [tantivy.Query.term_query(self.schema, name, value)
                for name, value in filters_of(query).items()]  # fmt: skip

    def _query(self, query: SearchQuery, terms: list[Term], occur: tantivy.Occur) -> tantivy.Query:
        required = [t for t in terms if not t.prefer]
        clauses = [c for c in (self._term_clause(t) for t in required) if c is not None]
        parts: list[tuple[tantivy.Occur, tantivy.Query]] = []
        if clauses:
            text = tantivy.Query.boolean_query([(occur, c) for c in clauses])
            parts.append((tantivy.Occur.Must, text))
        elif required:  # only punctuation was asked for: nothing matches
            return tantivy.Query.empty_query()
        for vertical in sorted({t.prefer for t in terms if t.prefer}):
            wanted = tantivy.Query.term_query(self.schema, "vertical", vertical)
            parts.append((tantivy.Occur.Should, tantivy.Query.boost_query(wanted, INTENT_BOOST)))
        parts += [(tantivy.Occur.Must, f) for f in self._filters(query)]
        if not parts:
            return tantivy.Query.all_query()
        return tantivy.Query.boolean_query(parts)

    @staticmethod
    def _count(searcher: tantivy.Searcher, query: tantivy.Query) -> int:
        counted: Any = searcher.search(query, limit=1, count=True)
        return int(counted.count)

    def search(self, query: SearchQuery, terms: list[Term]) -> Found:
        searcher = self.index.searcher()
        partial = False
        found = self._query(query, terms, tantivy.Occur.Must)
        total = self._count(searcher, found)
        if total == 0 and len([t for t in terms if not t.prefer]) > 1:
            found, partial = self._query(query, terms, tantivy.Occur.Should), True
            total = self._count(searcher, found)
        offset = (query.page - 1) * query.size
        by_date = query.sort == "date" or not any(runs(t.text) for t in terms)
        if by_date:
            result = searcher.search(found, limit=query.size, offset=offset,
                                     order_by_field="published")  # fmt: skip
        else:
            result = searcher.search(found, limit=query.size, offset=offset,
                                     weight_by_field="authority")  # fmt: skip
        docs = []
        for score, address in result.hits:
            data = searcher.doc(address)["data"][0]
            docs.append((SearchDoc.from_json(json.loads(bytes(data))), float(score)))
        facets: dict[str, list[tuple[str, int]]] = {}
        if total:
            aggregations = {name: {"terms": {"field": name, "size": FACET_SIZE}}
                            for name in FACETS}  # fmt: skip
            answer = searcher.aggregate(found, aggregations)
            for name in FACETS:
                buckets = answer.get(name, {}).get("buckets", [])
                facets[name] = [(str(b["key"]), int(b["doc_count"])) for b in buckets
                                if str(b["key"]) != "-"]  # fmt: skip
        return Found(total, docs, facets, partial)
