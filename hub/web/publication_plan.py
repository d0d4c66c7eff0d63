"""What a publish offers one user for one article: the columns of every site where the user
publishes (the article's own checked, its site first; 一稿多发 to the others), those sites'
accounts, and for each account the reasons it would refuse the article now (preflight).
The console's publish form and the API's plan read the same."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hub.web.preflight import preflight
from workflows.article_commands import ActingUser
from workflows.article_state import ArticleState
from workflows.publication import CHANNEL_LABELS
from workflows.publication_decider import publishes_on

if TYPE_CHECKING:
    from hub.runtime.embedded import EmbeddedHub


def publication_plan(hub: EmbeddedHub, state: ArticleState, actor: ActingUser) -> dict[str, Any]:
    directory = hub.config.directory
    own = {f"{s.key}/{c}" for s in directory.sites if s.code == state.site
           for c in state.columns}  # fmt: skip
    mine = {s.code for s in directory.sites if publishes_on(actor, s.code)}
    sites = sorted(
        (s for s in directory.sites if s.code in mine), key=lambda s: s.code != state.site
    )
    site_keys = {s.key: s.code for s in directory.sites}
    refusals = preflight(hub, state)
    return {
        "sites": [
            {"key": site.key, "code": site.code, "name": site.name, "own": site.code == state.site,
             "columns": [{"ref": f"{site.key}/{column.id}", "name": column.name,
                          "depth": len(parents), "checked": f"{site.key}/{column.id}" in own}
                         for column, parents in site.walk()]}
            for site in sites
        ],
        "accounts": [
            {"ref": f"{a.channel}:{a.id}", "name": a.name,
             "channel": CHANNEL_LABELS.get(a.channel, str(a.channel)),
             "site": directory.site_name(site_keys.get(a.site, a.site)),
             "problems": refusals.get(f"{a.channel}:{a.id}", [])}
            for a in directory.accounts
            if a.channel in hub.adapters  # channels this hub can deliver to
            and site_keys.get(a.site, a.site) in mine
        ],
    }  # fmt: skip
