"""P19 on the sites: a policy document's page links its interpretations and an
interpretation's page links its document — both ways, even when only one side declared the
link — as each goes live, is corrected or is taken off; `hub sites render` gives the same."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from hub.runtime.embedded import EmbeddedHub
from tests.helpers import ROOT, STAGES

pytestmark = pytest.mark.slow

POLICY = "<p>为规范政务公开工作，制定本办法。</p>"
# The policy-document workflow of gov's 政策文件 columns (config/workflows.yaml).
POLICY_STAGES = (
    ("liting", ["wording", "secrecy", "legal"]),
    ("wangqiang", ["legal", "policy", "secrecy", "wording"]),
    ("chenjing", ["political", "legal", "policy", "secrecy", "wording", "public_opinion"]),
)
READING = "<p>现就《办法》解读如下。</p>"


def publish(hub: EmbeddedHub, column: str, title: str, related: list[str] | None = None) -> str:
    meta = {"related_articles": related} if related else None
    article = hub.articles.create("zhangwei", "gov", [column], title, POLICY if column != "interpretation" else READING, meta).article_id  # fmt: skip
    hub.articles.submit("zhangwei", article)
    approve(hub, article, POLICY_STAGES if column.startswith("policy") else STAGES)
    hub.publishing.publish("qianli", article, [f"gov/{column}"], feeds=False)
    hub.work()
    return article


def approve(hub: EmbeddedHub, article: str, stages: tuple[tuple[str, list[str]], ...]) -> None:
    state, _ = hub.articles.state(article)
    for finding in state.open_findings():  # P19: the document does not link back (yet)
        hub.articles.override(stages[0][0], article, finding.id, "原文稍后补充关联")
    for user, gates in stages:
        hub.articles.approve(user, article, gates)


def related_links(hub: EmbeddedHub, column: str, article: str) -> list[tuple[str, str]]:
    """(label, linked page) of the page's related block; [] when it shows none."""
    page = (hub.config.sites_root / "gov" / column / f"{article}.html").read_text("utf-8")
    block = re.search(r'<aside class="related"[^>]*>(.*?)</aside>', page, re.S)
    assert block is not None
    heading = re.search(r"<h2>(.*?)</h2>", block.group(1))
    return [(heading.group(1) if heading else "", href)
            for href in re.findall(r'href="\.\./([^"]+)\.html"', block.group(1))]  # fmt: skip


def test_policy_and_interpretation_pages_link_each_other(
    hub: EmbeddedHub, config_dir: Path, html_validator: Callable[[Path], list[dict]]
) -> None:
    policy = publish(hub, "policy-gov", "示范省政务公开办法")
    assert related_links(hub, "policy-gov", policy) == []
    # Only the interpretation declares the link: both pages show it.
    reading = publish(hub, "interpretation", "《示范省政务公开办法》解读", [policy])
    assert related_links(hub, "interpretation", reading) == [("政策原文", f"policy-gov/{policy}")]
    assert related_links(hub, "policy-gov", policy) == [("相关解读", f"interpretation/{reading}")]
    # A second interpretation (图解) joins the document's block, oldest first.
    chart = publish(hub, "interpretation", "图解：示范省政务公开办法", [policy])
    assert [href for _, href in related_links(hub, "policy-gov", policy)] == [
        f"interpretation/{reading}", f"interpretation/{chart}"]  # fmt: skip
    docroot = hub.config.sites_root / "gov"
    for page in (
        docroot / "policy-gov" / f"{policy}.html",
        docroot / "interpretation" / f"{chart}.html",
    ):
        assert html_validator(page) == []
    # A correction of the interpretation's title shows on the document's page.
    hub.publishing.correct("zhangwei", reading, title="《示范省政务公开办法》政策解读")
    approve(hub, reading, STAGES)
    for _ in range(3):
        hub.work()
    page = (hub.config.sites_root / "gov" / "policy-gov" / f"{policy}.html").read_text("utf-8")
    assert "《示范省政务公开办法》政策解读</a>" in page
    # Retracting an interpretation takes its link off the document's page.
    hub.publishing.retract("qianli", chart, "重复")
    for _ in range(2):
        hub.work()
    assert related_links(hub, "policy-gov", policy) == [("相关解读", f"interpretation/{reading}")]
    # The whole site rendered anew from the log: the same bytes, related blocks included.
    before = {p: p.read_bytes() for p in docroot.rglob("*.html")}
    done = subprocess.run([sys.executable, "-m", "hub", "sites", "render", "gov", "--json"],
                          cwd=ROOT, env={**os.environ, "HUB_CONFIG": str(config_dir)},
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    after = {p: p.read_bytes() for p in docroot.rglob("*.html")}
    assert sorted(after) == sorted(before)
    assert [str(p) for p in before if before[p] != after[p]] == []
