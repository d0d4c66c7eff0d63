"""Incremental publish latency into a site that already holds N articles, against a full
rebuild of the same site. One site with ten columns; existing articles are listed in the site's
page index (as years of publishing would leave it); then new articles are delivered one by
one through the website adapter (article page, column index, archive page, Atom feed,
homepage, sitemap block), and the median time per article is printed for each size.

    python -m bench.incremental --sizes 1000,10000,100000

Ends with: incremental_ms: 1000=A 10000=B 100000=C full_rebuild_100000_s=D
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from channels.contract import DeliveryItem
from channels.website.adapter import WebsiteAdapter
from channels.website.site_index import Listed
from workflows.content import ArticleContent
from workflows.delivery_events import DeliveryAction
from workflows.publication import Channel, Target

COLUMNS = [f"c{n}" for n in range(10)]
START = datetime(2020, 1, 1, tzinfo=UTC)
BODY = "<p>现将有关事项通知如下。</p>" * 30
NEW = 40  # articles published per size, timed one by one


def site(root: Path) -> dict[str, object]:
    return {"key": "demo", "code": "9900000099", "name": "示范省人民政府", "theme": None,
            "domain": "www.demo.gov.cn", "docroot": str(root / "demo"),
            "columns": {c: {"id": c, "name": f"栏目{c}", "type": "通知公告"} for c in COLUMNS}}  # fmt: skip


def item(n: int) -> DeliveryItem:
    column = COLUMNS[n % len(COLUMNS)]
    return DeliveryItem(
        delivery_id=f"d{n}", article_id=f"a{n:07d}", revision=1, content_hash="h",
        target=Target(channel=Channel.WEBSITE, account="9900000099", column=column),
        action=DeliveryAction.PUBLISH,
        content=ArticleContent(title=f"关于第{n}项工作的通知", body_html=BODY),
        published_at=START + timedelta(minutes=n),
    )  # fmt: skip


def seeded(root: Path, size: int) -> WebsiteAdapter:
    website = WebsiteAdapter({"9900000099": site(root)})
    listed = []
    for n in range(size):
        it = item(n)
        listed.append(Listed(it.article_id, str(it.target.column), it.content.title,
                             website.url(it), it.published_at.isoformat()))  # fmt: skip
    website.index_of(website.sites["9900000099"]).put_many(listed)
    return website


def incremental(size: int) -> float:
    with tempfile.TemporaryDirectory(prefix="hub-incr-") as name:
        website = seeded(Path(name), size)
        for n in range(size, size + 3):  # the first lists of each kind get written
            website.send(item(n))
        timings = []
        for n in range(size + 3, size + 3 + NEW):
            started = time.perf_counter()
            website.send(item(n))
            timings.append((time.perf_counter() - started) * 1000)
        return statistics.median(timings)


def full_rebuild(size: int) -> float:
    """Render every page of the site from scratch: articles, lists, feeds, sitemaps."""
    with tempfile.TemporaryDirectory(prefix="hub-full-") as name:
        website = seeded(Path(name), size)
        facts = website.sites["9900000099"]
        env = website.env_of(facts)
        index = website.index_of(facts)
        started = time.perf_counter()
        for n in range(size):
            it = item(n)
            path = website.page_path(it)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(website.render(it), encoding="utf-8")
        for column in facts["columns"].values():  # type: ignore[union-attr]
            website.lists.column(env, facts, index, column, 0, removed=False)
        website.lists.home(env, facts, index)
        website.lists.sitemap(env, facts, index, 0, removed=False)
        return time.perf_counter() - started


def main(argv: list[str] | None = None) -> dict[str, float | None]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--no-rebuild", action="store_true", help="skip the full rebuild")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    results = {}
    for size in sizes:
        results[size] = incremental(size)
        print(f"size={size}: median {results[size]:.1f} ms per published article ({NEW} timed)")
    rebuild = None if args.no_rebuild else full_rebuild(max(sizes))
    print(
        f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    line = " ".join(f"{s}={results[s]:.1f}" for s in sizes)
    shown = "skipped" if rebuild is None else f"{rebuild:.1f}"
    print(f"incremental_ms: {line} full_rebuild_{max(sizes)}_s={shown}")
    return {"rebuild_s": rebuild, **{str(k): v for k, v in results.items()}}


if __name__ == "__main__":
    main()
