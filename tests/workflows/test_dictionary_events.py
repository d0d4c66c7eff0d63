"""Dictionary versions as events: folding the recorded changes gives back the newest version."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from workflows.checks.dictionaries import Correction, Dictionaries, SensitiveWord
from workflows.dictionary_events import dictionaries_changed, fold_digests

_WORDS = st.sampled_from(["赌场", "荷官", "假证", "枪支", "炸药", "裸聊"])
_DICTIONARIES = st.builds(
    lambda words, typos, domains: Dictionaries(
        sensitive_words=tuple(SensitiveWord(word=w, category=c) for w, c in words),
        typos=tuple(Correction(correct=c, wrong=(w,)) for c, w in typos),
        allowed_link_domains=tuple(domains),
    ),
    st.lists(st.tuples(_WORDS, st.sampled_from(["赌博", "违法"])), max_size=5),
    st.lists(st.tuples(st.sampled_from(["部署", "截至"]), st.sampled_from(["布署", "截止"]))),
    st.lists(st.sampled_from(["gov.cn", "xinhuanet.com", "people.com.cn"]), max_size=3),
)


@settings(max_examples=150)
@given(st.lists(_DICTIONARIES, min_size=1, max_size=6))
def test_folding_recorded_changes_gives_the_newest_entries(versions: list[Dictionaries]) -> None:
    recorded = []
    for dictionaries in versions:
        version, digests = fold_digests(recorded)
        change = dictionaries_changed(dictionaries, version, digests)
        if change is None:
            assert version == dictionaries.digest()
            continue
        assert change.previous_version == version
        recorded.append(change)
        version, digests = fold_digests(recorded)
        assert version == dictionaries.digest()
        expected = {k: v for k, v in dictionaries.entry_digests().items() if v}
        assert {k: v for k, v in digests.items() if v} == expected


def test_a_change_names_what_was_added_changed_and_removed() -> None:
    before = Dictionaries(
        sensitive_words=(
            SensitiveWord(word="赌场", category="赌博"),
            SensitiveWord(word="假证", category="违法"),
        )
    )
    after = Dictionaries(
        sensitive_words=(
            SensitiveWord(word="赌场", category="违法"),
            SensitiveWord(word="荷官", category="赌博"),
        )
    )
    first = dictionaries_changed(before, None, {})
    assert first is not None and first.added["sensitive_words"] == ("赌场", "假证")
    version, digests = fold_digests([first])
    second = dictionaries_changed(after, version, digests)
    assert second is not None
    assert (second.added, second.changed, second.removed) == (
        {"sensitive_words": ("荷官",)},
        {"sensitive_words": ("赌场",)},
        {"sensitive_words": ("假证",)},
    )
    assert second.summary() == "敏感词增1、改1、删1"
    assert dictionaries_changed(after, second.version, fold_digests([first, second])[1]) is None
