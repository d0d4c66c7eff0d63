"""The scale-out search engine: an OpenSearch index a province runs for every hub process
(the distributed runtime's web nodes share it). The hub sends the same terms it gives its
embedded engine (hub/search/analysis.py: bigrams and jieba words, split by whitespace, so the
core `whitespace` analyzer is all the node needs) and asks the same query — phrases of
bigrams, words for ranking, synonyms, 文号, intents, the verticals' authority — so both
engines answer alike (a test compares them on the labelled set). The log position the index
reflects is a document of a small index beside it."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import requests

from hub.search.analysis import query_phrase, runs, word_terms
from hub.search.documents import SearchDoc, indexed_fields
from hub.search.engine import Found
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

TIMEOUT_S = 30
_TEXT = {"type": "text", "analyzer": "whitespace", "norms": True}
MAPPING = {
    "settings": {"number_of_shards": 1, "number_of_replicas": 0},
    "mappings": {
        "dynamic": "strict",
        "properties": {
            **{name: {"type": "keyword"} for name in ("id", "article", "number", *FACETS)},
            "title_bi": _TEXT, "body_bi": _TEXT,
            "title_w": {**_TEXT, "index_options": "freqs"},
            "body_w": {**_TEXT, "index_options": "freqs"},
            "published": {"type": "long"}, "authority": {"type": "float"},
            "data": {"type": "object", "enabled": False},
        },
    },
}  # fmt: skip


def _source(doc: SearchDoc) -> dict[str, Any]:
    return {**indexed_fields(doc), "data": doc.as_json()}


class OpenSearchEngine:
    name = "opensearch"

    def __init__(self, url: str, index: str = "hub-search") -> None:
        self.url, self.index = url.rstrip("/"), index
        self.session = requests.Session()
        self._ensure()

    # -- HTTP ---------------------------------------------------------------------------

    def _call(self, method: str, path: str, body: Any = None, *, ok: tuple[int, ...] = (200,),
              ndjson: str | None = None) -> dict[str, Any]:  # fmt: skip
        headers = {"Content-Type": "application/x-ndjson" if ndjson else "application/json"}
        data = ndjson if ndjson is not None else (json.dumps(body) if body is not None else None)
        answer = self.session.request(method, f"{self.url}{path}", data=data, headers=headers,
                                      timeout=TIMEOUT_S)  # fmt: skip
        if answer.status_code not in ok:
            raise RuntimeError(
                f"OpenSearch {method} {path}: {answer.status_code} {answer.text[:500]}"
            )
        return dict(answer.json()) if answer.content else {}

    def _ensure(self) -> None:
        for index, body in ((self.index, MAPPING), (f"{self.index}-state", None)):
            if self.session.head(f"{self.url}/{index}", timeout=TIMEOUT_S).status_code == 404:
                self._call(
                    "PUT",
                    f"/{index}",
                    body or {"settings": {"number_of_shards": 1, "number_of_replicas": 0}},
                    ok=(200, 400),
                )  # fmt: skip  (400: made meanwhile by another node)

    # -- position -------------------------------------------------------------------------

    def position(self) -> int:
        found = self._call("GET", f"/{self.index}-state/_doc/position", ok=(200, 404))
        return int(found.get("_source", {}).get("position", 0))

    def _set_position(self, position: int) -> None:
        self._call("PUT", f"/{self.index}-state/_doc/position?refresh=true",
                   {"position": position}, ok=(200, 201))  # fmt: skip

    # -- writing --------------------------------------------------------------------------

    def replace(self, articles: Mapping[str, Sequence[SearchDoc]], position: int) -> None:
        if articles:
            lines = []
            keep = {doc.id for docs in articles.values() for doc in docs}
            # The articles' documents no longer wanted (a site it left), deleted by id: the
            # node may lack the reindex module that deletes by query.
            for start in range(0, len(articles), 1000):
                chunk = sorted(articles)[start : start + 1000]
                old = self._call("POST", f"/{self.index}/_search", {
                    "query": {"terms": {"article": chunk}}, "_source": False, "size": 10_000})  # fmt: skip
                lines += [json.dumps({"delete": {"_index": self.index, "_id": hit["_id"]}})
                          for hit in old["hits"]["hits"] if hit["_id"] not in keep]  # fmt: skip
            for docs in articles.values():
                for doc in docs:
                    lines.append(json.dumps({"index": {"_index": self.index, "_id": doc.id}}))
                    lines.append(json.dumps(_source(doc), ensure_ascii=False))
            if lines:
                done = self._call("POST", "/_bulk?refresh=true", ndjson="\n".join(lines) + "\n")
                if done.get("errors"):
                    raise RuntimeError(f"OpenSearch bulk: {json.dumps(done)[:500]}")
        self._set_position(position)

    def clear(self) -> None:
        self._call("DELETE", f"/{self.index}", ok=(200, 404))
        self._ensure()
        self._set_position(0)

    def count(self) -> int:
        return int(self._call("GET", f"/{self.index}/_count").get("count", 0))

    def close(self) -> None:
        self.session.close()

    # -- searching ------------------------------------------------------------------------

    def _text_clause(self, spelling: str) -> dict[str, Any] | None:
        phrase = query_phrase(spelling)
        if not phrase:
            return None
        places = []
        for field, boost in (("title_bi", TITLE_BOOST), ("body_bi", BODY_BOOST)):
            if len(phrase) == 1 and len(phrase[0]) == 1 and not phrase[0].isascii():
                char = phrase[0]
                places.append({"regexp": {field: {"value": f"{char}.|.{char}", "boost": boost}}})
            elif len(phrase) == 1:
                places.append({"term": {field: {"value": phrase[0], "boost": boost}}})
            else:
                places.append(
                    {"match_phrase": {field: {"query": " ".join(phrase), "boost": boost}}}
                )
        words = [{"term": {field: {"value": word, "boost": boost}}} for word in word_terms(spelling)
                 for field, boost in (("title_w", WORDS_TITLE_BOOST), ("body_w", WORDS_BODY_BOOST))]  # fmt: skip
        return {"bool": {"must": [{"bool": {"should": places}}], "should": words}}

    def _term_clause(self, term: Term) -> dict[str, Any] | None:
        clauses: list[dict[str, Any]] = []
        if term.doc_number:
            clauses.append({"term": {"number": {"value": term.doc_number, "boost": NUMBER_BOOST}}})
        for rank, spelling in enumerate(term.spellings):
            clause = self._text_clause(spelling)
            if clause is not None:
                clause["bool"]["boost"] = 1.0 if rank == 0 else SYNONYM_BOOST
                clauses.append(clause)
        return {"bool": {"should": clauses}} if clauses else None

    def _query(self, query: SearchQuery, terms: list[Term], every: bool) -> dict[str, Any]:
        required = [t for t in terms if not t.prefer]
        clauses = [c for c in (self._term_clause(t) for t in required) if c is not None]
        if required and not clauses:
            return {"match_none": {}}
        bool_query: dict[str, Any] = {
            "filter": [{"term": {name: value}} for name, value in filters_of(query).items()],
            "should": [{"term": {"vertical": {"value": t.prefer, "boost": INTENT_BOOST}}}
                       for t in terms if t.prefer],
        }  # fmt: skip
        if clauses:
            text = ({"bool": {"must": clauses}} if every
                    else {"bool": {"should": clauses, "minimum_should_match": 1}})  # fmt: skip
            bool_query["must"] = [text]
        return {"bool": bool_query}

    def _ask(self, query: SearchQuery, terms: list[Term], every: bool, by_date: bool,
             size: int) -> dict[str, Any]:  # fmt: skip
        matched = self._query(query, terms, every)
        if not by_date:  # scores × log(2 + authority), as the embedded engine weighs them
            matched = {"function_score": {"query": matched, "boost_mode": "multiply",
                                          "field_value_factor": {"field": "authority",
                                                                 "modifier": "log2p",
                                                                 "missing": 0}}}  # fmt: skip
        body: dict[str, Any] = {"query": matched, "size": size,
                                "from": (query.page - 1) * query.size, "track_total_hits": True,
                                "aggs": {name: {"terms": {"field": name, "size": FACET_SIZE}}
                                         for name in FACETS}}  # fmt: skip
        if by_date:
            body["sort"] = [{"published": "desc"}]
        return self._call("POST", f"/{self.index}/_search", body)

    def search(self, query: SearchQuery, terms: list[Term]) -> Found:
        by_date = query.sort == "date" or not any(runs(t.text) for t in terms)
        answer = self._ask(query, terms, True, by_date, query.size)
        partial = False
        if answer["hits"]["total"]["value"] == 0 and len([t for t in terms if not t.prefer]) > 1:
            answer, partial = self._ask(query, terms, False, by_date, query.size), True
        docs = [(SearchDoc.from_json(hit["_source"]["data"]), float(hit.get("_score") or 0.0))
                for hit in answer["hits"]["hits"]]  # fmt: skip
        facets = {name: [(str(b["key"]), int(b["doc_count"]))
                         for b in answer.get("aggregations", {}).get(name, {}).get("buckets", [])
                         if str(b["key"]) != "-"]
                  for name in FACETS}  # fmt: skip
        return Found(int(answer["hits"]["total"]["value"]), docs, facets, partial)
