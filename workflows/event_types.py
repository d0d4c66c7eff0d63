"""Every event type of the hub, registered by importing this module: whatever reads events it
did not write (a projection worker from Kafka, the audit, a replay) imports it, so no event
type depends on which modules happened to be loaded (commands load lazily)."""

from __future__ import annotations

import workflows.article_events
import workflows.delivery_events
import workflows.dictionary_events
import workflows.inbox_events
import workflows.probe_events
import workflows.reuse_events
import workflows.work_order_events

MODULES = (
    workflows.article_events,
    workflows.delivery_events,
    workflows.dictionary_events,
    workflows.inbox_events,
    workflows.probe_events,
    workflows.reuse_events,
    workflows.work_order_events,
)
