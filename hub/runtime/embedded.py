"""The embedded runtime: one process, one SQLite file, projections caught up in-process."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import workflows.event_types  # noqa: F401  (every event type: this reads events it did not write)
from channels.local_db import Place, SharedPlace
from channels.tokens import Tokens, TokenStore
from events.envelope import RecordedEvent
from events.integrity import Seal
from events.log import get_logger
from events.policies import Policy, run_policy
from events.runner import Runner
from events.sql_store import SQLEventStore
from events.store import StoreError
from events.stores import open_store
from events.subscriptions import Progress, catch_up, rebuild
from hub.commands.article_service import ArticleService
from hub.commands.dictionary_records import record_dictionaries
from hub.commands.publishing import PublishingService
from hub.content.media import MediaStore
from hub.projections import all_projections
from hub.projections.deliveries import DeliveriesProjection
from hub.projections.notifications import INBOX
from hub.runtime.clock import utc_now
from hub.runtime.foreground import Foreground
from hub.setup.config import HubConfig, load_config
from hub.setup.party_mark import footer_mark
from hub.setup.secrets import SecretStore, audit_key
from hub.web.logins import LoginStore
from workflows.article_decider import ARTICLES, article_decider
from workflows.delivery_decider import DELIVERIES
from workflows.work_order_decider import WORK_ORDERS

# The channels, the delivery engine and the supervision services load when first used: a
# command that reads a list (`hub article list`) imports and builds none of them.
if TYPE_CHECKING:
    from channels.app.feed import AppFeed
    from channels.contract import ChannelAdapter
    from channels.screen.playlist import Playlists
    from channels.wechat.callback import CallbackKeys
    from hub.commands.recheck import Rechecker
    from hub.commands.reuse_service import ReuseService
    from hub.delivery.engine import DeliveryEngine, EngineReport, Share
    from hub.delivery.operations import DeliveryService
    from hub.search.engine import SearchEngine
    from hub.search.service import SearchService
    from hub.supervision.inbox import Inbox
    from hub.supervision.work_orders import WorkOrderService

log = get_logger(__name__)


def website_sites(config: HubConfig) -> dict[str, dict[str, Any]]:
    """What the website channel needs of each site, by site code."""
    return {
        site.code: {
            "key": site.key,
            "code": site.code,
            "name": site.name,
            "domain": site.domain,
            "docroot": str(config.sites_root / site.key),
            "theme": str(config.root / site.theme) if site.theme else None,
            "footer": site.footer.model_dump()
            | {
                "organiser": site.footer.organiser or site.name,
                "party_mark": footer_mark(site, config.root),
            },
            "columns": {
                column.id: {
                    "id": column.id,
                    "name": column.name,
                    "type": column.type,
                    "top": not parents,
                    "children": [c.id for c in column.children],
                }
                for column, parents in site.walk()
            },
        }
        for site in config.directory.sites
    }


ENGINE_BATCH = 100  # events per catch-up transaction in the engine's rounds


@dataclass
class Round:
    """What one round of background work did."""

    timers: dict[str, list[str]]
    reacted: int
    deliveries: EngineReport
    indexed: int = 0  # articles the search index took in (or let go)


class EmbeddedHub:
    """Everything the CLI (and later the web) needs, wired for one machine."""

    def __init__(
        self, config: HubConfig, *, share: Share | None = None, worker: str | None = None
    ) -> None:
        """`share` and `worker`: a delivery worker of the distributed runtime (the part of
        the deliveries it works on, and its name); by default the engine takes every one."""
        self.config = config
        self.secrets = SecretStore(
            config.path("secrets_file"),
            shared=self._place("secrets", config.path("secrets_file"))
            if config.settings.runtime == "distributed"
            else None,
        )
        self.audit_key = audit_key(self.secrets)
        self.store = open_store(
            config.database, durable=config.settings.durable, key=self.audit_key
        )
        self.commands = Runner(self.store, article_decider)
        self.projections = all_projections(self.store, config.directory)
        # Told of each commit of the delivery ledger (the live board listens).
        self.ledger = next(
            p.signal for p in self.projections if isinstance(p, DeliveriesProjection)
        )
        # A command brings the read models of its own streams up to date before it answers
        # (read your writes); the engine's events are the engine loop's to fold.
        self.articles = ArticleService(
            config, self.store, self.commands, lambda: self.catch_up(ARTICLES.prefix)
        )
        self.publishing = PublishingService(config, self.articles)
        self.logins = LoginStore(self._place("logins", config.path("logins_file")))
        self.media = MediaStore(config.media_root)
        # Channel access tokens (WeChat, Weibo) and open circuits, shared by every worker:
        # of this machine (a file), or of every machine (Redis, the distributed runtime).
        settings = config.settings
        if settings.runtime == "distributed":  # Redis's client loads only where it is used
            from channels.tokens_redis import RedisTokenStore
            from hub.distributed.ledger_channel import publish_ledger
            from hub.distributed.redis_client import redis_client
        self.redis = redis_client(settings.redis_url) if settings.runtime == "distributed" else None
        self.tokens: Tokens = (
            RedisTokenStore(self.redis, prefix=f"{settings.kafka_prefix}:token:")
            if self.redis is not None
            else TokenStore(config.channels_root / "tokens.sqlite3")
        )
        # Every web node's board hears of the ledger's commits made in this process.
        self._ledger_publisher = (
            publish_ledger(self.projections, self.redis, settings.kafka_prefix)
            if self.redis is not None
            else None
        )
        # Users' commands in flight (the web counts them); the engine yields to them.
        self.foreground = Foreground()
        self._share, self._worker = share, worker
        # What the engine folds after its writes: everything in one process; a delivery
        # worker of the distributed runtime only its ledger (projection workers do the rest).
        self._engine_projections = [
            p for p in self.projections if share is None or p.name == "deliveries"
        ]
        # The first sweep one interval after the start (a hub that runs a minute sweeps none).
        self._next_sweep = utc_now() + timedelta(seconds=config.settings.supervision_interval_s)
        self._next_seal = utc_now() + timedelta(seconds=config.settings.seal_interval_s)

    @cached_property
    def app_feed(self) -> AppFeed:
        from channels.app.feed import AppFeed

        return AppFeed(self._place("app_feed", self.config.channels_root / "app-feed.sqlite3"))

    @cached_property
    def playlists(self) -> Playlists:
        from channels.screen.playlist import Playlists

        return Playlists(self._place("screens", self.config.channels_root / "screens.sqlite3"))

    @cached_property
    def adapters(self) -> dict[str, ChannelAdapter]:
        return self._adapters()

    @cached_property
    def deliveries(self) -> DeliveryEngine:
        from hub.delivery.engine import DeliveryEngine

        limiter = None
        if self.redis is not None:
            from hub.distributed.rate_limits import RedisRateLimiter

            limiter = RedisRateLimiter(self.redis, self.config.settings.kafka_prefix)
        settings = self.config.settings
        return DeliveryEngine(
            self.store,
            self.adapters,
            after_write=self._engine_caught_up,
            pause=self.foreground.yield_to_users,
            lease=timedelta(seconds=settings.delivery_lease_s),
            workers=settings.delivery_workers,
            shared=self.tokens,
            share=self._share,
            worker=self._worker,
            limiter=limiter,
        )

    @cached_property
    def policies(self) -> list[Policy]:
        """Reactions (event → command): they run in the worker's rounds, never in a user's
        request."""
        from hub.commands.correction_policy import CorrectionPublisher
        from hub.commands.reuse_policy import SourceFollower

        return [CorrectionPublisher(self.articles), SourceFollower(self.reuse)]

    @cached_property
    def delivery_service(self) -> DeliveryService:
        from hub.delivery.operations import DeliveryService

        return DeliveryService(
            self.config,
            self.store,
            self.deliveries.health,
            lambda: self.catch_up(DELIVERIES.prefix),
            runner=self.deliveries.runner,
        )

    @cached_property
    def reuse(self) -> ReuseService:
        from hub.commands.reuse_service import ReuseService

        return ReuseService(self.config, self.store, self.articles, self.publishing,
                            lambda: self.catch_up())  # fmt: skip

    @cached_property
    def search(self) -> SearchService:
        from hub.search.service import SearchService
        from hub.search.settings import load_search_settings

        settings = self.config.settings
        engine: SearchEngine
        if settings.search_url:
            from hub.search.opensearch_engine import OpenSearchEngine

            engine = OpenSearchEngine(settings.search_url, settings.search_index)
        else:
            from hub.search.tantivy_engine import TantivyEngine

            engine = TantivyEngine(self.config.path("search_root"))
        rules = load_search_settings(self.config.root)
        return SearchService(self.store, self.config.directory, rules, engine)

    @cached_property
    def work_orders(self) -> WorkOrderService:
        from hub.supervision.work_orders import WorkOrderService

        return WorkOrderService(
            self.store, self.config.directory, lambda: self.catch_up(WORK_ORDERS.prefix)
        )

    @cached_property
    def inbox(self) -> Inbox:
        from hub.supervision.inbox import Inbox

        return Inbox(self.store, lambda: self.catch_up(INBOX.prefix))

    @cached_property
    def rechecker(self) -> Rechecker:
        from hub.commands.recheck import Rechecker

        return Rechecker(
            self.config, self.store, self.commands, self.articles.checks, self.catch_up
        )

    def _place(self, store: str, file: Path) -> Place:
        """Where a small store lives: its SQLite file, or (distributed: every process on every
        machine must see the same) a schema of the shared database."""
        if self.config.settings.runtime == "distributed":
            return SharedPlace(self.config.database, f"hub_{store}")
        return file

    def work(self, now: datetime | None = None) -> Round:
        """One round of the background work: due timers (release, expiry), the policies,
        then the delivery engine (it plans from the new events and attempts what is due).
        The engine loop of `hub serve` runs it; so do `hub deliver` and a CLI `--wait`."""
        timers = self.timers(now)
        reacted, delivered = self.react(), self.deliveries.run_once(now)
        return Round(timers, reacted, delivered, self.index_for_search())

    def index_for_search(self) -> int:
        """Bring the search index up to the read models (the engine loop's rounds and a
        `hub search` do; a delivery worker of the distributed runtime does not). A failing
        index is logged and does not stop the round's other work."""
        if self._share is not None:
            return 0
        try:
            return self.search.sync()
        except Exception:
            log.exception("search.sync_failed")
            return 0

    def timers(self, now: datetime | None = None) -> dict[str, list[str]]:
        """What is due by the clock: scheduled releases and expiries, and (every
        `supervision_interval_s`) the freshness sweep. One process at a time runs them."""
        done = self.publishing.run_due(now)
        moment = now or utc_now()
        if moment >= self._next_seal:
            self._next_seal = moment + timedelta(seconds=self.config.settings.seal_interval_s)
            self.seal()
        if moment >= self._next_sweep:
            settings = self.config.settings
            self._next_sweep = moment + timedelta(seconds=settings.supervision_interval_s)
            from hub.supervision.sweep import sweep_freshness

            swept = sweep_freshness(self.work_orders, self.config.directory, self.store, moment,
                                    settings.freshness_warning_days)  # fmt: skip
            if swept.opened or swept.closed:
                done |= {"orders_opened": swept.opened, "orders_closed": swept.closed}
        return done

    def react(self) -> int:
        """Run every policy over the events after its checkpoint; the entities touched."""
        reacted = sum(run_policy(self.store, policy) for policy in self.policies)
        if reacted:
            self.catch_up()
        return reacted

    def _adapters(self) -> dict[str, ChannelAdapter]:
        from channels.app.adapter import AppAdapter
        from channels.screen.adapter import ScreenAdapter
        from channels.website.adapter import WebsiteAdapter
        from channels.wechat.adapter import WeChatAdapter
        from channels.weibo.adapter import WeiboAdapter
        from hub.delivery.accounts import (
            app_accounts,
            article_link,
            wechat_accounts,
            weibo_accounts,
        )
        from workflows.publication import Channel

        config = self.config
        directory = config.directory

        def column_name(site_key: str, column_id: str) -> str:
            site = directory.site(site_key) if site_key else None
            column = site.column(column_id) if site else None
            return column.name if column else ""

        def org_of(site_key: str) -> str:
            return directory.site(site_key).name if site_key else ""

        screens = {a.id for a in directory.accounts if a.channel is Channel.SCREEN}
        link = article_link(config)
        wechat = wechat_accounts(config, self.secrets, self.tokens)
        weibo = weibo_accounts(config, self.secrets, self.tokens)
        return {
            Channel.WEBSITE: WebsiteAdapter(website_sites(config), media=self.media),
            Channel.APP: AppAdapter(self.app_feed, app_accounts(config, self.secrets), column_name),
            Channel.SCREEN: ScreenAdapter(self.playlists, screens, org_of),
            Channel.WECHAT: WeChatAdapter(wechat.apis, self.media, link, wechat.problems),
            Channel.WEIBO: WeiboAdapter(weibo.apis, link, self.media, weibo.problems),
        }

    def demo_passwords(self) -> dict[str, str]:
        """With `demo_logins`, each configured user's generated password (set on first use);
        else nothing."""
        if not self.config.settings.demo_logins:
            return {}
        passwords = {}
        for user in self.config.directory.users:
            password = self.secrets.get(f"password/{user.id}", generate=True, size=9)
            assert password is not None
            if not self.logins.has_password(user.id):
                self.logins.set_password(user.id, password)
            passwords[user.id] = password
        return passwords

    def wechat_callback(self, account: str) -> CallbackKeys | None:
        """The keys of what WeChat pushes for an official account (None: no callback)."""
        from hub.delivery.accounts import wechat_callback

        return wechat_callback(self.config, self.secrets, account)

    def screen_token(self, screen: str) -> str:
        """The read-only bearer token of a screen (generated on first use)."""
        token = self.secrets.get(f"screen/{screen}", generate=True)
        assert token is not None
        return token

    @classmethod
    def open(
        cls,
        config_dir: str | Path,
        overrides: dict[str, Any] | None = None,
        *,
        share: Share | None = None,
        worker: str | None = None,
    ) -> EmbeddedHub:
        """Load a configuration folder, open its event store, record the check dictionaries
        if they changed, and bring the read models up to date."""
        hub = cls(load_config(config_dir, overrides), share=share, worker=worker)
        try:
            hub.record_dictionaries()
            hub.catch_up()
        except BaseException:
            hub.close()
            raise
        return hub

    def _engine_caught_up(self) -> None:
        """The engine's catch-up: small batches, yielding to users' commands between them
        (a batch holds the write lock while it folds)."""
        pause = self.foreground.yield_to_users
        pause()
        for projection in self._engine_projections:
            catch_up(self.store, projection, batch_size=ENGINE_BATCH,
                     progress=lambda _: pause())  # fmt: skip

    def catch_up(self, streams: str | None = None) -> int:
        """Bring every projection (or those of the streams with prefix `streams`) up to the
        newest event; return how many events were applied."""
        return sum(
            catch_up(self.store, p)
            for p in self.projections
            if streams is None or p.stream_prefix == streams
        )

    def record_dictionaries(self) -> RecordedEvent | None:
        """Record the loaded check dictionaries if they differ from the last recorded version."""
        return record_dictionaries(
            self.store, self.config.dictionaries, source=str(self.config.root / "checks")
        )

    def rebuild(self, progress: Progress | None = None) -> int:
        """Drop and replay every projection, then index the live articles for search again;
        return the number of events replayed."""
        replayed = sum(rebuild(self.store, p, progress=progress) for p in self.projections)
        self.search.rebuild()
        return replayed

    def seal(self) -> Seal | None:
        """Sign the head of the log as a checkpoint, if it moved since the last one."""
        store = self.store
        if not isinstance(store, SQLEventStore):
            return None
        try:
            return store.seal(utc_now().isoformat(timespec="seconds"))
        except StoreError as exc:  # busy: the next round seals
            log.warning("audit.seal_failed", error=str(exc))
            return None

    def close(self) -> None:
        """Stop the delivery threads; sign the head of the log; close the event store and
        the channels' stores."""
        if "deliveries" in self.__dict__:
            self.deliveries.close()
        self.seal()
        self.store.close()
        if self._ledger_publisher is not None:
            self._ledger_publisher.close()
        if self.redis is not None:
            self.redis.close()
        if "search" in self.__dict__:
            self.search.engine.close()
        for opened in ("app_feed", "playlists"):
            if opened in self.__dict__:
                self.__dict__[opened].close()
        self.logins.close()
        self.secrets.close()

    def __enter__(self) -> EmbeddedHub:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
