"""Government sites with scripted faults, for supervision's tests and demo: each site key
answers its homepage and column pages, unless a fault is set for it — `down` (HTTP 503),
`refuse` (the connection closed without an answer: HTTP 502 from this server), `slow` (an
answer after `slow_s` seconds, past a probe's timeout) — or a share of its requests fails
(`flaky`, e.g. 0.05: one request in twenty, the national veto's threshold). The server
counts requests per page and the most it served at once (per-host politeness is measured
here, not assumed).

With `pages` set, each site is a small site of its own, as a site not on the platform is:
a homepage linking to `p1.html` … `pN.html`, each page linking to the homepage and the next
page, anything else a 404 — and the faults a crawl must find: a broken link (`broken`), an
outside link hidden by CSS on the homepage (`hidden`), a serious wording error on a page
(`wording`), and cloaking: an outside link only search spiders see (`cloak_ua`) or only
visitors coming from a search engine see (`cloak_referrer`); and what only a rendered page
shows: an outside link hidden by a style sheet's class (`hidden_css`) and one a script writes
for spiders and search visitors (`script_cloak`)."""

from __future__ import annotations

import asyncio
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route


@dataclass
class SupervisedSites:
    faults: dict[str, str] = field(default_factory=dict)  # site key -> down | refuse | slow
    flaky: dict[str, float] = field(default_factory=dict)  # site key -> share of failures
    slow_s: float = 3.0
    latency_s: float = 0.01  # every answer takes this long (a real server's time)
    requests: dict[str, int] = field(default_factory=dict)
    in_flight: int = 0
    most_at_once: int = 0
    seed: int = 7
    pages: int = 0  # pages per site (0: any address answers with a plain page)
    nav: int = 0  # links every page carries to the first pages (a site's navigation)
    # The date a site's homepage and column pages (…/<column>/index.html) show as their
    # newest item's (a site the hub does not write: its freshness is read off its pages).
    updated: dict[str, str] = field(default_factory=dict)
    broken: set[str] = field(default_factory=set)
    hidden: set[str] = field(default_factory=set)
    wording: set[str] = field(default_factory=set)
    cloak_ua: set[str] = field(default_factory=set)
    cloak_referrer: set[str] = field(default_factory=set)
    hidden_css: set[str] = field(default_factory=set)  # an outside link hidden by a class
    script_cloak: set[str] = field(default_factory=set)  # a link a script writes for searchers
    # Where injected links point: another host (the server's /_outside/ by another name, so
    # the links answer as a real gambling site's would); set once the server runs.
    outside: str = "http://127.0.0.1:1/_outside"

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    async def page(self, request: Request) -> Response:
        key, rest = request.path_params["key"], request.path_params.get("rest", "")
        path = f"{key}/{rest}"
        self.requests[path] = self.requests.get(path, 0) + 1
        self.in_flight += 1
        self.most_at_once = max(self.most_at_once, self.in_flight)
        try:
            await asyncio.sleep(self.latency_s)  # a real server takes a moment: requests overlap
            fault = self.faults.get(key)
            if fault == "down":
                return Response("Service Unavailable", status_code=503)
            if fault == "refuse":
                return Response("Bad Gateway", status_code=502)
            if fault == "slow":
                await asyncio.sleep(self.slow_s)
            if self._random.random() < self.flaky.get(key, 0.0):
                return Response("Gateway Timeout", status_code=504)
            if self.pages:
                return self._site_page(request, key, rest)
            return HTMLResponse(f"<!DOCTYPE html><html lang=\"zh-CN\"><title>{key}</title>"
                                f"<body><h1>{key}</h1><p>{rest or '首页'}</p></body></html>")  # fmt: skip
        finally:
            self.in_flight -= 1

    def _site_page(self, request: Request, key: str, rest: str) -> Response:
        home = rest in ("", "index.html")
        number = int(rest[1:-5]) if re.fullmatch(r"p\d+\.html", rest) else 0
        if key in self.updated and rest.endswith("/index.html"):  # a column's list
            return HTMLResponse(f'<!DOCTYPE html><html lang="zh-CN"><title>{key}</title><body>'
                                f'<main><ul><li><a href="../p1.html">信息 1</a> '
                                f"<span>{self.updated[key]}</span></li></ul></main></body></html>")  # fmt: skip
        if not home and not 1 <= number <= self.pages:
            return HTMLResponse("<p>页面不存在</p>", status_code=404)
        links = [f'<li><a href="p{n}.html">信息 {n}</a></li>' for n in range(1, self.pages + 1)]
        body = f"<ul>{''.join(links)}</ul>" if home else (
            f'<p>第 {number} 条信息。</p><p><a href="index.html">首页</a>'
            + (f' <a href="p{number + 1}.html">下一条</a>' if number < self.pages else "")
            + "</p>")  # fmt: skip
        if self.nav:
            body += "<nav>" + "".join(f'<a href="p{n}.html">栏目 {n}</a>'
                                      for n in range(1, min(self.nav, self.pages) + 1)) + "</nav>"  # fmt: skip
        if home and key in self.updated:
            body += f"<p>更新日期：{self.updated[key]}</p>"
        if number == 1 and key in self.broken:
            body += '<p><a href="missing.html">相关文件</a></p>'
        if number == 2 and key in self.wording:
            body += "<p>本网站提供网上赌场入口。</p>"
        if home and key in self.hidden:
            body += f'<div style="display:none"><a href="{self.outside}/hidden">娱乐</a></div>'
        if home and key in self.hidden_css:
            body += ('<style>.friend-links{position:absolute;left:-9999px}</style>'
                     f'<div class="friend-links"><a href="{self.outside}/css-hidden">娱乐</a></div>')  # fmt: skip
        if home and key in self.script_cloak:
            body += ("<script>if(document.referrer.indexOf('baidu.com')>=0||/spider/i.test("
                     "navigator.userAgent)){var a=document.createElement('a');"
                     f"a.href='{self.outside}/js-cloak';a.textContent='娱乐';"
                     "document.body.appendChild(a)}</script>")  # fmt: skip
        agent = request.headers.get("user-agent", "").lower()
        if home and key in self.cloak_ua and ("spider" in agent or "bot" in agent):
            body += f'<a href="{self.outside}/for-spiders">娱乐</a>'
        referrer = request.headers.get("referer", "")
        if home and key in self.cloak_referrer and "baidu.com" in referrer:
            body += f'<script src="{self.outside}/redirect.js"></script>'
        return HTMLResponse(f'<!DOCTYPE html><html lang="zh-CN"><title>{key}</title><body>'
                            f"<main><h1>{key}</h1>{body}</main></body></html>")  # fmt: skip

    async def _outside(self, request: Request) -> Response:
        return HTMLResponse("<p>外部网站</p>")

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/_outside/{rest:path}", self._outside),
            Route("/{key}/", self.page),
            Route("/{key}/{rest:path}", self.page),
        ])  # fmt: skip


@dataclass
class HackedFront:
    """The web server in front of a hub's site folders, as a hacked one behaves: it serves
    the files the hub wrote (`/{key}/…` from `root/key/…`) but adds `extra` before `</body>`
    of chosen pages only for search spiders (`cloak_ua`) or only for visitors coming from a
    search engine (`cloak_referrer`) — cloaking, which a look with a browser never sees."""

    root: Path
    cloak_ua: dict[str, str] = field(default_factory=dict)  # "key/path" -> html added
    cloak_referrer: dict[str, str] = field(default_factory=dict)

    async def page(self, request: Request) -> Response:
        key, rest = request.path_params["key"], request.path_params.get("rest", "")
        path = (self.root / key / (rest or "index.html")).resolve()
        if not path.is_relative_to(self.root.resolve()) or not path.is_file():
            return HTMLResponse("<p>页面不存在</p>", status_code=404)
        html = path.read_text(encoding="utf-8")
        name = f"{key}/{rest or 'index.html'}"
        agent = request.headers.get("user-agent", "").lower()
        if name in self.cloak_ua and ("spider" in agent or "bot" in agent):
            html = html.replace("</body>", self.cloak_ua[name] + "</body>")
        if name in self.cloak_referrer and "baidu.com" in request.headers.get("referer", ""):
            html = html.replace("</body>", self.cloak_referrer[name] + "</body>")
        return HTMLResponse(html)

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/{key}/", self.page),
            Route("/{key}/{rest:path}", self.page),
        ])  # fmt: skip
