"""What a search asks and what it answers, the same for every engine; the query's terms
(with their synonyms) and the highlighting of the answer."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from markupsafe import Markup, escape

from hub.search.analysis import normalize, runs, word_terms
from hub.search.documents import SearchDoc
from hub.search.settings import SearchSettings

# How much a match counts, the same in every engine (so they rank alike): the title most,
# a 文号 exactly more still, jieba words only as a bonus, a synonym a little less than the
# word typed, an item of the vertical a word of intent asks for; facets show 20 values.
TITLE_BOOST, BODY_BOOST, WORDS_TITLE_BOOST, WORDS_BODY_BOOST = 5.0, 1.0, 2.0, 0.5
NUMBER_BOOST, INTENT_BOOST, SYNONYM_BOOST = 20.0, 10.0, 0.8
FACET_SIZE = 20
MAX_QUERY = 100
PAGE_SIZE = 10
FACETS = ("site", "column", "vertical", "agency", "year", "subject", "validity")
# 文号: 发文机关代字〔年份〕序号号 (brackets of any kind, as people type them).
_DOC_NUMBER = re.compile(r"^(\S+?)\s*[〔\[(（【]\s*(\d{4})\s*[〕\])）】]\s*(\d+)\s*号$")


def doc_number_key(text: str) -> str:
    """A 文号 in one spelling (桂政办发〔2024〕12号), whatever brackets and spaces were typed;
    "" when `text` is not one."""
    found = _DOC_NUMBER.match(normalize(text).strip()) if text else None
    if not found:
        return ""
    agency, year, number = found.groups()
    return f"{agency}〔{year}〕{int(number)}号"


@dataclass(frozen=True)
class SearchQuery:
    q: str = ""
    site: str | None = None
    column: str | None = None
    vertical: str | None = None
    agency: str | None = None
    year: str | None = None
    subject: str | None = None  # 主题分类
    validity: str | None = None  # 有效性
    sort: str = "relevance"  # or "date"
    page: int = 1
    size: int = PAGE_SIZE


@dataclass(frozen=True)
class Term:
    """One thing the searcher asked for: its spellings (the term and its synonyms; any one
    matches), or a 文号."""

    text: str
    spellings: tuple[str, ...]
    doc_number: str = ""
    prefer: str = ""  # a vertical: the term says what kind of item is wanted, not a word in it


@dataclass(frozen=True)
class Hit:
    doc: SearchDoc
    score: float
    title_html: Markup
    snippet_html: Markup


@dataclass(frozen=True)
class SearchPage:
    query: SearchQuery
    total: int
    hits: list[Hit]
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    partial: bool = False  # no document held every term: these hold some of them


def terms_of(q: str, settings: SearchSettings) -> list[Term]:
    """The terms of a query: words separated by spaces, a quoted phrase kept whole, a long
    question split into its words (less the stop words); each with its synonyms; a word of
    intent (解读, 办事指南) marked with the vertical it prefers."""
    terms: list[Term] = []
    for quoted, plain in re.findall(r'"([^"]+)"|(\S+)', q[:MAX_QUERY]):
        chunk = quoted or plain
        number = doc_number_key(chunk)
        if number:
            terms.append(Term(chunk, (chunk,), number))
            continue
        if quoted or len(chunk) <= 4 or settings.synonyms_of(chunk):
            words = [chunk]
        else:
            words = [w for w in _question_words(chunk) if w not in settings.stop_words]
        for word in words:
            if runs(word) and word not in settings.stop_words:
                intent = settings.intents.get(word, "")
                terms.append(Term(word, (word, *settings.synonyms_of(word)), prefer=intent))
    unique: dict[str, Term] = {}
    for term in terms:
        unique.setdefault(term.text, term)
    found = list(unique.values())
    if all(t.prefer for t in found):  # 解读 alone: then it is what to look for
        found = [Term(t.text, t.spellings, t.doc_number) for t in found]
    return found


def _question_words(chunk: str) -> list[str]:
    """A long chunk's words: jieba's words, where a word holds another only the longer."""
    words = word_terms(chunk)
    return [w for w in words if not any(w != o and w in o for o in words)]


def highlight(text: str, terms: list[Term], limit: int | None = None) -> Markup:
    """`text` (or a window of `limit` characters around the first match) with every
    spelling of every term marked; the rest escaped."""
    spellings = sorted({s for t in terms for s in t.spellings if s}, key=len, reverse=True)
    if not spellings:
        return escape(text[:limit] if limit else text)
    pattern = re.compile("|".join(re.escape(s) for s in spellings), re.IGNORECASE)
    if limit is not None:
        first = pattern.search(text)
        start = max(0, (first.start() if first else 0) - limit // 3)
        window = text[start : start + limit]
        text = ("…" if start else "") + window + ("…" if start + limit < len(text) else "")
    out, last = [], 0
    for found in pattern.finditer(text):
        out.append(escape(text[last : found.start()]))
        out.append(Markup("<mark>{}</mark>").format(found.group(0)))
        last = found.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


def filters_of(query: SearchQuery) -> dict[str, str]:
    """The facet values a search is narrowed to (field → value)."""
    wanted = {"site": query.site, "column": query.column, "vertical": query.vertical,
              "agency": query.agency, "year": query.year, "subject": query.subject,
              "validity": query.validity}  # fmt: skip
    return {name: value for name, value in wanted.items() if value}
