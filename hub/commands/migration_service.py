"""Migration (迁移) of a site's archive onto the platform: the pages its previous system
published — a mirror of the old site as a folder or a zip (what `wget --mirror` or the old
vendor's static export gives) — become articles of the site, live at once with their
original dates, their attachments and images in the media store, and where each came from
recorded (`ArticleImported`). The website channel then renders them like any other page.

Each page's article id follows from the site and the page's address on the old site, so an
import that stops (killed, interrupted, a bad page) is run again and goes on where it was:
what is there is recognised and skipped, nothing is imported twice. Pages that are not
articles (column lists, indexes) or say no date are listed, not guessed."""

from __future__ import annotations

import posixpath
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

from events.decider import derived_id
from events.store import StoreError
from hub.commands.article_service import ArticleService, build_content
from hub.content.gov_page import GovPage, keep_files, parse_gov_page
from hub.content.media import MediaStore
from hub.setup.directory import Site
from workflows.article_commands import ActingUser, ImportArticle
from workflows.article_state import initial_state
from workflows.errors import DomainError
from workflows.migration_decider import IMPORTERS

PAGE_SUFFIXES = (".html", ".htm", ".shtml", ".jhtml")
MAX_PAGE = 5_000_000  # bytes: a page larger than this is not an article
MAX_FILE = 50_000_000
KEEP_PROBLEMS = 200  # the report lists this many problems (and counts them all)


@dataclass
class MigrationReport:
    pages: int = 0  # page files seen
    imported: int = 0
    already: int = 0  # imported by an earlier run
    not_articles: int = 0  # lists, indexes, pages without a title, body or date
    failed: int = 0
    files: int = 0  # attachments and images stored
    missing_files: int = 0  # linked but not in the archive (the link is kept)
    problems: list[str] = field(default_factory=list)

    def problem(self, text: str) -> None:
        if len(self.problems) < KEEP_PROBLEMS:
            self.problems.append(text)

    def as_json(self) -> dict[str, object]:
        return {k: getattr(self, k) for k in ("pages", "imported", "already", "not_articles",
                                              "failed", "files", "missing_files", "problems")}  # fmt: skip


class Archive:
    """The old site's files by their path under its address (a folder or a zip)."""

    def __init__(self, where: Path) -> None:
        self.where = where
        self._zip: zipfile.ZipFile | None = None
        if where.is_file():
            try:
                self._zip = zipfile.ZipFile(where)
            except zipfile.BadZipFile:
                raise DomainError("ARCHIVE_INVALID", f"{where} 不是 zip 文件或目录") from None
        elif not where.is_dir():
            raise DomainError("ARCHIVE_INVALID", f"找不到存档 {where}（目录或 zip 文件）")

    def pages(self) -> list[str]:
        """Every page's path, sorted (a rerun walks them in the same order)."""
        if self._zip is not None:
            names = [n for n in self._zip.namelist() if not n.endswith("/")]
        else:
            names = [p.relative_to(self.where).as_posix() for p in self.where.rglob("*")
                     if p.is_file()]  # fmt: skip
        return sorted(n for n in names if n.lower().endswith(PAGE_SUFFIXES)
                      and not n.startswith(("/", "..")))  # fmt: skip

    def read(self, path: str, limit: int) -> bytes | None:
        """The file at `path` (None: not in the archive, outside it, or too large)."""
        path = posixpath.normpath(path).lstrip("/")
        if path.startswith("..") or not path or path == ".":
            return None
        try:
            if self._zip is not None:
                info = self._zip.getinfo(path)
                if info.file_size > limit:
                    return None
                return self._zip.read(info)
            file = (self.where / path).resolve()
            if not file.is_relative_to(self.where.resolve()) or not file.is_file():
                return None
            if file.stat().st_size > limit:
                return None
            return file.read_bytes()
        except (KeyError, OSError):
            return None

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()


BATCH = 200  # pages imported in one group commit; read models caught up after each


class MigrationService:
    def __init__(self, articles: ArticleService, media: MediaStore,
                 caught_up: Callable[[], object]) -> None:  # fmt: skip
        self.articles, self.media, self.caught_up = articles, media, caught_up

    def migrate(
        self, user: str, where: Path, site_ref: str, base_url: str, *,
        column: str | None = None, columns_by_name: dict[str, str] | None = None,
        source_system: str = "", limit: int | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> MigrationReport:  # fmt: skip
        """Import the archive at `where`, whose pages were served under `base_url`."""
        directory = self.articles.config.directory
        site = directory.site(site_ref)
        base = base_url.strip()
        if urlsplit(base).scheme not in ("http", "https") or not urlsplit(base).hostname:
            raise DomainError("SOURCE_REQUIRED", "请给出原网站地址（http:// 或 https:// 开头）")
        base = base.rstrip("/") + "/"
        default = directory.column(site, column).id if column else None
        mapping = {name: directory.column(site, ref).id
                   for name, ref in (columns_by_name or {}).items()}  # fmt: skip
        actor = directory.acting(user)
        if not any(r in actor.roles_on(site.code) for r in IMPORTERS):  # before reading a page
            raise DomainError("SITE_ROLE_REQUIRED",
                              f"用户 {user} 在该站点没有运维或管理员权限，不能迁移存档")  # fmt: skip
        archive = Archive(where)
        report = MigrationReport()
        try:
            pages = archive.pages()
            if limit is not None:
                pages = pages[:limit]
            steps = 2 * len(pages)
            # First pass: which pages are articles still to import, and their dates. They are
            # imported oldest first, as the old site published them: each lands at the end of
            # its site's lists and sitemaps, so the website channel rewrites only their last
            # blocks (in the archive's order every page would reshuffle all later blocks).
            dated: list[tuple[datetime, str]] = []
            for done, path in enumerate(pages, start=1):
                report.pages += 1
                page = self._page(archive, base, site, path, report)
                if page is not None and page.published_at is not None:
                    dated.append((page.published_at, path))
                if progress is not None:
                    progress(done, steps)
            dated.sort()
            batch: list[tuple[str, ImportArticle]] = []
            for done, (_, path) in enumerate(dated, start=1):
                page = parse_gov_page(archive.read(path, MAX_PAGE) or b"", base + path)
                command = self._command(archive, path, base, page, site, default, mapping,
                                        actor, source_system, report)  # fmt: skip
                if command is not None:
                    batch.append((path, command))
                if len(batch) >= BATCH or done == len(dated):
                    self._import(batch, report)
                    batch = []
                if progress is not None:
                    progress(len(pages) + done * len(pages) // max(len(dated), 1), steps)
            if progress is not None:
                progress(steps, steps)
        finally:
            archive.close()
        return report

    def _import(self, batch: list[tuple[str, ImportArticle]], report: MigrationReport) -> None:
        """One group commit for the batch (a page refused alone if the batch is refused)."""
        if not batch:
            return
        runner = self.articles.commands
        try:
            results = runner.execute_batch([(c, initial_state, 0) for _, c in batch])
        except DomainError:
            results = []
            for _, command in batch:
                try:
                    results.append(runner.execute(command))
                except DomainError as exc:
                    results.append(exc)  # type: ignore[arg-type]
        for (path, _), result in zip(batch, results, strict=True):
            if isinstance(result, StoreError):  # imported meanwhile by another run
                report.already += 1
            elif isinstance(result, DomainError):
                report.failed += 1
                report.problem(f"{path}：{result.message}")
            else:
                report.imported += 1
        self.caught_up()

    def _page(self, archive: Archive, base: str, site: Site, path: str,
              report: MigrationReport) -> GovPage | None:  # fmt: skip
        """The page at `path` if it is an article not imported yet (counted otherwise)."""
        url = base + path
        if self.articles.commands.load(derived_id("migrate", site.code, url))[0].exists:
            report.already += 1
            return None
        data = archive.read(path, MAX_PAGE)
        if data is None:
            report.failed += 1
            report.problem(f"{path}：无法读取或超过 5 MB")
            return None
        page = parse_gov_page(data, url)
        if not page.is_article:
            report.not_articles += 1
            return None
        return page

    def _command(self, archive: Archive, path: str, base: str, page: GovPage, site: Site,
                 default: str | None, mapping: dict[str, str], actor: ActingUser,
                 source_system: str, report: MigrationReport) -> ImportArticle | None:  # fmt: skip
        url = base + path
        article_id = derived_id("migrate", site.code, url)
        named = site.column(page.column_name) if page.column_name else None
        column = mapping.get(page.column_name) or (named.id if named else default)
        placed = site.column(column) if column else None
        if column is None or placed is None:
            report.failed += 1
            report.problem(
                f"{path}：栏目「{page.column_name or '未注明'}」没有对应的本站栏目（用 --column 或 --map）"
            )
            return None
        assert page.published_at is not None  # is_article
        if page.published_at > datetime.now(UTC):
            report.failed += 1
            report.problem(f"{path}：发布时间 {page.published_at:%Y-%m-%d %H:%M} 晚于现在")
            return None
        body = self._files(archive, base, page, report)
        metadata: dict[str, object] = {"source": page.source or site.name}
        if page.author:
            metadata["author"] = page.author
        try:
            content = build_content(page.title, body, metadata)
        except DomainError as exc:
            report.failed += 1
            report.problem(f"{path}：{exc.message}")
            return None
        return ImportArticle(
            article_id=article_id, site=site.code, columns=(column,), content=content,
            workflow=self.articles.config.workflow_for(site, placed), actor=actor,
            source_url=url, published_at=page.published_at,
            publication_id=derived_id("migrate-publication", article_id),
            now=datetime.now(UTC), source_system=source_system,
        )  # fmt: skip

    def _files(self, archive: Archive, base: str, page: GovPage, report: MigrationReport) -> str:
        """The body with every linked file of the old site that the archive holds stored in
        the media store and linked there; other links are kept as they were."""
        prefix = urlsplit(base).path

        def from_archive(link: str) -> bytes | None:
            path = unquote(urlsplit(link).path)
            return archive.read(path[len(prefix) :], MAX_FILE) if path.startswith(prefix) else None

        kept = keep_files(page, from_archive, self.media)
        report.files += kept.stored
        report.missing_files += kept.missing
        for refused in kept.refused:
            report.problem(f"{page.url} 附件 {refused}")
        return kept.body_html  # cleaned once more by build_content


def iter_pairs(pairs: tuple[str, ...]) -> Iterator[tuple[str, str]]:
    """`名称=栏目` pairs of the command line."""
    for pair in pairs:
        name, sep, ref = pair.partition("=")
        if not sep or not name.strip() or not ref.strip():
            raise DomainError("USAGE", f"栏目对应应写成 原栏目名称=本站栏目：{pair!r}")
        yield name.strip(), ref.strip()
