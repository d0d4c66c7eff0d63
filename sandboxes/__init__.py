"""Protocol-faithful sandboxes of the channels that live outside (JPush, WeChat official
accounts, Weibo), served together on one local port by `hub serve` and by the tests."""

from __future__ import annotations

from html import escape

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from sandboxes.jpush import JPushSandbox
from sandboxes.wechat import WeChatSandbox
from sandboxes.weibo import WeiboSandbox


def sandbox_app(
    jpush: JPushSandbox, wechat: WeChatSandbox | None = None, weibo: WeiboSandbox | None = None
) -> Starlette:
    """One ASGI app holding every sandbox's routes (their paths do not overlap), and a page
    at `/_sandbox/` showing what each platform has published."""

    async def index(request: Request) -> HTMLResponse:
        rows = []
        for task in wechat.published() if wechat else []:
            for idx, article in enumerate(task.articles, start=1):
                state = "已删除" if idx in task.deleted else "已群发" if task.msg_id else "已发表"
                url = wechat.article_url(task, idx)  # type: ignore[union-attr]
                rows.append(("微信公众号", task.appid, article["title"], state, url))
        for status in weibo.posted(include_deleted=True) if weibo else []:
            name = weibo.users.get(status.uid)  # type: ignore[union-attr]
            url = f"/_sandbox/weibo/status/{status.id}"
            rows.append(("微博", name.screen_name if name else status.uid, status.text,
                         "已删除" if status.deleted else "已发布", url))  # fmt: skip
        body = "".join(
            f'<tr><td>{escape(c)}</td><td>{escape(a)}</td><td><a href="{escape(u)}">'
            f"{escape(t)}</a></td><td>{s}</td></tr>"
            for c, a, t, s, u in rows
        )
        return HTMLResponse(
            '<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>渠道沙箱</title>'
            '<body style="font-family:sans-serif;margin:2em"><h1>渠道沙箱：已发布的内容</h1>'
            "<table border=1 cellpadding=6><tr><th>平台</th><th>账号</th><th>内容</th>"
            f"<th>状态</th></tr>{body}</table></body></html>"
        )

    routes = [Route("/_sandbox/", index), *jpush.app().routes]
    for sandbox in (wechat, weibo):
        if sandbox is not None:
            routes.extend(sandbox.app().routes)
    return Starlette(routes=routes)
