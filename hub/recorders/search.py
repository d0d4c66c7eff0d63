"""Article search as SQL, shared by both databases: the filters, the caller's visibility, the
cursor pages; each database supplies its full text index and its spellings (`SearchBackend`).

A list is ordered by the newest change; a text search by the newest article first (the order
the full text index keeps, which it can walk without collecting every match of a common word).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any

from events.store import SubscriberTransaction

if TYPE_CHECKING:
    from hub.queries.article_search import ArticleQuery, Visibility

COLUMNS = ("a.article_id, a.site, a.columns, a.title, a.status, a.waiting_for, a.revision, "
           "a.author, a.updated_at")  # fmt: skip


def like_pattern(text: str) -> str:
    """`%text%` for LIKE with `\\` as the escape character."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class SearchBackend(ABC):
    """One database's full text index of article titles and bodies, and its SQL spellings."""

    mark: str  # the placeholder

    @abstractmethod
    def create(self, tx: SubscriberTransaction) -> None: ...

    @abstractmethod
    def drop(self, tx: SubscriberTransaction) -> None: ...

    @abstractmethod
    def index(
        self, tx: SubscriberTransaction, article_id: str, seq: int, title: str, body: str
    ) -> None:
        """Keep the article's current title and plain text (`seq`: its creation order)."""

    @abstractmethod
    def in_values(self, expression: str, values: list[str]) -> tuple[str, list[Any]]:
        """`expression` is one of `values` (one parameter however many values)."""

    @abstractmethod
    def json_holds(self, column: str) -> str:
        """The JSON array text in `column` holds the parameter."""

    @abstractmethod
    def title_like(self) -> str:
        """a.title matches a `like_pattern`, ignoring the case of Latin letters."""

    @abstractmethod
    def full_text(self, text: str) -> tuple[str, str, str, list[Any]]:
        """The FROM clause over the index joined to `a` (article_list), the index's order
        column, and the match condition with its parameters."""

    def search_sql(
        self, query: ArticleQuery, visible: Visibility | None, full_text: bool, after: Any
    ) -> tuple[str, list[Any]]:
        """One page's statement; its rows are the article columns, then the index's order
        (NULL for a list). `after` is the decoded cursor (or None)."""
        mark = self.mark
        where: list[str] = []
        params: list[Any] = []
        if visible is not None:
            # Per row, through indexes: its site, else one of its live targets on a visible site.
            live, live_params = self.in_values("lt.target", sorted(visible.targets))
            lives = [live]
            for _ in sorted(visible.prefixes):
                lives.append(f"(lt.target >= {mark} AND lt.target < {mark})")
            for prefix in sorted(visible.prefixes):
                live_params += [prefix, prefix + "\uffff"]
            sites, site_params = self.in_values("a.site", sorted(visible.sites))
            where.append(f"({sites} OR EXISTS (SELECT 1 FROM live_targets lt "
                         f"WHERE lt.article_id = a.article_id AND ({' OR '.join(lives)})))")  # fmt: skip
            params += [*site_params, *live_params]
        text = query.q.strip()
        source, order = "article_list a", ""
        if full_text:
            source, order, match, match_params = self.full_text(text)
            where.append(match)
            params += match_params
        elif text:
            where.append(self.title_like())
            params.append(like_pattern(text))
        for column, value in (("a.site", query.site), ("a.status", query.status),
                              ("a.author", query.author), ("a.waiting_for", query.stage)):  # fmt: skip
            if value:
                where.append(f"{column} = {mark}")
                params.append(value)
        if query.column:
            where.append(self.json_holds("a.columns"))
            params.append(query.column)
        if query.updated_from:
            where.append(f"a.updated_at >= {mark}")
            params.append(query.updated_from)
        if query.updated_to:
            where.append(f"a.updated_at < {mark}")
            params.append(query.updated_to)
        if query.channel:
            where.append("a.article_id IN (SELECT article_id FROM live_targets "
                         f"WHERE target >= {mark} AND target < {mark})")  # fmt: skip
            params += [f"{query.channel}:", f"{query.channel}:\uffff"]
        if after is not None:
            if full_text:
                where.append(f"{order} < {mark}")
                params.append(int(after[0]) if after[0].isdigit() else 0)
            else:
                where.append(f"(a.updated_at, a.article_id) < ({mark}, {mark})")
                params += list(after)
        condition = " WHERE " + " AND ".join(where) if where else ""
        if full_text:
            sql = f"SELECT {COLUMNS}, {order} FROM {source}{condition} ORDER BY {order} DESC"
        else:
            sql = (f"SELECT {COLUMNS}, NULL FROM {source}{condition} "
                   "ORDER BY a.updated_at DESC, a.article_id DESC")  # fmt: skip
        params.append(query.limit + 1)
        return f"{sql} LIMIT {mark}", params
