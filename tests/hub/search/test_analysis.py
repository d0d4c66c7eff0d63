"""How text becomes search terms, and the engine's promise that follows from it: any run of
two or more Chinese characters of a live text finds that text (recall 1.0), and every hit
holds what was asked (no match across punctuation or a segmenter's guess)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from hub.search.analysis import add_words, bigram_terms, query_phrase, runs
from hub.search.documents import SearchDoc
from hub.search.query import SearchQuery, doc_number_key, highlight, terms_of
from hub.search.settings import SearchSettings
from hub.search.tantivy_engine import TantivyEngine

CJK = st.sampled_from(
    list("国务院办公厅关于推进一网通办改革的实施意见公积金医保社会保障住房城乡建设")
)
TEXT = st.lists(
    st.one_of(
        CJK,
        st.sampled_from(list("，。、：ab12 ")),
    ),
    min_size=2,
    max_size=60,
).map("".join)
SETTINGS = SearchSettings(synonyms=(("医保", "医疗保障"), ("公积金", "住房公积金")),
                          stop_words=frozenset({"怎么", "如何", "的"}))  # fmt: skip


def contains(sequence: list[str], part: list[str]) -> bool:
    return any(sequence[i : i + len(part)] == part for i in range(len(sequence) - len(part) + 1))


@given(TEXT, st.data())
def test_every_chinese_substring_is_a_phrase_of_the_texts_bigrams(
    text: str, data: st.DataObject
) -> None:
    chinese = [r for r in runs(text) if len(r) >= 2 and not r.isascii()]
    if not chinese:
        return
    run = data.draw(st.sampled_from(chinese))
    start = data.draw(st.integers(0, len(run) - 2))
    end = data.draw(st.integers(start + 2, len(run)))
    assert contains(bigram_terms(text), query_phrase(run[start:end]))


def doc(number: int, title: str, text: str, **extra: str) -> SearchDoc:
    fields = dict(id=f"a{number}@gov", article_id=f"a{number}", site="gov", site_name="示范省人民政府",
                  columns=("notices",), column_names=("通知公告",), vertical="news", title=title,
                  text=text, doc_number="", agency="", subject="", written_date="",
                  published_at=f"2026-0{1 + number % 9}-01T00:00:00+00:00", url=f"notices/a{number}.html")  # fmt: skip
    return SearchDoc(**{**fields, **extra})  # type: ignore[arg-type]


@settings(max_examples=25, deadline=None)
@given(st.lists(TEXT, min_size=1, max_size=8), st.data())
def test_the_engine_finds_every_substring_and_only_texts_holding_it(
    texts: list[str], data: st.DataObject
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        engine = TantivyEngine(Path(folder))
        docs = [doc(i, f"标题{i}", text) for i, text in enumerate(texts)]
        engine.replace({d.article_id: [d] for d in docs}, 1)
        chinese = [
            (i, r) for i, t in enumerate(texts) for r in runs(t) if len(r) >= 2 and not r.isascii()
        ]
        if not chinese:
            return
        i, run = data.draw(st.sampled_from(chinese))
        start = data.draw(st.integers(0, len(run) - 2))
        asked = run[start : data.draw(st.integers(start + 2, len(run)))]
        query = SearchQuery(q=f'"{asked}"', size=50)
        answer = engine.search(query, terms_of(query.q, SearchSettings()))
        hits = {d.article_id for d, _ in answer.docs}
        assert f"a{i}" in hits  # recall
        for article in hits:  # precision: the words asked, as written (punctuation aside)
            held = "".join(runs(texts[int(article[1:])]))
            assert "".join(runs(asked)) in held or asked in f"标题{article[1:]}"


def test_a_doc_number_is_one_spelling_whatever_brackets_were_typed() -> None:
    for typed in ("桂政办发〔2024〕12号", "桂政办发[2024]12号", "桂政办发（2024）12号", "桂政办发 (2024) 012号",
                  "桂政办发【2024】12 号"):  # fmt: skip
        assert doc_number_key(typed) == "桂政办发〔2024〕12号", typed
    assert doc_number_key("关于2024年的通知") == ""


def test_a_question_keeps_its_words_and_each_word_its_synonyms() -> None:
    add_words(SETTINGS.dictionary())
    terms = terms_of("怎么提取医保的钱", SETTINGS)
    assert [t.text for t in terms] == ["提取", "医保"]  # 怎么, 的: stop words; 钱: one character
    medical = next(t for t in terms if t.text == "医保")
    assert medical.spellings == ("医保", "医疗保障")
    assert [t.text for t in terms_of('"一网通办改革" 通知', SETTINGS)] == ["一网通办改革", "通知"]
    number = terms_of("国办发〔2016〕80号", SETTINGS)[0]
    assert number.doc_number == "国办发〔2016〕80号"
    assert terms_of("，。！", SETTINGS) == []


def test_highlighting_marks_the_words_and_escapes_the_rest() -> None:
    terms = terms_of("公积金", SETTINGS)
    marked = str(highlight("<b>住房公积金</b> & 公积金", terms))
    assert marked == "&lt;b&gt;<mark>住房公积金</mark>&lt;/b&gt; &amp; <mark>公积金</mark>"
    window = str(highlight("前" * 200 + "公积金" + "后" * 200, terms, limit=60))
    assert window.startswith("…") and window.endswith("…") and "<mark>公积金</mark>" in window
    assert len(window) < 120


def test_documents_are_replaced_whole_and_the_position_survives_a_reopen(tmp_path: Path) -> None:
    engine = TantivyEngine(tmp_path / "index")
    first = doc(1, "关于开展自查工作的通知", "各有关单位")
    engine.replace(
        {"a1": [first, doc(1, "关于开展自查工作的通知", "各有关单位", id="a1@drc", site="drc")]}, 7
    )
    engine.replace({"a1": [first]}, 9)  # a replay of the same article: the same documents
    engine.replace({"a1": [first]}, 9)
    assert engine.count() == 1
    reopened = TantivyEngine(tmp_path / "index")
    assert reopened.position() == 9 and reopened.count() == 1
    (tmp_path / "index" / "position.json").write_text('{"schema": 0, "position": 9}')
    assert TantivyEngine(tmp_path / "index").position() == 0  # another schema: made anew
    assert TantivyEngine(tmp_path / "index").count() == 0


def test_a_word_of_intent_prefers_a_vertical_unless_it_is_all_that_was_asked() -> None:
    rules = SearchSettings(intents={"解读": "interpretation", "办事指南": "service"})
    asked = terms_of("公积金 解读", rules)
    assert [(t.text, t.prefer) for t in asked] == [("公积金", ""), ("解读", "interpretation")]
    assert [(t.text, t.prefer) for t in terms_of("解读", rules)] == [("解读", "")]
