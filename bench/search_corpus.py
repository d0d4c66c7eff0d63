"""A labelled set for search quality: a corpus of government items around 30 topics and 60
Chinese queries with graded judgments, and nDCG@10.

The corpus is built, not scraped, so it can ship and be judged the same way every time:
for each topic a 政策文件 (with 文号 and 发文机关), its 政策解读, a 办事指南, a 工作动态 and a
通知; plus items that only *mention* topics in passing (a meeting's list of work), and
`noise` items of general government prose. Judgments follow what a searcher asking each
query wants (the rules are written next to each kind of query, independent of any engine):

- the topic's name (住房公积金提取): its policy 3, interpretation 2, guide 2, news 1, notice 1;
  an item that only mentions the topic in a list: 0;
- the everyday name (公积金, 医保报销, 低保 …): the same grades (synonyms must bridge it);
- a 文号 typed with other brackets: that policy 3, its interpretation 1;
- a question (怎么办理居住证): the guide 3, the policy 2, the interpretation 1, others 1;
- a document's name with 解读: the interpretation 3, the policy 2.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass

# name, everyday name, agency, 文号 prefix, what a citizen does (for the question and guide)
TOPICS: tuple[tuple[str, str, str, str, str], ...] = (
    ("住房公积金提取", "公积金", "示范省住房和城乡建设厅", "示建", "提取住房公积金"),
    ("医疗保障待遇", "医保报销", "示范省医疗保障局", "示医保", "报销医疗费用"),
    ("居住证办理", "暂住证", "示范省公安厅", "示公", "办理居住证"),
    ("营业执照登记", "工商执照", "示范省市场监督管理局", "示市监", "办理营业执照"),
    ("个人所得税汇算", "个税汇算", "国家税务总局示范省税务局", "示税", "办理个税汇算"),
    ("最低生活保障", "低保", "示范省民政厅", "示民", "申请低保"),
    ("失业保险金申领", "失业金", "示范省人力资源和社会保障厅", "示人社", "申领失业金"),
    ("义务教育招生入学", "小学入学", "示范省教育厅", "示教", "办理入学"),
    ("机动车驾驶证换领", "驾照换证", "示范省公安厅", "示公交", "换领驾驶证"),
    ("养老服务补贴", "养老补贴", "示范省民政厅", "示民养", "申请养老补贴"),
    ("残疾人两项补贴", "残障人士补贴", "示范省残疾人联合会", "示残联", "申请残疾人补贴"),
    ("小微企业减税降费", "小型微型企业", "示范省财政厅", "示财", "享受减税降费"),
    ("一网通办改革", "网上办事", "示范省人民政府办公厅", "示政办发", "网上办事"),
    ("优化营商环境", "营商环境", "示范省人民政府", "示政发", "反映营商环境问题"),
    ("安全生产大检查", "安全检查", "示范省应急管理厅", "示应急", "举报安全隐患"),
    ("防汛抗旱", "防汛", "示范省水利厅", "示水", "报告汛情"),
    ("乡村振兴", "脱贫攻坚", "示范省农业农村厅", "示农", "申报乡村振兴项目"),
    ("生态环境保护", "环保", "示范省生态环境厅", "示环", "举报环境污染"),
    ("高校毕业生就业", "毕业生求职", "示范省人力资源和社会保障厅", "示人社就", "办理就业登记"),
    ("高层次人才引进", "人才引进", "示范省委组织部", "示组", "申报人才引进"),
    ("城镇老旧小区改造", "老旧小区", "示范省住房和城乡建设厅", "示建改", "申请老旧小区改造"),
    ("冬季清洁取暖", "清洁取暖", "示范省发展和改革委员会", "示发改", "申请取暖补贴"),
    ("新能源汽车推广应用", "电动汽车", "示范省工业和信息化厅", "示工信", "申请购车补贴"),
    ("农村土地承包经营权", "土地承包", "示范省农业农村厅", "示农经", "办理土地承包经营权证"),
    ("中小学课后服务", "课后托管", "示范省教育厅", "示教基", "报名课后服务"),
    ("政府信息公开申请", "信息公开", "示范省人民政府办公厅", "示政办函", "申请政府信息公开"),
    ("政务服务便民热线", "12345", "示范省人民政府办公厅", "示政办", "拨打12345热线"),
    ("户籍迁移", "户口迁移", "示范省公安厅", "示公户", "办理户口迁移"),
    ("大众创业万众创新", "双创", "示范省科学技术厅", "示科", "申报双创示范基地"),
    ("数字政府建设", "政务数字化", "示范省大数据发展管理局", "示数据", "使用政务服务平台"),
)
# Synonym groups the corpus needs beyond the shipped config/search.yaml (a province adds its
# own); kept here so the judged set states every bridge it expects.
EXTRA_SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("医保报销", "医疗保障待遇"), ("暂住证", "居住证"), ("个税汇算", "个人所得税汇算"),
    ("驾照换证", "驾驶证换领"),
    ("环保", "生态环境保护"), ("毕业生求职", "高校毕业生就业"), ("课后托管", "课后服务"),
    ("电动汽车", "新能源汽车"), ("政务数字化", "数字政府"), ("户口迁移", "户籍迁移"),
    ("小学入学", "义务教育招生入学"), ("安全检查", "安全生产大检查"),
    ("养老补贴", "养老服务补贴"),
)  # fmt: skip
FILLER = (
    "各地各部门要切实提高政治站位，压实工作责任，确保各项任务落到实处。",
    "要加强统筹协调，强化督促检查，及时研究解决工作中遇到的困难和问题。",
    "各级政府要把这项工作摆上重要议事日程，主要负责同志亲自抓、负总责。",
    "要坚持以人民为中心的发展思想，不断增强人民群众的获得感、幸福感、安全感。",
    "会议强调，要认真贯彻落实党中央、国务院决策部署和省委、省政府工作要求。",
    "要加大宣传力度，及时回应社会关切，营造良好舆论氛围。",
    "各有关单位要结合实际制定具体实施方案，明确时间表和路线图。",
    "本通知自印发之日起施行，执行中遇到的问题请及时向主管部门反映。",
    "要建立健全长效机制，推动工作制度化、规范化、常态化。",
    "有关情况请于每月底前报送办公室，联系人及电话见附件。",
)
YEARS = (2023, 2024, 2025, 2026)


@dataclass(frozen=True)
class Item:
    key: str
    title: str
    text: str
    vertical: str
    doc_number: str = ""
    agency: str = ""
    year: int = 2026


@dataclass(frozen=True)
class Judged:
    query: str
    kind: str
    grades: dict[str, int]  # item key -> grade (absent: 0)


def _body(rng: random.Random, *topic_sentences: str, filler: int = 3) -> str:
    sentences = list(topic_sentences) + rng.sample(FILLER, filler)
    rng.shuffle(sentences)
    return "".join(sentences)


def corpus(noise: int = 300, seed: int = 7) -> list[Item]:
    rng = random.Random(seed)
    items: list[Item] = []
    for n, (name, _, agency, prefix, act) in enumerate(TOPICS):
        year = YEARS[n % len(YEARS)]
        number = f"{prefix}〔{year}〕{n + 3}号"
        policy_title = f"{agency}关于进一步做好{name}工作的通知"
        items += [
            Item(f"t{n}-policy", policy_title,
                 _body(rng, f"为进一步做好{name}工作，现就有关事项通知如下。",
                       f"各地要严格落实{name}相关政策，确保群众{act}便捷高效。"),
                 "policy", number, agency, year),
            Item(f"t{n}-reading", f"《关于进一步做好{name}工作的通知》政策解读",
                 _body(rng, f"近日，{agency}印发{number}，对{name}作出部署。",
                       f"本文就{name}的主要内容和群众如何{act}进行解读。"),
                 "interpretation", "", agency, year),
            Item(f"t{n}-guide", f"{name}办事指南",
                 _body(rng, f"{act}的办理条件、申请材料、办理流程和办理时限如下。",
                       f"{name}可在政务服务网或各级政务服务大厅办理。", filler=1),
                 "service", "", agency, year),
            Item(f"t{n}-news", f"我省{name}工作取得新进展",
                 _body(rng, f"今年以来，全省{name}工作扎实推进，群众满意度持续提升。"),
                 "news", "", agency, year),
            Item(f"t{n}-notice", f"关于开展{name}专项检查的通知",
                 _body(rng, f"为推动{name}政策落地见效，决定开展专项检查。"),
                 "news", "", agency, year),
        ]  # fmt: skip
    for m in range(len(TOPICS)):  # meetings that list other topics in passing
        listed = rng.sample([t[0] for t in TOPICS], 4)
        items.append(Item(f"m{m}", f"全省政务服务工作会议第{m + 1}次会议召开",
                          _body(rng, f"会议听取了{'、'.join(listed)}等工作情况汇报。"),
                          "news", "", "示范省人民政府办公厅", YEARS[m % 4]))  # fmt: skip
    for k in range(noise):
        items.append(Item(f"n{k}", f"示范省第{k + 1}期政务工作简报",
                          _body(rng, filler=4), "news", "", "", YEARS[k % 4]))  # fmt: skip
    return items


def _topic_grades(n: int, items: list[Item]) -> dict[str, int]:
    return {f"t{n}-policy": 3, f"t{n}-reading": 2, f"t{n}-guide": 2, f"t{n}-news": 1,
            f"t{n}-notice": 1}  # fmt: skip


def judged(items: list[Item]) -> list[Judged]:
    """60 queries: two per topic, alternating the second's kind."""
    queries: list[Judged] = []
    for n, (name, everyday, _, prefix, act) in enumerate(TOPICS):
        grades = _topic_grades(n, items)
        queries.append(Judged(name, "name", grades))
        year = YEARS[n % len(YEARS)]
        match n % 4:
            case 0:
                queries.append(Judged(everyday, "everyday", grades))
            case 1:
                queries.append(Judged(f"{prefix}[{year}]{n + 3}号", "doc_number",
                                      {f"t{n}-policy": 3, f"t{n}-reading": 1}))  # fmt: skip
            case 2:
                queries.append(Judged(f"怎么{act}", "question",
                                      {**{k: 1 for k in grades}, f"t{n}-guide": 3,
                                       f"t{n}-policy": 2}))  # fmt: skip
            case _:
                queries.append(Judged(f"进一步做好{name}工作的通知 解读", "reading",
                                      {f"t{n}-reading": 3, f"t{n}-policy": 2}))  # fmt: skip
    return queries


def ndcg_at_10(ranked: list[str], grades: dict[str, int]) -> float:
    """Normalised discounted cumulative gain of the first ten (gain 2^g − 1)."""

    def dcg(gains: Iterator[int] | list[int]) -> float:
        return sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(gains))

    ideal = dcg(sorted(grades.values(), reverse=True)[:10])
    return dcg([grades.get(key, 0) for key in ranked[:10]]) / ideal if ideal else 0.0
