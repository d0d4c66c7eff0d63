"""Protocol-faithful sandboxes of the channels that live outside (JPush now; WeChat and Weibo
join them), served together on one local port by `hub serve` and by the tests."""

from __future__ import annotations

from starlette.applications import Starlette

from channels.sandboxes.jpush import JPushSandbox


def sandbox_app(jpush: JPushSandbox) -> Starlette:
    """One ASGI app holding every sandbox's routes (their paths do not overlap)."""
    return Starlette(routes=list(jpush.app().routes))
