"""Bringing other sites' published items into the hub from their feeds (网上抓取): each entry
becomes a draft of the receiving site's column with its source and link recorded, to be
reviewed there like any article (先审后发). An entry is recognised again by its id: read a
second time it creates nothing; changed at the source while still a draft, the draft gets
the new text; once in review or published it is left alone (the site's own version)."""

from __future__ import annotations

import html
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from events.decider import derived_id
from hub.commands.article_service import ArticleService
from hub.content.feeds import FeedEntry, parse_feed
from workflows.errors import DomainError
from workflows.vocabulary import ArticleStatus, Role

MAX_FEED = 5_000_000  # bytes
TIMEOUT_S = 15


@dataclass
class IngestReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # empty bodies, refused content

    def as_json(self) -> dict[str, list[str]]:
        return {"created": self.created, "updated": self.updated,
                "unchanged": self.unchanged, "skipped": self.skipped}  # fmt: skip


def read_feed(where: str) -> bytes:
    """A feed from an http(s) URL (15 s, at most 5 MB) or a file."""
    if where.startswith(("http://", "https://")):
        try:
            with urllib.request.urlopen(where, timeout=TIMEOUT_S) as answer:
                data = answer.read(MAX_FEED + 1)
        except OSError as exc:
            raise DomainError("FEED_UNREACHABLE", f"无法读取 {where}: {exc}") from None
    elif "://" in where:
        raise DomainError("FEED_INVALID", "只能读取 http(s) 地址或本机文件")
    else:
        try:
            data = Path(where).read_bytes()[: MAX_FEED + 1]
        except OSError as exc:
            raise DomainError("FILE_UNREADABLE", f"无法读取文件 {where}: {exc.strerror}") from None
    if len(data) > MAX_FEED:
        raise DomainError("FEED_INVALID", "订阅源超过 5 MB")
    return data


class IngestService:
    def __init__(self, articles: ArticleService) -> None:
        self.articles = articles

    def ingest(self, user: str, where: str, site: str, column: str) -> IngestReport:
        directory = self.articles.config.directory
        code = directory.site(site).code
        if Role.EDITOR not in directory.acting(user).roles_on(code):
            raise DomainError(
                "SITE_ROLE_REQUIRED", f"用户 {user} 在该站点没有编辑权限，不能收录信息"
            )
        entries = parse_feed(read_feed(where))
        report = IngestReport()
        for entry in entries:
            self._one(user, entry, site, code, column, report)
        return report

    def _one(self, user: str, entry: FeedEntry, site: str, code: str, column: str,
             report: IngestReport) -> None:  # fmt: skip
        article_id = derived_id("ingest", code, entry.guid)
        metadata = {"source": entry.source[:100], "repost": True}
        link = html.escape(entry.link, quote=True)
        body = entry.body_html + (f'<p>原文链接：<a href="{link}">{link}</a></p>'
                                  if entry.link.startswith(("http://", "https://")) else "")  # fmt: skip
        state, _ = self.articles.commands.load(article_id)
        try:
            if not state.exists:
                self.articles.create(user, site, [column], entry.title[:200], body, metadata,
                                     article_id=article_id)  # fmt: skip
                report.created.append(article_id)
            elif state.status is ArticleStatus.DRAFT and state.content is not None and (
                state.content.title != entry.title[:200]
                or state.content.body_html != self._cleaned(body)
            ):  # fmt: skip
                self.articles.edit(user, article_id, title=entry.title[:200], body_html=body)
                report.updated.append(article_id)
            else:
                report.unchanged.append(article_id)
        except DomainError as exc:
            if exc.code in ("INVALID_INPUT", "CHECKS_BLOCKED"):
                report.skipped.append(entry.guid)
            else:
                raise

    @staticmethod
    def _cleaned(body: str) -> str:
        from hub.content.sanitize import clean_html

        return clean_html(body)
