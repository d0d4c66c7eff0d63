"""Tamper evidence's cost: linking an event into the chains (stream hash, chain hash, seal),
appending article lifecycles with it, and auditing a stored log (every stream's chain, the
global chain, every seal and signed checkpoint) against replaying it for the review rules.

    python -m bench.integrity --articles 2000

Workload: the article lifecycles of bench/lifecycle.py (about 1 KB of Chinese body, 5 commands
and 6 events each) in a fresh SQLite file (WAL, synchronous=FULL), one writer thread.

Ends with: integrity: link_us_per_event=X audit_events_per_s=Y rules_events_per_s=Z
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.lifecycle import hub_lifecycle
from events.audit_trail import verify_store
from events.integrity import ZERO, AuditKey, Chainer, digest_encoded
from events.runner import Runner
from events.sql_store import SQLEventStore
from events.stores import open_store
from hub.queries.audit import audit
from hub.runtime.logs import configure_logging
from workflows.article_decider import article_decider

KEY = AuditKey("bench")


def link_cost(rows: list[list[Any]], repeat: int = 5) -> float:
    """Microseconds to link one stored row (its digest, as the appender computes it, then
    two hashes and its seal, as the committer does)."""
    chainer = Chainer(KEY)
    payloads = [str(row[10]).encode() for row in rows]
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        head = (0, ZERO)
        for row, payload in zip(rows, payloads, strict=True):
            params: list[Any] = []
            _, head = chainer.link([row], [digest_encoded(row, payload)], ZERO, head, params)
        timings.append((time.perf_counter() - started) / len(rows) * 1e6)
    return statistics.median(timings)


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=2000, help="lifecycles in the log")
    args = parser.parse_args(argv)
    configure_logging("warning")
    with tempfile.TemporaryDirectory(prefix="hub-bench-") as tmp:
        store = open_store(str(Path(tmp) / "hub.sqlite3"), durable=True, key=KEY)
        assert isinstance(store, SQLEventStore)
        service = Runner(store, article_decider)
        started = time.perf_counter()
        for _ in range(args.articles):
            hub_lifecycle(service)
        appended = store.head_position() / (time.perf_counter() - started)
        store.seal("2026-12-04T00:00:00+00:00")
        rows = [list(r[:12]) for r in store.export_rows()]
        link_us = link_cost(rows)
        started = time.perf_counter()
        report = verify_store(store, KEY)
        audit_rate = report.events / (time.perf_counter() - started)
        assert report.ok, report.findings[:3]
        started = time.perf_counter()
        rules = audit(store)
        rules_rate = rules.events / (time.perf_counter() - started)
        store.close()
    print(f"log: {report.events} events in {report.streams} streams, 1 signed checkpoint")
    print(f"append (one writer, durable, chained and sealed): {appended:,.0f} events/s")
    print(f"link one event (digest, stream and chain hash, seal): {link_us:.1f} µs")
    print(f"integrity audit (both chains, every seal, the checkpoint): {audit_rate:,.0f} events/s")
    print(f"review-rules audit (replay, one process): {rules_rate:,.0f} events/s")
    print(f"integrity: link_us_per_event={link_us:.1f} audit_events_per_s={audit_rate:.0f} "
          f"rules_events_per_s={rules_rate:.0f}")  # fmt: skip
    return {"link_us": link_us, "audit": audit_rate, "rules": rules_rate}


if __name__ == "__main__":
    main()
