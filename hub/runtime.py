"""The embedded runtime: one process, one SQLite file, projections caught up in-process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from channels.website.adapter import WebsiteAdapter
from events.envelope import RecordedEvent
from events.sqlite_store import SQLiteEventStore
from events.subscriptions import Progress, catch_up, rebuild
from hub.article_service import ArticleService
from hub.command_service import CommandService
from hub.config import HubConfig, load_config
from hub.delivery_engine import DeliveryEngine
from hub.delivery_service import DeliveryService
from hub.dictionary_records import record_dictionaries
from hub.projections import all_projections
from hub.publishing import PublishingService
from hub.recheck import Rechecker


def website_sites(config: HubConfig) -> dict[str, dict[str, Any]]:
    """What the website channel needs of each site, by site code."""
    return {
        site.code: {
            "key": site.key,
            "code": site.code,
            "name": site.name,
            "domain": site.domain,
            "docroot": str(config.sites_root / site.key),
            "columns": {
                column.id: {"id": column.id, "name": column.name, "type": column.type}
                for column, _ in site.walk()
            },
        }
        for site in config.directory.sites
    }


class EmbeddedHub:
    """Everything the CLI (and later the web) needs, wired for one machine."""

    def __init__(self, config: HubConfig) -> None:
        self.config = config
        self.store = SQLiteEventStore(config.database_path, durable=config.settings.durable)
        self.commands = CommandService(self.store)
        self.projections = all_projections(self.store)
        self.articles = ArticleService(config, self.store, self.commands, self.catch_up)
        self.publishing = PublishingService(config, self.articles)
        self.deliveries = DeliveryEngine(
            self.store,
            {"website": WebsiteAdapter(website_sites(config))},
            after_write=self.catch_up,
        )
        self.publishing.deliver = self.deliveries.run_once  # in-process, within the command
        self.delivery_service = DeliveryService(config, self.store, self.deliveries.run_once)
        self.rechecker = Rechecker(
            config, self.store, self.commands, self.articles.checks, self.catch_up
        )

    @classmethod
    def open(cls, config_dir: str | Path) -> EmbeddedHub:
        """Load a configuration folder, open its event store, record the check dictionaries
        if they changed, and bring the read models up to date."""
        hub = cls(load_config(config_dir))
        try:
            hub.record_dictionaries()
            hub.catch_up()
        except BaseException:
            hub.close()
            raise
        return hub

    def catch_up(self) -> int:
        """Bring every projection up to the newest event; return how many events were applied."""
        return sum(catch_up(self.store, p) for p in self.projections)

    def record_dictionaries(self) -> RecordedEvent | None:
        """Record the loaded check dictionaries if they differ from the last recorded version."""
        return record_dictionaries(
            self.store, self.config.dictionaries, source=str(self.config.root / "checks")
        )

    def rebuild(self, progress: Progress | None = None) -> int:
        """Drop and replay every projection; return the number of events replayed."""
        return sum(rebuild(self.store, p, progress=progress) for p in self.projections)

    def close(self) -> None:
        """Close the event store."""
        self.store.close()

    def __enter__(self) -> EmbeddedHub:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
