"""`hub recheck` through the whole hub: approved articles in a real event store, rechecked after
a dictionary change (check, decide, append one `ArticleChecked` each, catch up projections).

    python -m bench.recheck --articles 2000

Ends with: recheck: articles=N seconds=S articles_per_s=R
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

from bench.checks import article
from hub.runtime.embedded import EmbeddedHub
from hub.runtime.logs import configure_logging

CONFIG = Path(__file__).resolve().parents[1] / "config"
STAGES = (
    ("liting", ("wording", "secrecy")),
    ("wangqiang", ("legal", "policy", "wording")),
    ("chenjing", ("political", "policy", "public_opinion")),
)


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=2000, help="approved articles")
    args = parser.parse_args(argv)
    configure_logging("warning")
    with tempfile.TemporaryDirectory(prefix="hub-recheck-") as tmp:
        config = Path(tmp) / "config"
        shutil.copytree(CONFIG, config)
        (config / "hub.yaml").write_text(f"database: {tmp}/hub.sqlite3\n", encoding="utf-8")
        bodies = [article(800 + (i % 5) * 300) for i in range(50)]
        with EmbeddedHub.open(config) as hub:
            hub.record_dictionaries()
            started = time.perf_counter()
            for i in range(args.articles):
                created = hub.articles.create(
                    "zhangwei", "gov", ["news-gov"], f"示范省要闻第{i}号", bodies[i % len(bodies)]
                )
                hub.articles.submit("zhangwei", created.article_id)
                for user, gates in STAGES:
                    hub.articles.approve(user, created.article_id, list(gates))
            setup = time.perf_counter() - started
        words = config / "checks" / "words.yaml"
        words.write_text(
            words.read_text(encoding="utf-8").replace(
                "sensitive_words:\n", "sensitive_words:\n  - {word: 常态化工作, category: 测试}\n"
            ),
            encoding="utf-8",
        )
        with EmbeddedHub.open(config) as hub:
            hub.catch_up()
            started = time.perf_counter()
            result = hub.rechecker.run("admin")
            seconds = time.perf_counter() - started
    rate = result.checked / seconds
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cpus, Python {platform.python_version()}"
    )
    print(f"setup: {args.articles} articles drafted and approved in {setup:.1f} s")
    print(
        f"recheck: {result.checked} articles, {len(result.failing)} now failing, "
        f"{seconds:.1f} s, {rate:,.0f} articles/s"
    )
    print(f"recheck: articles={result.checked} seconds={seconds:.2f} articles_per_s={rate:.0f}")
    return {"articles_per_s": rate}


if __name__ == "__main__":
    main()
