"""A site's pages, lists, feeds and sitemaps rendered anew from the log (`hub sites render`):
the live pages are the website targets the log says are live, each with the revision last
delivered there and the time it first went live there."""

from __future__ import annotations

from collections.abc import Callable

from channels.contract import DeliveryItem
from channels.website.adapter import WebsiteAdapter
from channels.website.rerender import rerender_site
from hub.projections.deliveries import DELIVERIES_TABLE
from hub.projections.publications import LIVE_TARGETS
from hub.runtime.embedded import EmbeddedHub
from workflows.publication import Channel


def live_pages(hub: EmbeddedHub, site_code: str) -> tuple[list[tuple[DeliveryItem, str]], set[str]]:
    """The site's live pages (the delivered item and when it first went live there, oldest
    first) and the columns that ever had a page."""
    store = hub.store
    prefix = f"{Channel.WEBSITE}:{site_code}/"
    pages = []
    live = store.rows(LIVE_TARGETS, {}, ("target", "article_id", "published_at"))
    for target, article_id, published_at in sorted(live, key=lambda r: (str(r[2]), str(r[1]))):
        if not str(target).startswith(prefix):
            continue
        delivered = store.rows(DELIVERIES_TABLE, {"article_id": article_id, "target": target,
                                                  "status": "delivered"},
                               ("delivery_id",), order_by=("seq",))  # fmt: skip
        if delivered:
            pages.append((hub.deliveries.item_of(str(delivered[-1][0])), str(published_at)))
    used = store.rows(DELIVERIES_TABLE, {"channel": str(Channel.WEBSITE), "account": site_code,
                                         "status": ["delivered", "retracted"]}, ("target",))  # fmt: skip
    columns = {str(row[0]).rsplit("/", 1)[1] for row in used}
    return pages, columns


def render_sites(
    hub: EmbeddedHub, site_keys: list[str], progress: Callable[[int], None] = lambda _: None
) -> dict[str, int]:
    """Render the sites anew; pages written per site key."""
    adapter = hub.adapters[str(Channel.WEBSITE)]
    assert isinstance(adapter, WebsiteAdapter)
    hub.catch_up()
    written = {}
    for key in site_keys:
        site = hub.config.directory.site(key)
        pages, columns = live_pages(hub, site.code)
        written[key] = rerender_site(adapter, adapter.sites[site.code], pages, columns, progress)
    return written
