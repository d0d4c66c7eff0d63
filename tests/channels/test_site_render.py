"""`hub sites render`: a site whose document root (and page index) was lost comes back from
the log byte for byte as incremental publishing left it — pages, archive pages, homepage, Atom
feeds, sitemaps, manifests and media copies — after corrections and retractions."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hub.runtime.embedded import EmbeddedHub
from tests.helpers import NOTICE, ROOT, STAGES, approved

pytestmark = pytest.mark.slow


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}  # fmt: skip


def test_a_lost_site_comes_back_identical_from_the_log(hub: EmbeddedHub, config_dir: Path) -> None:
    pdf = hub.media.put(b"%PDF-1.7\n% render\n%%EOF", "附件.pdf")
    articles = []
    for n in range(23):  # more than a column page holds: archive pages too
        body = NOTICE + (f'<p><a href="{pdf.url}">附件</a></p>' if n % 10 == 0 else "")
        article = approved(hub, body=body, title=f"关于开展第{n + 1}批自查工作的通知")
        targets = ["gov/notices"] + (["gov/news-gov", "gov/personnel"] if n % 4 == 0 else [])
        hub.publishing.publish("qianli", article, targets, feeds=False)
        hub.work()
        articles.append(article)
    hub.publishing.correct("zhangwei", articles[2], title="关于开展第3批自查工作的通知（更正）")
    for user, gates in STAGES:
        hub.articles.approve(user, articles[2], gates)
    hub.work()
    hub.work()
    hub.publishing.retract("qianli", articles[5], "有误")
    hub.publishing.retract("qianli", articles[4], "有误")  # personnel emptied: its list stays
    hub.work()
    hub.work()
    sites = hub.config.sites_root
    docroot = sites / "gov"
    before, manifests = tree(docroot), tree(sites / ".manifests" / "gov")
    assert "notices/list-2.html" in before and any(k.startswith("media/") for k in before)
    assert "（更正）" in before[f"notices/{articles[2]}.html"].decode()
    assert f"notices/{articles[5]}.html" not in before
    # The site is lost: its folder, its manifests and its page index.
    shutil.rmtree(docroot)
    shutil.rmtree(sites / ".manifests" / "gov")
    done = subprocess.run([sys.executable, "-m", "hub", "sites", "render", "gov", "--json"],
                          cwd=ROOT, env={**os.environ, "HUB_CONFIG": str(config_dir)},
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    article_pages = [k for k in before if k.split("/")[-1].removesuffix(".html") in articles]
    assert json.loads(done.stdout)["pages"] == len(article_pages)
    after = tree(docroot)
    assert sorted(after) == sorted(before)
    changed = [name for name in before if before[name] != after[name]]
    assert changed == [], changed[:5]
    assert tree(sites / ".manifests" / "gov") == manifests
    # A delivery after the render lands on the rebuilt index as on the old one.
    late = approved(hub, title="关于开展第24批自查工作的通知")
    hub.publishing.publish("qianli", late, ["gov/notices"], feeds=False)
    hub.work()
    assert f"notices/{late}.html" in tree(docroot)
    bad = subprocess.run([sys.executable, "-m", "hub", "sites", "render", "nosuchsite"],
                         cwd=ROOT, env={**os.environ, "HUB_CONFIG": str(config_dir)},
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert bad.returncode != 0 and "Traceback" not in bad.stderr


def test_a_burst_renders_its_lists_once_and_leaves_what_one_by_one_would(
    hub: EmbeddedHub, config_dir: Path
) -> None:
    """Many pages of a site delivered at once (the engine's threads queue on the site's lock):
    the lists are marked stale and rendered by the last delivery of the burst — far fewer
    renderings than pages — and the site is byte for byte what `hub sites render` makes."""
    from hub.projections.deliveries import unsettled_count

    adapter = hub.adapters["website"]
    flushes: list[int] = []
    real = adapter.lists.flush
    adapter.lists.flush = lambda *a: flushes.append(real(*a)) or flushes[-1]  # type: ignore[method-assign]
    articles = []
    for n in range(45):
        article = approved(hub, title=f"关于开展第{n + 1}批检查工作的通知")
        hub.publishing.publish("qianli", article, ["gov/notices"], feeds=False)
        articles.append(article)
    for article in articles[10:14]:  # a burst of retractions too
        hub.work()
        hub.publishing.retract("qianli", article, "有误")
    hub.work()
    while unsettled_count(hub.store):
        hub.work()
    rendered = [f for f in flushes if f]
    assert 0 < len(rendered) < 45 - 4, rendered  # once per burst, not once per page
    docroot = hub.config.sites_root / "gov"
    before = tree(docroot)
    assert "notices/list-2.html" in before and f"notices/{articles[11]}.html" not in before
    shutil.rmtree(docroot)
    shutil.rmtree(hub.config.sites_root / ".manifests" / "gov")
    done = subprocess.run([sys.executable, "-m", "hub", "sites", "render", "gov", "--json"],
                          cwd=ROOT, env={**os.environ, "HUB_CONFIG": str(config_dir)},
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    after = tree(docroot)
    assert sorted(after) == sorted(before)
    assert [name for name in before if before[name] != after[name]] == []
