"""A site moving onto the platform brings its archive (迁移): pages of the previous system —
with the 网页设计规范 tags or only a date in the text, UTF-8 or GB2312, with attachments and
images — become live articles of the site with their original dates and their source, the
website channel renders them, an interrupted import goes on where it stopped (nothing twice),
and the supervision's freshness is not fooled by old pages arriving today."""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from hub.commands.migration_service import MigrationService
from hub.projections.history import describe
from hub.projections.publications import PUBLICATIONS
from hub.queries.audit import audit
from hub.runtime.embedded import EmbeddedHub
from hub.supervision.freshness import platform_freshness
from sandboxes.old_site import write_old_site
from workflows.errors import DomainError

BEIJING = timezone(timedelta(hours=8))
MAP = {"通知公告": "notices", "政务要闻": "news-gov", "政策文件": "policy-gov"}
OLD = "http://www.old-city.gov.cn/"


def migrate(hub: EmbeddedHub, where: Path, **kwargs: object):  # type: ignore[no-untyped-def]
    service = MigrationService(hub.articles, hub.media, hub.catch_up)
    return service.migrate("qianli", where, "gov", OLD, columns_by_name=MAP,
                           source_system="旧版网站群", **kwargs)  # type: ignore[arg-type]  # fmt: skip


def test_an_archive_comes_over_with_its_dates_files_and_source(
    hub: EmbeddedHub, tmp_path: Path
) -> None:
    old = write_old_site(tmp_path / "mirror", 60)
    seen: list[tuple[int, int]] = []
    first = migrate(hub, old.root, limit=25, progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (50, 50) and first.pages == 25  # two passes: read, then import
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    # Interrupted after 25 pages; run again: it goes on, nothing is imported twice.
    second = migrate(hub, old.root)
    total = len(old.articles)
    assert second.already == first.imported
    assert first.imported + second.imported == total
    assert second.not_articles == len(old.lists) + len(old.undated)
    assert second.failed == len(old.unknown_column)
    assert any("互动交流" in p for p in second.problems)
    assert first.files + second.files == len(old.files)
    assert first.missing_files + second.missing_files == old.missing_files
    again = migrate(hub, old.root)
    assert (again.imported, again.already) == (0, total)

    for _ in range(4):
        hub.work()
    rows = hub.store.rows(PUBLICATIONS, {}, ("article_id", "published_at"))
    assert len(rows) == total
    # Each page: live on the new site, in its column, with its original date and source.
    path, (title, when, _) = next((p, a) for p, a in old.articles.items() if p.startswith("zcwj"))
    from events.decider import derived_id

    article = derived_id("migrate", "9900000001", OLD + path)
    state, _ = hub.articles.commands.load(article)
    assert state.content is not None and state.content.title == title
    assert state.live is not None and state.live.publish_at == when.replace(tzinfo=BEIJING)
    assert [t.key for t in state.live.targets] == ["website:9900000001/policy-gov"]
    page = hub.config.sites_root / "gov" / "policy-gov" / f"{article}.html"
    html = page.read_text(encoding="utf-8")
    assert title in html and f"{when:%Y-%m-%d}" in html
    assert "var _hmt" not in html and "网站标识码：9900000099" not in html  # only the body
    history = [describe(e.payload) for e in hub.articles.history(article)]
    assert any("从原网站系统（旧版网站群）迁移" in s and OLD + path in s for s in history)
    # An attachment of the archive is in the media store and linked there.
    with_file = next(iter(old.attached))
    state, _ = hub.articles.commands.load(derived_id("migrate", "9900000001", OLD + with_file))
    assert state.content is not None and "/media/" in state.content.body_html
    # A GB2312 page without the tags: title from its heading, date from its text.
    untagged = next(p for p, (_, w, _) in old.articles.items()
                    if w.year < 2018 and int(p.rsplit("_", 1)[1].split(".")[0]) % 4 == 0)  # fmt: skip
    state, _ = hub.articles.commands.load(derived_id("migrate", "9900000001", OLD + untagged))
    assert state.content is not None and state.content.title == old.articles[untagged][0]
    assert (
        state.live is not None and state.live.publish_at.date() == old.articles[untagged][1].date()
    )

    # Years-old pages arriving today do not make the columns fresh.
    sites, _ = platform_freshness(hub.config.directory, hub.store, datetime.now(UTC))
    gov = next(s for s in sites if s.site == "9900000001")
    notices = next(c for c in gov.countdowns if c.subject.endswith("/notices"))
    assert notices.last_update is not None and notices.last_update.year < 2026
    # The audit accepts an import as the review of its first revision.
    assert audit(hub.store).ok


def test_a_zip_archive_and_what_is_refused(hub: EmbeddedHub, tmp_path: Path) -> None:
    old = write_old_site(tmp_path / "mirror", 8, faults=False)
    bundle = tmp_path / "old.zip"
    with zipfile.ZipFile(bundle, "w") as z:
        for file in old.root.rglob("*"):
            if file.is_file():
                z.write(file, file.relative_to(old.root).as_posix())
    z_report = migrate(hub, bundle)
    assert z_report.imported == 8 and z_report.files == len(old.files)
    # A lying archive: an entry outside it (zip slip) and a page pointing its attachment
    # out of the mirror (../../etc/hostname): neither is read.
    (tmp_path / "secret.pdf").write_bytes(b"%PDF-1.4 secret")
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as z:
        z.writestr("../escaped.html", "<html></html>")
        page = next(iter(old.articles))
        html = (
            (old.root / page)
            .read_bytes()
            .replace(
                b'</div>\n<div class="footer">',
                b'<p><a href="../../../../secret.pdf">secret</a></p></div>\n<div class="footer">',
                1,
            )
        )
        z.writestr("tzgg/evil/t20200101_9.html", html)
    lying = migrate(hub, evil)
    assert lying.pages == 1 and lying.imported == 1 and lying.files == 0
    assert lying.missing_files >= 1
    service = MigrationService(hub.articles, hub.media, hub.catch_up)
    with pytest.raises(DomainError) as editor:  # an editor writes anew; migrating is staff's
        service.migrate("zhangwei", old.root, "gov", OLD, columns_by_name=MAP)
    assert editor.value.code == "SITE_ROLE_REQUIRED"
    for where, base, code in ((tmp_path / "nowhere", OLD, "ARCHIVE_INVALID"),
                              (tmp_path / "mirror" / "tzgg" / "index.html", OLD, "ARCHIVE_INVALID"),
                              (old.root, "file:///etc/", "SOURCE_REQUIRED"),
                              (old.root, "", "SOURCE_REQUIRED")):  # fmt: skip
        with pytest.raises(DomainError) as refused:
            service.migrate("qianli", where, "gov", base, columns_by_name=MAP)
        assert refused.value.code == code
    with pytest.raises(DomainError) as unknown:
        service.migrate("qianli", old.root, "gov", OLD, columns_by_name={"通知公告": "nope"})
    assert unknown.value.code == "COLUMN_UNKNOWN"
