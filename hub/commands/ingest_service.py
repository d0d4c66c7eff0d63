"""Bringing other sites' published items into the hub from their feeds or their pages (网上抓取:
an article page, or a column's list page whose articles are read with their 网页设计规范 tags
and attachments): each entry
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
from hub.content.gov_page import GovPage, keep_files, looks_like_html, page_links, parse_gov_page
from hub.content.media import MediaStore
from workflows.errors import DomainError
from workflows.vocabulary import ArticleStatus, Role

MAX_FEED = 5_000_000  # bytes
MAX_FILE = 20_000_000
MAX_FILES = 10  # attachments and images fetched per page
MAX_CRAWL = 50  # articles read from one list page
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


def _download(link: str) -> bytes | None:
    """A linked file (at most `MAX_FILE` bytes; None: not there, or too large)."""
    try:
        with urllib.request.urlopen(link, timeout=TIMEOUT_S) as answer:
            data = answer.read(MAX_FILE + 1)
    except (OSError, ValueError):
        return None
    return data if len(data) <= MAX_FILE else None


class IngestService:
    def __init__(self, articles: ArticleService, media: MediaStore | None = None) -> None:
        self.articles, self.media = articles, media

    def ingest(self, user: str, where: str, site: str, column: str) -> IngestReport:
        directory = self.articles.config.directory
        code = directory.site(site).code
        if Role.EDITOR not in directory.acting(user).roles_on(code):
            raise DomainError(
                "SITE_ROLE_REQUIRED", f"用户 {user} 在该站点没有编辑权限，不能收录信息"
            )
        data = read_feed(where)
        entries = self._crawled(where, data) if looks_like_html(data) else parse_feed(data)
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

    def _crawled(self, where: str, data: bytes) -> list[FeedEntry]:
        """A page of a government site (网上抓取): the article it is, or — a column's list
        page — the articles it links on its own site (at most `MAX_CRAWL`), each with its
        tags, body and attachments."""
        if not where.startswith(("http://", "https://")):
            raise DomainError("FEED_INVALID", "网页须以 http(s) 地址抓取（页面中的链接按地址解析）")
        page = parse_gov_page(data, where)
        pages = [page] if page.is_article else []
        if not pages:
            for link in page_links(data, where)[:MAX_CRAWL]:
                try:
                    found = parse_gov_page(read_feed(link), link)
                except DomainError:
                    continue  # a link that does not answer: not an item
                if found.is_article:
                    pages.append(found)
        if not pages:
            raise DomainError(
                "FEED_INVALID", "不是订阅源，页面中也没有可收录的文章（标题、正文和发布时间）"
            )
        return [FeedEntry(guid=p.url, title=p.title, link=p.url, body_html=self._files(p),
                          published=p.published_at,
                          source=p.source or p.meta.get("sitename", ""))
                for p in pages]  # fmt: skip

    def _files(self, page: GovPage) -> str:
        """The page's body with its attachments and images from its own site stored in the
        media store (at most `MAX_FILES`, each at most 20 MB); others keep their links."""
        if self.media is None:
            return page.body_html
        return keep_files(page, _download, self.media, MAX_FILES).body_html

    @staticmethod
    def _cleaned(body: str) -> str:
        from hub.content.sanitize import clean_html

        return clean_html(body)
