"""Read models kept by subscribers: article list, review queues, article history, 索引号,
publications, deliveries, search, work orders."""

from __future__ import annotations

import workflows.event_types  # noqa: F401  (every event type: this reads events it did not write)
from events.store import EventStore
from events.subscriptions import Subscriber
from hub.projections.article_search import ArticleSearchProjection
from hub.projections.articles import ArticlesProjection
from hub.projections.deliveries import DeliveriesProjection
from hub.projections.delivery_sources import DeliverySourcesProjection
from hub.projections.history import HistoryProjection, Names
from hub.projections.index_numbers import IndexNumbersProjection
from hub.projections.media_refs import MediaRefsProjection
from hub.projections.notifications import InboxProjection, NotificationsProjection
from hub.projections.probes import ProbesProjection
from hub.projections.publications import PublicationsProjection
from hub.projections.published_items import PublishedItemsProjection
from hub.projections.reuses import ReferencesProjection, ReusesProjection
from hub.projections.work_orders import WorkOrdersProjection
from hub.setup.directory import Directory


def all_projections(store: EventStore, names: Names | None = None) -> list[Subscriber]:
    """Every projection of the hub, in the order they are caught up; `names` names sites
    and targets in the history's lines."""
    return [
        ArticlesProjection(store),
        HistoryProjection(names),
        IndexNumbersProjection(),
        PublicationsProjection(),
        DeliveriesProjection(),
        DeliverySourcesProjection(),
        MediaRefsProjection(),
        ArticleSearchProjection(),
        WorkOrdersProjection(),
        ProbesProjection(),
        PublishedItemsProjection(),
        NotificationsProjection(names if isinstance(names, Directory) else None),
        InboxProjection(),
        ReusesProjection(),
        ReferencesProjection(),
    ]
