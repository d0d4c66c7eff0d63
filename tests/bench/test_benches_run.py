"""Every benchmark runs end to end on a small workload and ends with its result line, so a
change elsewhere (a new rule the workload must satisfy) cannot silently break one. Speed is
not asserted here: bench/RESULTS.md records it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NUMBER = r"\d+(?:\.\d+)?"

CASES = {
    "lifecycle": (
        ["--articles", "8", "--writers", "2", "--repeat", "1"],
        rf"ratios: append_sequential={NUMBER} append_concurrent={NUMBER} replay={NUMBER}",
    ),
    "lifecycle-postgresql": (
        ["--store", "postgresql", "--articles", "8", "--writers", "2", "--repeat", "1"],
        rf"ratios: append_sequential={NUMBER} append_concurrent={NUMBER} replay={NUMBER}",
    ),
    "clicks": (
        ["--sites", "5", "--accounts", "12", "--rounds", "1"],
        rf"clicks: p50_ms={NUMBER} p99_ms={NUMBER} deliveries_during=17$",
    ),
    "fanout": (
        ["--sites", "5", "--accounts", "12", "--repeat", "1"],
        rf"fanout: targets=17 seconds={NUMBER}",
    ),
    "incremental": (
        ["--sizes", "30,60", "--no-rebuild"],
        rf"incremental_ms: 30={NUMBER} 60={NUMBER} full_rebuild_60_s=skipped$",
    ),
    "cli_startup": (
        ["--runs", "1"],
        rf"cli_startup: help_s={NUMBER} group_help_s={NUMBER} every_help_max_s={NUMBER} "
        rf"article_list_s={NUMBER} "
        rf"users_s={NUMBER} review_queue_s={NUMBER}$",
    ),
    "search_engines": (
        ["--items", "2000"],
        rf"search_engines: items=2000 tantivy_ndcg10={NUMBER} tantivy_plain_ndcg10={NUMBER} "
        rf"fts5_ndcg10={NUMBER} index_per_s={NUMBER} p95_ms={NUMBER}$",
    ),
    "library": (
        ["--items", "2000", "--sites", "12"],
        rf"library: items=2000 search_p95_ms={NUMBER} ndcg10={NUMBER} index_per_s={NUMBER} "
        rf"reuse_propagation_s={NUMBER}$",
    ),
    "checks": (["--articles", "30", "--terms", "300", "--runs", "2"], r"checks: article_20k_ms="),
    "recheck": (["--articles", "10"], r"recheck: articles=10 "),
    "relay": (
        ["--events", "300", "--repeat", "1", "--partitions", "4"],
        rf"relay: events_per_s={NUMBER} raw_per_s={NUMBER} ratio={NUMBER}$",
    ),
    # Nothing lost, nothing posted twice, even on this small workload (failover: nan when the
    # killed worker had nothing left to hand over).
    "distributed": (
        ["--apps", "8", "--articles", "2", "--latency", "0.05"],
        rf"distributed: one_worker_per_s={NUMBER} two_workers_per_s={NUMBER} scaling={NUMBER} "
        rf"failover_s=(?:{NUMBER}|nan) lost=0 duplicated=0$",
    ),
    "distributed_fanout": (
        ["--sites", "5", "--accounts", "12", "--repeat", "1"],
        rf"distributed_fanout: targets=17 embedded_s={NUMBER} distributed_s={NUMBER} "
        rf"ratio={NUMBER}$",
    ),
    # Every scripted fault found, nothing else reported, even on this small workload.
    "supervision": (
        ["--sites", "30", "--pages", "5", "--published", "20"],
        rf"supervision: min_precision=1.00 min_recall=1.00 outage_alert_s={NUMBER} "
        rf"invisible_incident_s={NUMBER} probes_per_s={NUMBER} cpu_share={NUMBER}$",
    ),
    "integrity": (
        ["--articles", "20"],
        rf"integrity: link_us_per_event={NUMBER} audit_events_per_s={NUMBER} "
        rf"rules_events_per_s={NUMBER}$",
    ),
    "crawl_memory": (
        ["--sites", "4", "--pages", "30", "--nav", "10"],
        rf"crawl_memory: sites=4 pages=124 links={NUMBER} seconds={NUMBER} peak_mb={NUMBER}$",
    ),
    "search": (
        ["--articles", "3000", "--queries", "20"],
        rf"search: articles=3000 p95_ms={NUMBER} deep_page_p95_ms={NUMBER}$",
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_benchmark_runs_and_prints_its_result_line(name: str) -> None:
    args, expected = CASES[name]
    done = subprocess.run(
        [sys.executable, "-m", f"bench.{name.split('-')[0]}", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    last = done.stdout.strip().splitlines()[-1]
    assert re.match(expected, last), last
