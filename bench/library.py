"""The resource library's figures: search at scale and in quality, and how fast a correction
of a source reaches every site that reused it.

    python -m bench.library --items 1000000 --sites 359

- search: the labelled corpus (bench/search_corpus.py) padded with general government items
  to `--items`, indexed by the embedded engine in batches of 10,000 (`index_per_s`, one
  thread), then the 60 judged queries asked five times each (`search_p95_ms`, first page);
  `ndcg10`: mean nDCG@10 of the judged queries over the corpus.
- reuse: the demo configuration extended to `--sites` sites (bench/fanout.py); a provincial
  notice is published on the portal and reused (引用) by every other site into its 通知公告;
  then the notice is corrected: `reuse_propagation_s` is the time from the correction's last
  approval to the new revision delivered on every site (the engine run in this process: the
  correction policy publishes it, the delivery engine writes every site's pages).

Ends with: library: items=N search_p95_ms=X ndcg10=Y index_per_s=Z reuse_propagation_s=P
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from pathlib import Path

from bench.fanout import STAGES, machine_speed, province_config
from bench.search_corpus import corpus
from bench.search_engines import quality, settings, speed, tantivy_ranker
from hub.projections.deliveries import unsettled_count
from hub.runtime.embedded import EmbeddedHub
from hub.runtime.logs import configure_logging

BODY = (
    "<p>各市、县人民政府，省政府各部门：</p>" + "<p>现将有关事项通知如下，请认真贯彻落实。</p>" * 10
)


def reuse_propagation(tmp: Path, sites: int) -> float:
    config, _ = province_config(tmp, sites, 0)
    hub = EmbeddedHub.open(config)
    try:
        created = hub.articles.create(
            "zhangwei", "gov", ["notices"], "关于做好岁末年初安全生产工作的通知", BODY
        )
        source = created.article_id
        hub.articles.submit("zhangwei", source)
        for user, gates in STAGES:
            hub.articles.approve(user, source, gates)
        hub.publishing.publish("qianli", source, ["gov/notices"], feeds=False)
        for site in hub.config.directory.sites:
            if site.key != "gov" and site.column("notices") is not None:
                hub.reuse.reuse("qianli", source, [f"{site.key}/notices"], feeds=False)
        settle(hub)
        hub.publishing.correct(
            "zhangwei", source, title="关于做好岁末年初安全生产工作的通知（更正）"
        )
        for user, gates in STAGES[:-1]:
            hub.articles.approve(user, source, gates)
        last_user, last_gates = STAGES[-1]
        started = time.perf_counter()
        hub.articles.approve(last_user, source, last_gates)
        settle(hub)
        seconds = time.perf_counter() - started
        state, _ = hub.articles.commands.load(source)
        assert state.live is not None and state.live.revision == 2
        (delivered,) = hub.store.query(
            "SELECT COUNT(*) FROM deliveries WHERE article_id = ? AND revision = 2 "
            "AND status = 'delivered'", (source,))[0]  # fmt: skip
        websites = sum(1 for s in hub.config.directory.sites if s.column("notices") is not None)
        if delivered != websites:
            raise SystemExit(f"the correction reached {delivered} of {websites} sites")
        return seconds
    finally:
        hub.close()


def settle(hub: EmbeddedHub) -> None:
    hub.work()
    while unsettled_count(hub.store):
        hub.work()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--sites", type=int, default=359)
    args = parser.parse_args()
    configure_logging("error")
    print(f"machine: {platform.machine()} Python {platform.python_version()}; "
          f"speed {machine_speed():.0f} ms (fixed loop)")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        items = corpus()
        ndcg, _ = quality(tantivy_ranker(Path(tmp) / "judged", items, settings(True)), items)
        per_s, p95 = speed(Path(tmp) / "scale", args.items, settings(True))
        propagation = reuse_propagation(Path(tmp) / "province", args.sites)
    print(f"library: items={args.items} search_p95_ms={p95:.2f} ndcg10={ndcg:.3f} "
          f"index_per_s={per_s:.0f} reuse_propagation_s={propagation:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
