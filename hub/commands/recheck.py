"""Re-checking everything approved (and, with the publishing issue, published) after the
dictionaries changed: which articles now fail, and what is new in each."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from events.log import get_logger
from events.store import EventStore
from hub.commands.article_service import ArticleRunner
from hub.commands.check_service import CheckService
from hub.commands.dictionary_records import change_json, dictionary_history, record_dictionaries
from hub.projections.articles import ARTICLE_LIST
from hub.setup.config import HubConfig
from workflows.article_commands import RecheckArticle
from workflows.article_decider import RECHECKABLE
from workflows.checks.findings import Finding, Severity

log = get_logger(__name__)


@dataclass
class RecheckResult:
    """What one run of `hub recheck` found."""

    dictionary_version: str
    dictionaries: dict[str, Any]  # the latest recorded dictionary change
    checked: int = 0
    unchanged: int = 0  # already checked with this dictionary version
    failing: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "dictionary_version": self.dictionary_version,
            "dictionaries": self.dictionaries,
            "checked": self.checked,
            "unchanged": self.unchanged,
            "failing": self.failing,
        }


def _failure(finding: Finding, overridden: frozenset[str]) -> bool:
    return finding.severity is Severity.BLOCK or (
        finding.severity is Severity.REVIEW and finding.id not in overridden
    )


class Rechecker:
    """Runs `RecheckArticle` over every approved article with the current dictionaries."""

    def __init__(
        self,
        config: HubConfig,
        store: EventStore,
        commands: ArticleRunner,
        checks: CheckService,
        after_write: Callable[[], object] = lambda: None,
    ) -> None:
        self.config = config
        self.store = store
        self.commands = commands
        self.checks = checks
        self._after_write = after_write

    def candidates(self, site: str | None = None) -> list[str]:
        """Ids of the articles a recheck covers, oldest first."""
        where: dict[str, Any] = {"status": [str(s) for s in RECHECKABLE]}
        if site:
            where["site"] = site
        rows = self.store.rows(ARTICLE_LIST, where, ("article_id",), order_by=("created_at",))
        return [str(row[0]) for row in rows]

    def run(
        self,
        user: str,
        site_ref: str | None = None,
        progress: Callable[[int], object] | None = None,
        article_ids: list[str] | None = None,
    ) -> RecheckResult:
        """Record the dictionaries if they changed, then recheck; `progress(1)` per article."""
        directory = self.config.directory
        actor = directory.acting(user)
        site = directory.site(site_ref).code if site_ref else None
        record_dictionaries(
            self.store, self.config.dictionaries, source=str(self.config.root / "checks")
        )
        change = change_json(dictionary_history(self.store)[-1])
        result = RecheckResult(self.config.checks.version, change)
        ids = self.candidates(site) if article_ids is None else article_ids
        for article_id in ids:
            before, _ = self.commands.load(article_id)
            outcome = self.commands.execute(
                RecheckArticle(article_id, actor), prepare=self.checks.attach
            )
            result.checked += 1
            if not outcome.event_ids:
                result.unchanged += 1
            state = outcome.state
            failing = [f for f in state.findings if _failure(f, state.overridden)]
            if failing and state.content is not None:
                known = {f.id for f in before.findings}
                result.failing.append(
                    {
                        "id": article_id,
                        "site": state.site,
                        "title": state.content.title,
                        "status": str(state.status),
                        "revision": state.revision,
                        "findings": [
                            f.model_dump(mode="json") | {"new": f.id not in known} for f in failing
                        ],
                    }
                )
            if progress is not None:
                progress(1)
        self._after_write()
        log.info(
            "recheck.done",
            dictionary_version=result.dictionary_version,
            checked=result.checked,
            failing=len(result.failing),
        )
        return result
