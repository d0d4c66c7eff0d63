"""What a search engine does for the hub: keep the documents of articles (replaced whole, an
article at a time) with the log position they reflect, and answer searches."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from hub.search.documents import SearchDoc
from hub.search.query import SearchQuery, Term


class EngineBusy(Exception):
    """Another process is writing the index now (it brings it up to date)."""


@dataclass(frozen=True)
class Found:
    """An engine's answer, before highlighting."""

    total: int
    docs: list[tuple[SearchDoc, float]]
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    partial: bool = False


class SearchEngine(Protocol):
    name: str

    def position(self) -> int:
        """The log position the documents reflect (0: none yet)."""
        ...

    def replace(self, articles: Mapping[str, Sequence[SearchDoc]], position: int) -> None:
        """Each article's documents become exactly those given (none: it leaves the index),
        durably, together with the new position."""
        ...

    def clear(self) -> None:
        """Drop every document and the position (a rebuild follows)."""
        ...

    def count(self) -> int: ...

    def search(self, query: SearchQuery, terms: list[Term]) -> Found: ...

    def close(self) -> None: ...
