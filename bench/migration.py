"""Migration of a site's archive: `--pages` article pages of a previous system (the sandbox's
old site: tags on three pages of four, GB2312 before 2018, attachments and images, list
pages and faulty pages) imported into the demo portal, then rendered by the delivery engine.

    python -m bench.migration [--pages 50000]

Measures the import (pages read, parsed, stored and published per second), the rendering of
the pages into the site, the interrupted import's resumption (a second run over everything:
every page recognised, nothing imported twice) and the process's peak memory. Ends with:
migration: pages=N import_per_s=X render_per_s=Y resume_s=R peak_mb=M
"""

from __future__ import annotations

import argparse
import platform
import resource
import tempfile
import time
from pathlib import Path

from bench.fanout import machine_speed, province_config
from hub.commands.migration_service import MigrationService
from hub.projections.deliveries import unsettled_count
from hub.runtime.embedded import EmbeddedHub
from hub.runtime.logs import configure_logging
from sandboxes.old_site import write_old_site

MAP = {
    "通知公告": "notices",
    "政务要闻": "news-gov",
    "政策文件": "policy-gov",
    "互动交流": "notices",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=50_000)
    args = parser.parse_args()
    configure_logging("error")
    print(f"machine: {platform.machine()} Python {platform.python_version()}; "
          f"speed {machine_speed():.0f} ms (fixed loop)")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        old = write_old_site(root / "mirror", args.pages)
        print(f"archive: {len(old.articles)} articles, {len(old.files)} files "
              f"written in {time.perf_counter() - started:.1f} s")  # fmt: skip
        config, _ = province_config(root / "hub", 1, 0)
        hub = EmbeddedHub.open(config)
        try:
            service = MigrationService(hub.articles, hub.media, hub.catch_up)
            started = time.perf_counter()
            report = service.migrate("qianli", old.root, "gov", "http://www.old-city.gov.cn/",
                                     columns_by_name=MAP, source_system="bench")  # fmt: skip
            imported_s = time.perf_counter() - started
            expected = len(old.articles) + len(old.unknown_column)  # 互动交流 goes to notices
            if report.imported != expected or report.failed:
                raise SystemExit(
                    f"imported {report.imported} of {len(old.articles)}: {report.problems[:3]}"
                )
            print(f"import: {report.imported} pages in {imported_s:.1f} s "
                  f"({report.files} files, {report.not_articles} not articles)")  # fmt: skip
            started = time.perf_counter()
            again = service.migrate("qianli", old.root, "gov", "http://www.old-city.gov.cn/",
                                    columns_by_name=MAP)  # fmt: skip
            resume_s = time.perf_counter() - started
            if again.imported or again.already != report.imported:
                raise SystemExit(f"the second run imported {again.imported}")
            lists = hub.adapters["website"].lists
            rendered: list[int] = []
            flush = lists.flush
            lists.flush = lambda *a: rendered.append(flush(*a)) or rendered[-1]  # type: ignore[method-assign]
            started = time.perf_counter()
            hub.work()
            while unsettled_count(hub.store):
                hub.work()
            render_s = time.perf_counter() - started
            written = sum(1 for _ in (config.parent / "sites" / "gov").rglob("*.html"))
            print(f"render: {written} files of the site in {render_s:.1f} s; lists rendered "
                  f"{sum(1 for r in rendered if r)} times")  # fmt: skip
        finally:
            hub.close()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"migration: pages={report.imported} import_per_s={report.imported / imported_s:.0f} "
          f"render_per_s={report.imported / render_s:.0f} resume_s={resume_s:.1f} "
          f"peak_mb={peak_mb:.0f}")  # fmt: skip


if __name__ == "__main__":
    main()
