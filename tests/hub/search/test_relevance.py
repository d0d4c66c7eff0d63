"""Search quality on the labelled set (bench/search_corpus.py: 60 judged queries over 480
items): the embedded engine's ranking must not regress below what bench/RESULTS.md records,
the synonym list must earn its place on everyday names, a 文号 must find its document first,
and a word of intent (解读) must bring the interpretation first."""

from __future__ import annotations

from pathlib import Path

from bench.search_corpus import corpus
from bench.search_engines import fts5_ranker, quality, settings, tantivy_ranker


def test_the_embedded_engine_ranks_the_judged_set_well(tmp_path: Path) -> None:
    items = corpus()
    full, by_kind = quality(tantivy_ranker(tmp_path / "full", items, settings(True)), items)
    plain, plain_kinds = quality(tantivy_ranker(tmp_path / "plain", items, settings(False)), items)
    baseline, _ = quality(fts5_ranker(items), items)
    assert full >= 0.88, by_kind
    assert by_kind["doc_number"] == 1.0 and by_kind["reading"] >= 0.85, by_kind
    assert by_kind["everyday"] >= plain_kinds["everyday"] + 0.3, (by_kind, plain_kinds)
    assert full > plain > baseline
