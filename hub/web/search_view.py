"""Search answers as the web and the CLI show them: JSON for the API and `--json`, and the
facets with their labels (site and column names, vertical names) for the pages."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from hub.search.query import MAX_QUERY, SearchPage, SearchQuery
from hub.search.settings import VERTICAL_LABELS
from hub.setup.directory import Directory

MAX_PAGE = 100
FACET_LABELS = {"site": "站点", "column": "栏目", "vertical": "频道", "agency": "发文机关",
                "year": "年份", "subject": "主题分类", "validity": "有效性"}  # fmt: skip


def page_as_json(page: SearchPage) -> dict[str, Any]:
    return {
        "total": page.total,
        "page": page.query.page,
        "partial": page.partial,
        "hits": [
            {
                "article_id": h.doc.article_id, "site": h.doc.site, "site_name": h.doc.site_name,
                "columns": list(h.doc.columns), "column_names": list(h.doc.column_names),
                "vertical": h.doc.vertical, "title": h.doc.title, "title_html": str(h.title_html),
                "snippet_html": str(h.snippet_html), "doc_number": h.doc.doc_number,
                "agency": h.doc.agency, "written_date": h.doc.written_date,
                "published_at": h.doc.published_at, "url": f"/sites/{h.doc.site}/{h.doc.url}",
                "score": round(h.score, 4),
            }
            for h in page.hits
        ],
        "facets": {name: [{"value": v, "count": c} for v, c in values]
                   for name, values in page.facets.items()},
    }  # fmt: skip


def facet_label(directory: Directory, name: str, value: str, site: str | None = None) -> str:
    """A facet value as people name it: a site's name, a column's name (of `site`, or of the
    first site that has that column), a vertical's name; other values as they are."""
    if name == "site":
        return directory.site_name(value)
    if name == "vertical":
        return VERTICAL_LABELS.get(value, value)
    if name == "column":
        sites = [directory.site(site)] if site else directory.sites
        for candidate in sites:
            column = candidate.column(value)
            if column is not None:
                return column.name
    return value


VERTICALS = tuple(VERTICAL_LABELS)
_FILTERS = ("column", "vertical", "agency", "year", "subject", "validity")
VALIDITIES = ("现行有效", "已修改", "已废止")


def search_query(
    q: str = "", site: str | None = None, column: str | None = None,
    vertical: str | None = None, agency: str | None = None, year: str | None = None,
    sort: str = "relevance", page: int = 1, *, subject: str | None = None,
    validity: str | None = None,
) -> SearchQuery:  # fmt: skip
    """A search from a page's or the API's parameters, values out of range dropped (a page
    link someone edited is a search, not an error): at most 100 characters, a known
    vertical, a four-digit year, pages 1–100."""
    return SearchQuery(
        q=" ".join(q.split())[:MAX_QUERY], site=site or None,
        column=(column or "")[:40] or None,
        vertical=vertical if vertical in VERTICALS else None,
        agency=(agency or "")[:50] or None,
        year=year if year and len(year) == 4 and year.isdigit() else None,
        subject=(subject or "")[:50] or None,
        validity=validity if validity in VALIDITIES else None,
        sort="date" if sort == "date" else "relevance",
        page=min(max(page, 1), MAX_PAGE),
    )  # fmt: skip


def site_search_page(directory: Directory, query: SearchQuery, found: SearchPage | None,
                     *, with_site: bool = False, path: str = "search",
                     shown: tuple[str, ...] = ("column", "vertical", "year", "agency")
                     ) -> dict[str, Any]:  # fmt: skip
    """What a site's search page template needs besides the site: the query, the answer,
    the facets with names, the verticals, and `link(**changes)` for every filter link.
    `with_site`: the console's search over every site (the site is a facet too); `path`:
    the page the links go to; `shown`: the facets it shows."""
    state = {"q": query.q, **({"site": query.site} if with_site else {}),
             **{name: getattr(query, name) for name in _FILTERS},
             "sort": None if query.sort == "relevance" else query.sort}  # fmt: skip

    def link(**changes: Any) -> str:
        values = {**state, **changes}
        if "page" not in changes:
            values.pop("page", None)  # a new filter starts at the first page
        return f"{path}?" + urlencode({k: v for k, v in values.items() if v})

    facets = []
    if found is not None:
        for name in (("site",) if with_site else ()) + shown:
            values = [(v, facet_label(directory, name, v, query.site), c)
                      for v, c in found.facets.get(name, [])]  # fmt: skip
            facets.append((name, FACET_LABELS[name], values))
    pages = min(MAX_PAGE, -(-found.total // query.size)) if found else 0
    return {
        "q": query.q, "query": {**state, "page": query.page, "sort": query.sort},
        "found": found, "searched": found is not None, "facets": facets, "pages": pages,
        "verticals": list(VERTICAL_LABELS.items()), "link": link,
        "kept": [(k, v) for k, v in state.items() if k not in ("q", "vertical") and v],
    }  # fmt: skip
