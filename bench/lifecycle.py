"""Article lifecycle benchmark: this hub's event store and decider against `eventsourcing`.

Workload per article: create (about 1 KB of Chinese body), submit (recording a clean system
check of the revision, which submission requires), three stage approvals, the last of which
also records approval for publication: 5 commands, 7 events, one command per transaction.

    python -m bench.lifecycle --articles 400                    # SQLite (the embedded store)
    python -m bench.lifecycle --store postgresql --articles 400

On SQLite both sides use WAL mode with synchronous=FULL, each in a fresh file. On PostgreSQL
the benchmark starts its own server (as the tests do, tests/servers.py) with the durable
defaults (fsync=on, synchronous_commit=on), one database per side, and also measures the
server's own limit: single-row inserts, one commit each, from one and from 8 connections.

Ends with: ratios: append_sequential=X append_concurrent=Y replay=Z
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import sqlite3
import statistics
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from events.ids import new_id
from events.integrity import AuditKey
from events.runner import Runner
from events.store import EventStore
from events.stores import open_store
from hub.queries.audit import audit, default_workers
from hub.runtime.logs import configure_logging
from workflows.article_commands import ActingUser, ApproveStage, CreateArticle, SubmitArticle
from workflows.article_decider import article_decider
from workflows.checks.engine import CheckReport
from workflows.content import ArticleContent
from workflows.workflow_definition import WorkflowDefinition

SITE = "9900000001"
BODY = (
    "<p>为深入贯彻落实党中央、国务院关于加快推进政务服务标准化、规范化、便利化的决策部署，"
    "进一步提升政府网站和政务新媒体服务水平，现将有关事项通知如下。</p>"
    "<p>一、各地各部门要对照《政府网站发展指引》要求，全面开展自查，及时整改发现的问题，"
    "确保信息发布准确、权威、及时。</p>"
    "<p>二、要严格落实三审三校制度，严把政治关、法律关、政策关、保密关、文字关，"
    "坚持先审后发，杜绝错字漏字、表述不规范等问题。</p>"
    "<p>三、请于十二月二十日前将自查报告报送省政府办公厅，联系人及电话见附件。</p>"
)
WORKFLOW = WorkflowDefinition.model_validate(
    {
        "id": "standard",
        "name": "三审三校标准流程",
        "stages": [
            {
                "id": "first",
                "name": "初审",
                "role": "first_reviewer",
                "gates": ["wording", "secrecy"],
            },
            {
                "id": "second",
                "name": "复审",
                "role": "second_reviewer",
                "gates": ["legal", "policy", "wording"],
            },
            {
                "id": "final",
                "name": "终审",
                "role": "final_reviewer",
                "gates": ["political", "policy", "public_opinion"],
            },
        ],
    }
)
CONTENT = ArticleContent(
    title="关于开展2026年度政府网站与政务新媒体自查工作的通知",
    body_html=BODY,
    metadata={"source": "示范省人民政府办公厅", "doc_number": "示政办函〔2026〕58号"},
)
STAGES = [(s.id, tuple(str(g) for g in s.gates)) for s in WORKFLOW.stages]
# The system checks are timed by bench/checks.py; here submission records a clean result.
CLEAN = CheckReport(dictionary_version="bench", content_hash=CONTENT.content_hash())
EVENTS = 7  # per lifecycle, on both sides


def _user(name: str, role: str) -> ActingUser:
    return ActingUser(name, {SITE: frozenset({role})})


EDITOR = _user("editor", "editor")
REVIEWERS = [
    _user("r1", "first_reviewer"),
    _user("r2", "second_reviewer"),
    _user("r3", "final_reviewer"),
]


# -- this hub ----------------------------------------------------------------------------


def hub_lifecycle(service: Runner) -> None:
    article_id = new_id()
    service.execute(CreateArticle(article_id, SITE, ("notices",), CONTENT, WORKFLOW, EDITOR))
    service.execute(SubmitArticle(article_id, EDITOR, CLEAN))
    for reviewer, (_, gates) in zip(REVIEWERS, STAGES, strict=True):
        service.execute(ApproveStage(article_id, 1, gates, reviewer))


async def hub_lifecycle_async(service: Runner) -> None:
    article_id = new_id()
    await service.execute_async(
        CreateArticle(article_id, SITE, ("notices",), CONTENT, WORKFLOW, EDITOR)
    )
    await service.execute_async(SubmitArticle(article_id, EDITOR, CLEAN))
    for reviewer, (_, gates) in zip(REVIEWERS, STAGES, strict=True):
        await service.execute_async(ApproveStage(article_id, 1, gates, reviewer))


def hub_replay(store: EventStore, location: str) -> int:
    """`hub audit`: every article stream replayed (and checked) by one worker per CPU."""
    report = audit(store, lambda: open_store(location), workers=default_workers())
    if not report.ok:
        raise RuntimeError(f"the audit found problems: {report.problems[:3]}")
    return report.events


def hub_replay_one_process(store: EventStore) -> int:
    return audit(store).events


# -- the eventsourcing library -------------------------------------------------------------


def library_side(location: str) -> tuple[Callable[[], None], Callable[[], int], Any]:
    """The library's application on `location` (an SQLite file, or a postgresql:// URL)."""
    if location.startswith("postgresql://"):
        parts = urlsplit(location)
        os.environ.update({
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": parts.path.lstrip("/"),
            "POSTGRES_HOST": parts.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(parts.port or 5432),
            "POSTGRES_USER": parts.username or "postgres",
            "POSTGRES_PASSWORD": parts.password or "",
            "POSTGRES_POOL_SIZE": "10",  # as many connections as the writers need
        })  # fmt: skip
    else:
        os.environ["PERSISTENCE_MODULE"] = "eventsourcing.sqlite"
        os.environ["SQLITE_DBNAME"] = location
    from eventsourcing.application import Application
    from eventsourcing.domain import Aggregate, event

    class Article(Aggregate):
        @event("Created")
        def __init__(
            self,
            site: str,
            columns: list,
            author: str,
            workflow: dict,
            revision: int,
            content: dict,
            content_hash: str,
        ) -> None:
            self.site, self.columns, self.author = site, columns, author
            self.workflow, self.revision, self.content = workflow, revision, content
            self.content_hash = content_hash
            self.status, self.stage_index, self.approvals = "draft", 0, []

        @event("Checked")
        def checked(
            self, revision: int, content_hash: str, phase: str, dictionary_version: str,
            findings: list,
        ) -> None:  # fmt: skip
            self.checks = (revision, content_hash, findings)

        @event("Submitted")
        def submit(self, revision: int, content_hash: str, submitted_by: str, stage: str) -> None:
            self.status, self.stage_index, self.approvals = "in_review", 0, []

        @event("StageApproved")
        def approve(
            self,
            stage: str,
            stage_name: str,
            revision: int,
            content_hash: str,
            approver: str,
            gates: list,
            opinion: str,
            next_stage: str | None,
        ) -> None:
            self.approvals.append((stage, approver))
            self.stage_index += 1

        @event("Approved")
        def approved(self, revision: int, content_hash: str, approvers: dict) -> None:
            self.status = "approved"

    class Articles(Application):
        pass

    app = Articles()
    content = CONTENT.model_dump(mode="json")
    workflow = WORKFLOW.model_dump(mode="json")
    content_hash = CONTENT.content_hash()

    def lifecycle() -> None:
        article = Article(SITE, ["notices"], "editor", workflow, 1, content, content_hash)
        app.save(article)
        article = app.repository.get(article.id)
        article.checked(1, content_hash, "submit", "bench", [])
        article.submit(1, content_hash, "editor", "first")
        app.save(article)
        for index, (stage, gates) in enumerate(STAGES):
            article = app.repository.get(article.id)
            last = index == len(STAGES) - 1
            article.approve(
                stage,
                stage,
                1,
                content_hash,
                f"r{index + 1}",
                list(gates),
                "",
                None if last else STAGES[index + 1][0],
            )
            if last:
                article.approved(
                    1, content_hash, {s: f"r{i + 1}" for i, (s, _) in enumerate(STAGES)}
                )
            app.save(article)

    def replay() -> int:
        aggregates: dict[Any, Any] = {}
        count, start = 0, 1
        while True:
            notifications = app.recorder.select_notifications(start=start, limit=2000)
            if not notifications:
                return count
            for notification in notifications:
                domain_event = app.mapper.to_domain_event(notification)
                aggregates[domain_event.originator_id] = domain_event.mutate(
                    aggregates.get(domain_event.originator_id)
                )
                count += 1
            start = notifications[-1].id + 1

    return lifecycle, replay, app


# -- harness -------------------------------------------------------------------------------


def run_sequential(lifecycle: Callable[[], None], articles: int) -> float:
    started = time.perf_counter()
    for _ in range(articles):
        lifecycle()
    return articles * EVENTS / (time.perf_counter() - started)


def run_concurrent(lifecycle: Callable[[], None], articles: int, writers: int) -> float:
    per_writer = max(articles // writers, 1)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(per_writer):
                lifecycle()
        except BaseException as exc:  # reported after the run
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(writers)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{len(errors)} writers failed: {errors[0]!r}")
    return per_writer * writers * EVENTS / elapsed


def run_concurrent_tasks(
    lifecycle: Callable[[], Awaitable[None]], articles: int, writers: int
) -> float:
    """`writers` asyncio tasks in one event loop, each running whole lifecycles."""
    per_writer = max(articles // writers, 1)

    async def work() -> None:
        for _ in range(per_writer):
            await lifecycle()

    async def all_writers() -> float:
        started = time.perf_counter()
        await asyncio.gather(*(work() for _ in range(writers)))
        return time.perf_counter() - started

    elapsed = asyncio.run(all_writers())
    return per_writer * writers * EVENTS / elapsed


def run_replay(replay: Callable[[], int]) -> tuple[float, int]:
    started = time.perf_counter()
    count = replay()
    return count / (time.perf_counter() - started), count


def _check_durability(path: Path) -> str:
    conn = sqlite3.connect(path)
    mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    conn.close()
    return str(mode)


@contextlib.contextmanager
def locations(kind: str, tmp: Path) -> Iterator[tuple[str, str, str]]:
    """The hub's and the library's stores, and what to say about their durability."""
    if kind == "sqlite":
        hub, library = tmp / "hub.sqlite3", tmp / "library.sqlite3"
        yield str(hub), str(library), "synchronous=FULL on both"
        print(f"journal modes: hub={_check_durability(hub)} "
              f"library={_check_durability(library)}")  # fmt: skip
        return
    from tests.servers import fresh_database, postgres_server

    with postgres_server(durable=True) as server:
        import psycopg

        with psycopg.connect(server, autocommit=True) as conn:
            settings = {
                name: conn.execute(f"SHOW {name}").fetchone()[0]  # type: ignore[index]
                for name in ("server_version", "fsync", "synchronous_commit")
            }
        raw_limit(fresh_database(server, "raw"))
        yield (fresh_database(server, "hub"), fresh_database(server, "library"),
               "PostgreSQL " + ", ".join(f"{k}={v}" for k, v in settings.items()))  # fmt: skip


def raw_limit(url: str, seconds: float = 3.0, writers: int = 8) -> None:
    """The server's own limit: one-row inserts, each its own commit (fsync), sequentially
    and from `writers` connections at once (PostgreSQL groups their WAL flushes)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE raw (id BIGSERIAL PRIMARY KEY, body TEXT NOT NULL)")

    def insert(deadline: float, counts: list[int]) -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            n = 0
            while time.perf_counter() < deadline:
                conn.execute("INSERT INTO raw (body) VALUES (%s)", (BODY,))
                n += 1
            counts.append(n)

    for threads in (1, writers):
        counts: list[int] = []
        deadline = time.perf_counter() + seconds
        workers = [threading.Thread(target=insert, args=(deadline, counts))
                   for _ in range(threads)]  # fmt: skip
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        print(f"server limit: {sum(counts) / seconds:,.0f} single-row commits/s "
              f"from {threads} connection{'s' if threads > 1 else ''}")  # fmt: skip


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=400, help="lifecycles per phase")
    parser.add_argument("--writers", type=int, default=8, help="concurrent writer threads")
    parser.add_argument("--repeat", type=int, default=3, help="runs per phase (medians count)")
    parser.add_argument("--store", choices=("sqlite", "postgresql"), default="sqlite",
                        help="the database both sides use")  # fmt: skip
    args = parser.parse_args(argv)
    configure_logging("warning")
    if args.articles < args.writers:
        parser.error("--articles must be at least --writers")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    with (
        tempfile.TemporaryDirectory(prefix="hub-bench-") as tmp,
        locations(args.store, Path(tmp)) as (hub_location, lib_location, durability),
    ):
        # As the hub opens it: every append chained and sealed with the audit key.
        store = open_store(hub_location, durable=True, key=AuditKey("bench"))
        service = Runner(store, article_decider)
        lib_lifecycle, lib_replay, app = library_side(lib_location)

        hub_lifecycle(service)  # warm up both sides (imports, schema, caches)
        lib_lifecycle()
        # Each phase runs `--repeat` times, hub and library alternating, and each side's
        # median counts: this machine is shared and single runs vary by 20 % or more.
        samples: dict[str, list[tuple[float, float]]] = {
            "append_sequential": [],
            "append_concurrent": [],
            "append_threads": [],
            "replay": [],
            "replay_one_process": [],
        }
        for _ in range(args.repeat):
            samples["append_sequential"].append(
                (
                    run_sequential(lambda: hub_lifecycle(service), args.articles),
                    run_sequential(lib_lifecycle, args.articles),
                )
            )
            # The hub's concurrent writers are asyncio tasks, as in its web server; the
            # library's can only be threads. The hub's own threads are measured too.
            lib_threads = run_concurrent(lib_lifecycle, args.articles, args.writers)
            samples["append_concurrent"].append(
                (
                    run_concurrent_tasks(
                        lambda: hub_lifecycle_async(service), args.articles, args.writers
                    ),
                    lib_threads,
                )
            )
            samples["append_threads"].append(
                (
                    run_concurrent(lambda: hub_lifecycle(service), args.articles, args.writers),
                    lib_threads,
                )
            )
        for _ in range(args.repeat):
            hub_rate, hub_count = run_replay(lambda: hub_replay(store, hub_location))
            lib_rate, lib_count = run_replay(lib_replay)
            samples["replay"].append((hub_rate, lib_rate))
            one_rate, _ = run_replay(lambda: hub_replay_one_process(store))
            samples["replay_one_process"].append((one_rate, lib_rate))
        results = {
            name: (
                statistics.median(h for h, _ in pairs),
                statistics.median(lib for _, lib in pairs),
            )
            for name, pairs in samples.items()
        }
        store.close()
        app.close()

    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cpus, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"store: {args.store}"
    )
    print(
        f"workload: {args.articles} lifecycles per phase and run, {args.repeat} runs "
        f"(medians), 5 commands and {EVENTS} events per lifecycle, "
        f"{args.writers} concurrent writers (hub: asyncio tasks; append_threads: hub "
        f"threads; library: threads); {durability}"
    )
    print(f"replayed events: hub={hub_count} library={lib_count}")
    print(f"{'measure':<20}{'hub events/s':>16}{'library events/s':>20}{'ratio':>8}")
    ratios = {}
    for name, (hub_value, lib_value) in results.items():
        ratios[name] = hub_value / lib_value
        print(f"{name:<20}{hub_value:>16,.0f}{lib_value:>20,.0f}{ratios[name]:>8.2f}")
    shown = ("append_sequential", "append_concurrent", "replay")
    print("ratios: " + " ".join(f"{k}={ratios[k]:.2f}" for k in shown))
    return ratios


if __name__ == "__main__":
    main()
