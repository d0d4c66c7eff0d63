"""What a searcher finds: one document per article per site it is live on (its website
columns there), with the live revision's title, text and government metadata. Only what the
site's pages show is indexed, so search cannot reveal what is not public."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from events.store import EventStore
from hub.projections.delivery_sources import delivery_source
from hub.projections.publications import LIVE_TARGETS, PUBLICATIONS
from hub.search.settings import SearchSettings
from hub.setup.directory import Directory
from workflows.checks.html_parse import html_to_text
from workflows.errors import DomainError
from workflows.publication import Channel, Target


@dataclass(frozen=True)
class SearchDoc:
    id: str  # article@site
    article_id: str
    site: str  # site key
    site_name: str
    columns: tuple[str, ...]  # column ids on that site
    column_names: tuple[str, ...]
    vertical: str  # policy, interpretation, service, organisation, news
    title: str
    text: str  # the body's readable text
    doc_number: str  # 文号
    agency: str  # 发文机关
    subject: str  # 主题分类
    written_date: str  # 成文日期 (ISO date or "")
    published_at: str  # when it first went live on that site (ISO, UTC)
    url: str  # the page, relative to the site's root
    authority: float = 0.0  # the vertical's weight in ranking (search.yaml `authority`)
    validity: str = ""  # 有效性 of a policy document

    @property
    def year(self) -> str:
        return self.published_at[:4]

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SearchDoc:
        return cls(**{**data, "columns": tuple(data["columns"]),
                      "column_names": tuple(data["column_names"])})  # fmt: skip


def doc_id(article_id: str, site_key: str) -> str:
    return f"{article_id}@{site_key}"


def documents_of(
    store: EventStore, directory: Directory, settings: SearchSettings, article_id: str
) -> list[SearchDoc]:
    """The article's documents as the read models say now (none when nothing is live)."""
    live = store.rows(PUBLICATIONS, {"article_id": article_id}, ("live_id", "live_revision"))
    if not live or live[0][0] is None:
        return []
    live_id, revision = str(live[0][0]), int(live[0][1])
    by_site: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for target, published_at in store.rows(LIVE_TARGETS, {"article_id": article_id},
                                           ("target", "published_at")):  # fmt: skip
        parsed = Target.parse(str(target))
        if parsed.channel is Channel.WEBSITE and parsed.column:
            by_site[parsed.account].append((parsed.column, str(published_at or "")))
    if not by_site:
        return []
    try:
        content = delivery_source(store, article_id, revision, live_id).content
    except DomainError:
        return []  # the sources' read model has not folded it yet: the next round will
    meta = content.metadata
    text = html_to_text(content.body_html).text
    docs = []
    for code, placed in sorted(by_site.items()):
        try:
            site = directory.site(code)
        except DomainError:
            continue  # a site no longer configured publishes nothing
        columns = [c for c in (site.column(col) for col, _ in sorted(placed)) if c is not None]
        if not columns:
            continue
        first = min(at for _, at in placed if at) if any(at for _, at in placed) else ""
        docs.append(SearchDoc(
            id=doc_id(article_id, site.key), article_id=article_id, site=site.key,
            site_name=site.name, columns=tuple(c.id for c in columns),
            column_names=tuple(c.name for c in columns),
            vertical=settings.vertical_of(columns[0].type),
            title=content.title, text=text, doc_number=meta.doc_number,
            agency=meta.issuing_agency, subject=meta.subject_category,
            written_date=meta.written_date.isoformat() if meta.written_date else "",
            published_at=first, url=f"{columns[0].id}/{article_id}.html",
            authority=settings.authority.get(settings.vertical_of(columns[0].type), 0.0),
            validity=str(meta.validity),
        ))  # fmt: skip
    return docs


def indexed_fields(doc: SearchDoc) -> dict[str, Any]:
    """What every engine indexes of a document, named alike: raw values for filters and facets
    ("-" for none), bigram and word terms joined by spaces (hub/search/analysis.py), the
    publication time as a sortable number, and the vertical's authority."""
    from hub.search.analysis import bigram_terms, word_terms
    from hub.search.query import doc_number_key

    return {
        "id": doc.id, "article": doc.article_id,
        "number": doc_number_key(doc.doc_number) or "-",
        "site": doc.site, "column": list(doc.columns), "vertical": doc.vertical,
        "agency": doc.agency or "-", "year": doc.year or "-",
        "subject": doc.subject or "-", "validity": doc.validity or "-",
        "title_bi": " ".join(bigram_terms(doc.title)),
        "body_bi": " ".join(bigram_terms(f"{doc.doc_number} {doc.agency} {doc.text}")),
        "title_w": " ".join(word_terms(doc.title)), "body_w": " ".join(word_terms(doc.text)),
        "published": ordinal(doc.published_at), "authority": float(doc.authority),
    }  # fmt: skip


def ordinal(iso: str) -> int:
    """An ISO time as a sortable integer: microseconds since the epoch (0 for none), so two
    items published in the same second still sort by time."""
    if not iso:
        return 0
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return 0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1_000_000)
