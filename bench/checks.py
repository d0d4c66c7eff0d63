"""System-check benchmark: one 20,000-character article against dictionaries of at least
50,000 terms, and re-checking many published articles.

    python -m bench.checks --articles 100000

Ends with: checks: article_20k_ms=X recheck_articles_per_s=Y terms=Z
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from pathlib import Path

from hub.setup.config import load_config
from workflows.checks.dictionaries import Correction, Leader, LeaderTitle, SensitiveWord
from workflows.checks.document import CheckContext
from workflows.checks.engine import run_checks
from workflows.checks.matcher import CompiledDictionaries
from workflows.content import ArticleMetadata

CONFIG = Path(__file__).resolve().parents[1] / "config"
PARAGRAPHS = [
    "为深入贯彻落实党中央、国务院决策部署，省委书记周海峰主持召开会议，研究部署扫黑除恶常态化工作。",
    "会议要求，各地各部门要严格落实三审三校制度，坚持先审后发，确保信息发布准确、权威、及时。",
    "联系人：王小明，电话：0771-2801234；详见<a href='https://www.sf.gov.cn/a.html'>省政府网站</a>。",
    "根据《示范省数字政府建设三年行动方案》（示政办发〔2026〕7号），到2028年政务服务事项网上可办率达到100%。",
    "省长林振华强调，要推动高质量发展，巩固党史学习教育成果，全面推进乡村振兴，不断增进民生福祉。",
]
_HANZI = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处理府研"


_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"


def large_dictionaries(base: CompiledDictionaries, words: int) -> CompiledDictionaries:
    """The demo dictionaries plus `words` generated sensitive words, typos and leaders."""
    d = base.dictionaries
    rng = 7
    generated = []
    for i in range(words):
        rng = (rng * 1103515245 + 12345) % (1 << 31)
        a, b, c, e = ((rng >> s) % len(_HANZI) for s in (0, 7, 14, 21))
        generated.append(
            SensitiveWord(
                word=f"{_HANZI[a]}{_HANZI[b]}{_HANZI[c]}{_HANZI[e]}{i % 97}", category="生成"
            )
        )
    typos = tuple(
        Correction(correct=f"正确{i}词", wrong=(f"错误{i}词",)) for i in range(words // 10)
    )
    leaders = tuple(
        Leader(
            name=f"{_SURNAMES[i % len(_SURNAMES)]}{_HANZI[(i * 7) % len(_HANZI)]}{_HANZI[(i * 13) % len(_HANZI)]}",
            rank=100 + i,
            titles=(LeaderTitle(title=f"第{i}区区长"),),
        )
        for i in range(1000)
    )
    bigger = d.model_copy(
        update={
            "sensitive_words": d.sensitive_words + tuple(generated),
            "typos": d.typos + typos,
            "leaders": d.leaders + leaders,
        }
    )
    return CompiledDictionaries(bigger)


def article(chars: int) -> str:
    body, i = [], 0
    while sum(len(p) for p in body) < chars:
        body.append(f"<p>{PARAGRAPHS[i % len(PARAGRAPHS)]}</p>")
        i += 1
    return "".join(body)


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=100_000, help="articles to re-check")
    parser.add_argument("--terms", type=int, default=50_000, help="generated dictionary terms")
    parser.add_argument("--runs", type=int, default=20, help="timed runs of the 20k article")
    args = parser.parse_args(argv)
    compiled = large_dictionaries(load_config(CONFIG).checks, args.terms)
    started = time.perf_counter()
    compiled.scan("预热")
    build_s = time.perf_counter() - started
    context = CheckContext(column_type="通知公告", org_code="11990000MB0000001M")
    big = article(20_000)
    meta = ArticleMetadata()
    run_checks("标题", big, meta, compiled, context)  # warm caches
    times = []
    for _ in range(args.runs):
        t = time.perf_counter()
        run_checks("关于做好扫黑除恶常态化工作的通知", big, meta, compiled, context)
        times.append((time.perf_counter() - t) * 1000)
    typical = [article(800 + (i % 5) * 300) for i in range(50)]
    t = time.perf_counter()
    for i in range(args.articles):
        run_checks(f"通知{i}", typical[i % len(typical)], meta, compiled, context)
    rate = args.articles / (time.perf_counter() - t)
    terms = compiled.dictionaries.term_count()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cpus, Python {platform.python_version()}"
    )
    print(f"dictionaries: {terms:,} terms, automaton built in {build_s:.2f} s")
    print(
        f"20,000-character article: median {statistics.median(times):.1f} ms, "
        f"max {max(times):.1f} ms over {args.runs} runs ({len(big):,} HTML chars)"
    )
    print(f"re-check: {args.articles:,} articles of 0.8-2 k characters, {rate:,.0f} articles/s")
    result = {
        "article_20k_ms": statistics.median(times),
        "recheck_articles_per_s": rate,
        "terms": terms,
    }
    print(
        f"checks: article_20k_ms={result['article_20k_ms']:.1f} "
        f"recheck_articles_per_s={rate:.0f} terms={terms}"
    )
    return result


if __name__ == "__main__":
    main()
