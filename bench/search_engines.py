"""Search engines compared on the labelled set (bench/search_corpus.py) and timed at scale.

    python -m bench.search_engines --items 1000000 [--opensearch http://127.0.0.1:9200]

Quality: mean nDCG@10 of the 60 judged queries over the corpus (480 items), per engine:
`tantivy` (the hub's embedded engine: bigram phrases, jieba words for ranking, synonyms),
`tantivy_plain` (the same without synonyms: what the synonym list buys), `fts5` (SQLite FTS5's
trigram tokenizer with bm25, titles weighted 5, terms under three characters by LIKE — the
zero-dependency option of research/library.md), and with `--opensearch` the scale-out engine
(the same terms and query sent to an OpenSearch node, timed over HTTP). Speed: the corpus padded with general
government items to `--items`, indexed in batches of 10,000 (items per second, one thread),
then the 60 queries asked again and again (p95 of the first page, milliseconds).

Ends with: search_engines: items=N tantivy_ndcg10=A tantivy_plain_ndcg10=B fts5_ndcg10=C
index_per_s=D p95_ms=E
"""

from __future__ import annotations

import argparse
import platform
import sqlite3
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.search_corpus import EXTRA_SYNONYMS, Item, corpus, judged, ndcg_at_10
from hub.search.analysis import add_words, runs
from hub.search.documents import SearchDoc
from hub.search.query import SearchQuery, terms_of
from hub.search.settings import SearchSettings, load_search_settings
from hub.search.tantivy_engine import TantivyEngine

ROOT = Path(__file__).resolve().parents[1]
AUTHORITY = load_search_settings(ROOT / "config").authority
COLUMNS = {"policy": "policy-gov", "interpretation": "interpretation", "service": "notices",
           "news": "news-gov"}  # fmt: skip


def doc_of(item: Item) -> SearchDoc:
    column = COLUMNS.get(item.vertical, "notices")
    return SearchDoc(
        id=f"{item.key}@gov", article_id=item.key, site="gov", site_name="示范省人民政府门户网站",
        columns=(column,), column_names=(column,), vertical=item.vertical, title=item.title,
        text=item.text, doc_number=item.doc_number, agency=item.agency, subject="",
        written_date="", published_at=f"{item.year}-06-01T00:00:00+00:00",
        url=f"{column}/{item.key}.html", authority=AUTHORITY.get(item.vertical, 0.0),
    )  # fmt: skip


def settings(with_synonyms: bool) -> SearchSettings:
    shipped = load_search_settings(ROOT / "config")
    if not with_synonyms:
        return shipped.model_copy(update={"synonyms": ()})
    return shipped.model_copy(update={"synonyms": shipped.synonyms + EXTRA_SYNONYMS})


Ranker = Callable[[str], list[str]]


def tantivy_ranker(folder: Path, items: list[Item], rules: SearchSettings) -> Ranker:
    add_words(rules.dictionary())
    engine = TantivyEngine(folder)
    engine.replace({i.key: [doc_of(i)] for i in items}, 1)

    def rank(q: str) -> list[str]:
        found = engine.search(SearchQuery(q=q, size=10), terms_of(q, rules))
        return [doc.article_id for doc, _ in found.docs]

    return rank


def fts5_ranker(items: list[Item]) -> Ranker:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE t USING fts5(key UNINDEXED, title, body, tokenize='trigram')")
    db.executemany("INSERT INTO t VALUES (?, ?, ?)",
                   [(i.key, i.title, f"{i.doc_number} {i.agency} {i.text}") for i in items])  # fmt: skip

    def rank(q: str) -> list[str]:
        words = [w for w in q.split() if runs(w)]
        long = [w for w in words if len(w) >= 3]
        short = [w for w in words if len(w) < 3]
        where, params = [], []
        if long:
            where.append("t MATCH ?")
            params.append(" AND ".join('"' + w.replace('"', '""') + '"' for w in long))
        for w in short:
            where.append("(title LIKE ? OR body LIKE ?)")
            params += [f"%{w}%", f"%{w}%"]
        if not where:
            return []
        order = "bm25(t, 0, 5.0, 1.0)" if long else "rowid"
        sql = f"SELECT key FROM t WHERE {' AND '.join(where)} ORDER BY {order} LIMIT 10"
        return [str(row[0]) for row in db.execute(sql, params)]

    return rank


def quality(rank: Ranker, items: list[Item]) -> tuple[float, dict[str, float]]:
    by_kind: dict[str, list[float]] = defaultdict(list)
    for case in judged(items):
        by_kind[case.kind].append(ndcg_at_10(rank(case.query), case.grades))
    every = [v for values in by_kind.values() for v in values]
    return statistics.mean(every), {k: statistics.mean(v) for k, v in by_kind.items()}


def opensearch_ranker(url: str, items: list[Item], rules: SearchSettings) -> Ranker:
    from hub.search.opensearch_engine import OpenSearchEngine

    add_words(rules.dictionary())
    engine = OpenSearchEngine(url, "bench-judged")
    engine.clear()
    engine.replace({i.key: [doc_of(i)] for i in items}, 1)

    def rank(q: str) -> list[str]:
        found = engine.search(SearchQuery(q=q, size=10), terms_of(q, rules))
        return [doc.article_id for doc, _ in found.docs]

    return rank


def speed(folder: Path, total: int, rules: SearchSettings, url: str = "") -> tuple[float, float]:
    """Items per second indexed (batches of 10,000) and p95 ms of the judged queries (by the
    embedded engine; by the OpenSearch node at `url` if given)."""
    items = corpus(noise=max(0, total - len(corpus(noise=0))))
    engine: Any
    if url:
        from hub.search.opensearch_engine import OpenSearchEngine

        engine = OpenSearchEngine(url, "bench-speed")
        engine.clear()
    else:
        engine = TantivyEngine(folder)
    started = time.perf_counter()
    for start in range(0, len(items), 10_000):
        batch = items[start : start + 10_000]
        engine.replace({i.key: [doc_of(i)] for i in batch}, start + len(batch))
    per_s = len(items) / (time.perf_counter() - started)
    cases = [c.query for c in judged(items)]
    asked = [(q, terms_of(q, rules)) for q in cases]
    times = []
    for _ in range(5):
        for q, terms in asked:
            began = time.perf_counter()
            engine.search(SearchQuery(q=q, size=10), terms)
            times.append((time.perf_counter() - began) * 1000)
    return per_s, statistics.quantiles(times, n=20)[18]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--opensearch", default="", help="also an OpenSearch node (its URL)")
    args = parser.parse_args()
    items = corpus()
    full, plain = settings(True), settings(False)
    with tempfile.TemporaryDirectory() as tmp:
        scores = {}
        for name, make in (
            ("tantivy", lambda: tantivy_ranker(Path(tmp) / "a", items, full)),
            ("tantivy_plain", lambda: tantivy_ranker(Path(tmp) / "b", items, plain)),
            ("fts5", lambda: fts5_ranker(items)),
        ):
            mean, kinds = quality(make(), items)
            scores[name] = mean
            shown = " ".join(f"{k}={v:.3f}" for k, v in sorted(kinds.items()))
            print(f"{name:<14} nDCG@10 {mean:.3f}  ({shown})")
        if args.opensearch:
            mean, kinds = quality(opensearch_ranker(args.opensearch, items, full), items)
            shown = " ".join(f"{k}={v:.3f}" for k, v in sorted(kinds.items()))
            print(f"{'opensearch':<14} nDCG@10 {mean:.3f}  ({shown})")
            os_per_s, os_p95 = speed(Path(tmp) / "os", args.items, full, args.opensearch)
            print(f"opensearch: items={args.items} index_per_s={os_per_s:.0f} p95_ms={os_p95:.2f} "
                  "(over HTTP, one node)")  # fmt: skip
        per_s, p95 = speed(Path(tmp) / "speed", args.items, full)
    print(f"machine: {platform.machine()} {platform.python_version()}; items={args.items}")
    print(f"search_engines: items={args.items} tantivy_ndcg10={scores['tantivy']:.3f} "
          f"tantivy_plain_ndcg10={scores['tantivy_plain']:.3f} fts5_ndcg10={scores['fts5']:.3f} "
          f"index_per_s={per_s:.0f} p95_ms={p95:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
