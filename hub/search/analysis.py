"""Chinese text into search terms, the same way for documents and queries.

Two kinds of terms per text (research/library.md §1): *bigrams* of every run of Chinese
characters (and whole Latin/number tokens), for exact-substring matching with recall 1.0
whatever a segmenter would do with the context; and *words* from jieba (rjieba) with the
government terms of the synonym list added to its dictionary, which rank a document that
uses the query's words as words above one where the characters merely meet."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

# A run of Chinese characters, or of letters and digits (full-width forms are folded first).
_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[0-9a-z]+")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def normalize(text: str) -> str:
    """Full-width forms folded (ＡＢＣ１２３ → abc123), lower case."""
    return unicodedata.normalize("NFKC", text).lower()


def runs(text: str) -> list[str]:
    """The runs of Chinese characters and of letters/digits, punctuation dropped."""
    return _RUN.findall(normalize(text))


def is_cjk(run: str) -> bool:
    return bool(_CJK.match(run))


def bigram_terms(text: str) -> list[str]:
    """Every two consecutive Chinese characters of each run (a run of one: that character),
    and each Latin/number run whole, in order: a phrase of these is a substring match."""
    terms: list[str] = []
    for run in runs(text):
        if is_cjk(run) and len(run) > 1:
            terms += [run[i : i + 2] for i in range(len(run) - 1)]
        else:
            terms.append(run)
    return terms


def query_phrase(term: str) -> list[str]:
    """The bigram phrase a query term must match. A single Chinese character next to other
    runs (年 in "2024年") is left out: alone it is not a term of a longer run's bigrams."""
    parts = runs(term)
    if len(parts) == 1:
        return bigram_terms(parts[0])
    phrase: list[str] = []
    for run in parts:
        if is_cjk(run) and len(run) == 1:
            continue
        phrase += bigram_terms(run)
    return phrase


@lru_cache(maxsize=1)
def _segmenter() -> Any:
    import rjieba  # loaded by whoever indexes or searches first

    return rjieba.Jieba()


def add_words(words: Iterable[str]) -> None:
    """Teach the segmenter words it does not know (放管服, 接诉即办, 一网通办 …). Documents
    and queries must be segmented with the same words: the search settings add theirs when
    the search service starts, before anything is indexed or asked."""
    jieba = _segmenter()
    for word in words:
        if len(word) > 1 and not jieba.has_word(word):
            jieba.add_word(word, None, None)


def word_terms(text: str) -> list[str]:
    """The words of a text (jieba's search mode: long words and their parts), lower case,
    punctuation and single characters of no meaning dropped."""
    jieba = _segmenter()
    terms: list[str] = []
    for run in runs(text):
        if is_cjk(run):
            terms += [w for w in jieba.cut_for_search(run) if len(w) > 1]
        else:
            terms.append(run)
    return terms
