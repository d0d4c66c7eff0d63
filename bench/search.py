"""Article search on a hub holding N articles: full text (Chinese, FTS5 trigram), filters and
cursor pages, with a site editor's visibility applied in the query, as the API runs it.

The articles are real `ArticleCreated` events (and `ArticlePublished` for half of them, a tenth
of those also to another site) appended in batches and folded by the hub's own projections;
then a fixed set of searches is timed: the first page of a text search, of a filtered list,
and page 20 of a list reached by cursor.

    python -m bench.search --articles 100000

Ends with: search: articles=N p95_ms=X deep_page_p95_ms=Y
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from events.envelope import Actor, NewEvent
from events.ids import new_id
from hub.queries.article_search import ArticleQuery
from hub.runtime.embedded import EmbeddedHub
from hub.runtime.logs import configure_logging
from hub.web.security import visibility
from tests.conftest import CONFIG
from workflows.article_events import ArticleCreated, ArticlePublished
from workflows.content import ArticleContent
from workflows.publication import Channel, Publication, Target

WORDS = ("安全生产", "供暖保障", "防汛抗旱", "营商环境", "政务公开", "乡村振兴", "医疗保障",
         "义务教育", "养老服务", "生态环境", "交通运输", "住房保障", "市场监管", "应急管理",
         "科技创新", "文化旅游", "人才引进", "数字政府", "财政预算", "统计公报")  # fmt: skip
AUTHORS = {"gov": "zhangwei", "drc": "zhoumin", "edu": "sunyan", "city": "linfang"}
START = datetime(2024, 1, 1, tzinfo=UTC)


def body(rng: random.Random) -> str:
    sentences = [f"关于{rng.choice(WORDS)}工作，{rng.choice(WORDS)}相关单位要{rng.choice(WORDS)}。"
                 for _ in range(12)]  # fmt: skip
    return "<p>" + "".join(sentences) + "</p>"


def seed(hub: EmbeddedHub, count: int, rng: random.Random) -> None:
    sites = [hub.config.directory.site(key) for key in AUTHORS]
    batch: list[tuple[str, list[NewEvent], int]] = []
    for n in range(count):
        site = sites[n % len(sites)]
        column = site.column("notices")
        assert column is not None
        article = new_id()
        title = f"关于做好{rng.choice(WORDS)}和{rng.choice(WORDS)}工作的通知（第{n}号）"
        actor = Actor(user_id=AUTHORS[site.key], role="editor")
        content = ArticleContent(title=title, body_html=body(rng))
        created = ArticleCreated(
            article_id=article, site=site.code, columns=("notices",), author=actor.user_id,
            workflow=hub.config.workflow_for(site, column), revision=1, content=content,
            content_hash=content.content_hash(),
        )  # fmt: skip
        events = [NewEvent(created, actor, new_id())]
        if n % 2 == 0:
            targets = [Target(channel=Channel.WEBSITE, account=site.code, column="notices")]
            if n % 20 == 0:  # one in ten publications also goes to another site
                other = sites[(n + 1) % len(sites)]
                targets.append(Target(channel=Channel.WEBSITE, account=other.code, column="news"))
            publication = Publication(
                publication_id=new_id(), revision=1, content_hash=content.content_hash(),
                targets=tuple(targets), publish_at=START + timedelta(minutes=n),
            )  # fmt: skip
            events.append(NewEvent(ArticlePublished(publication=publication, published_by="qianli",
                                                    added_targets=tuple(targets)),
                                   actor, new_id()))  # fmt: skip
        batch.append((f"article-{article}", events, 0))
        if len(batch) == 2000:
            hub.store.append_many(batch)
            batch = []
    if batch:
        hub.store.append_many(batch)
    hub.catch_up()


def timed(run: object, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()  # type: ignore[operator]
        times.append((time.perf_counter() - started) * 1000)
    return times


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else max(values)


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=100, help="timed searches of each kind")
    args = parser.parse_args(argv)
    configure_logging("warning")
    rng = random.Random(19)
    with tempfile.TemporaryDirectory(prefix="hub-search-") as tmp:
        config = Path(tmp) / "config"
        shutil.copytree(CONFIG, config)
        (config / "hub.yaml").write_text(f"database: {tmp}/hub.sqlite3\ndurable: false\n",
                                         encoding="utf-8")  # fmt: skip
        with EmbeddedHub.open(config) as hub:
            started = time.perf_counter()
            seed(hub, args.articles, rng)
            setup = time.perf_counter() - started
            editor = visibility(hub, "zhangwei")  # one site's editor: the common case
            words = [w[:3] for w in WORDS] + list(WORDS)
            first: list[float] = []
            for word in words:
                first += timed(lambda w=word: hub.articles.search(ArticleQuery(q=w), editor),
                               max(1, args.queries // len(words)))  # fmt: skip
            filtered = timed(lambda: hub.articles.search(
                ArticleQuery(status="published", column="notices"), editor), args.queries)  # fmt: skip
            cursor = None
            for _ in range(19):  # walk to page 20 once, then time that page
                _items, cursor = hub.articles.search(ArticleQuery(cursor=cursor), editor)
            deep = timed(lambda: hub.articles.search(ArticleQuery(cursor=cursor), editor),
                         args.queries)  # fmt: skip
            text_cursor = None
            for _ in range(19):  # the same for a text search, by its own cursor
                _items, text_cursor = hub.articles.search(
                    ArticleQuery(q="安全生产", cursor=text_cursor), editor)  # fmt: skip
            deep_text = timed(lambda: hub.articles.search(
                ArticleQuery(q="安全生产", cursor=text_cursor), editor), args.queries)  # fmt: skip
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cpus, Python {platform.python_version()}"
    )
    print(f"setup: {args.articles} articles appended and projected in {setup:.1f} s")
    print(
        f"text search, first page: p50 {statistics.median(first):.1f} ms, p95 {p95(first):.1f} ms"
    )
    print(f"filtered list, first page: p95 {p95(filtered):.1f} ms")
    print(
        f"page 20 by cursor: p95 {p95(deep):.1f} ms; text search from there: p95 {p95(deep_text):.1f} ms"
    )
    overall = p95(first + filtered)
    deep_all = p95(deep + deep_text)
    print(f"search: articles={args.articles} p95_ms={overall:.1f} deep_page_p95_ms={deep_all:.1f}")
    return {"p95_ms": overall, "deep_page_p95_ms": deep_all}


if __name__ == "__main__":
    main()
