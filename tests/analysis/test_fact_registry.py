"""The facts registry (analysis/facts/catalogue.py): every entry is proved on its own examples and
counter-examples, and an entry missing a piece fails at load naming the file and the field."""

from __future__ import annotations

from dataclasses import replace

import pytest

from analysis.facts import CORROBORATING, FACTS, HARM, Fact, FactRegistryError, find_facts
from analysis.facts.finder import _inner_words, count_value
from analysis.facts.schema import validate
from store.tokens import segment

EXAMPLES = [(f.id, text, True) for f in FACTS for text in f.examples] + [
    (f.id, text, False) for f in FACTS for text in f.counter_examples
]


@pytest.mark.parametrize(("fact", "text", "stated"), EXAMPLES, ids=[f"{e[0]}-{e[1][:10]}" for e in EXAMPLES])
def test_every_entry_on_its_examples(fact: str, text: str, stated: bool) -> None:
    found = {h.fact: h.words for h in find_facts(segment(text))}
    assert (fact in found) == stated, found
    # Whole words (adjacent words joined, or a dictionary word inside a long phrase: 住院 in 住院治疗), never a
    # fragment.
    words = [w for token in segment(text) for w in (_inner_words(token) if len(token) >= 4 else [token])]
    for shown in found.get(fact, []):
        assert any(shown == "".join(words[i : i + n]) for i in range(len(words)) for n in (1, 2, 3)), shown


STRUCTURE = [
    # (text, fact, the words it must show)
    ("村支书收受开发商好处费", "official_wrong", ["村支书", "收受"]),
    ("几十名工人正在公司门口拉横幅", "gathering_now", ["拉横幅"]),
    ("工人扬言要去上访", "gathering_threat", ["上访", "扬言"]),
    ("我孩子昨天被几个同学围殴", "minor_harmed", ["孩子", "围殴"]),
    ("住建局副局长利用职务之便破坏投标程序", "official_graft", ["副局长", "利用职务"]),
    ("业主纷纷挂出抗议白旗", "protest", ["业主", "白旗"]),
    ("小区272户业主至今无法办证", "crowd", ["272户"]),
    ("千余人的安置费没有到位", "crowd", ["千余人"]),
]


@pytest.mark.parametrize(("text", "fact", "words"), STRUCTURE, ids=[s[1] + "-" + s[0][:6] for s in STRUCTURE])
def test_structural_facts_show_both_words(text: str, fact: str, words: list[str]) -> None:
    found = {h.fact: h.words for h in find_facts(segment(text))}
    assert fact in found, found
    assert set(words) <= set(found[fact]), found[fact]


@pytest.mark.parametrize(
    ("numeral", "value"),
    [("272", 272), ("二十", 20), ("十几", 13), ("三百", 300), ("千", 1000), ("几十", 30), ("一万二千", 12000)],
)
def test_count_value(numeral: str, value: int) -> None:
    assert count_value(numeral) == value


def test_a_structural_fact_needs_its_partner_near() -> None:
    # An official and a wrongful act far apart (other sentences' words between) are not one fact.
    text = "书记来村里调研了很多次我们都很欢迎他来看看这条路的情况后来开发商收受定金后跑路"
    assert "official_wrong" not in {h.fact for h in find_facts(segment(text))}


def test_harm_and_corroboration_come_from_the_entries() -> None:
    assert {f.id for f in FACTS if f.harm} == HARM and {"injury", "death", "minor_harmed"} <= HARM
    assert HARM | {"gathering", "misconduct", "official_wrong"} <= CORROBORATING
    assert "minors" not in CORROBORATING and "urgency" not in HARM


@pytest.mark.parametrize(
    ("broken", "field"),
    [
        (replace(FACTS[0], examples=()), "examples"),
        (replace(FACTS[0], counter_examples=()), "counter_examples"),
        (replace(FACTS[0], zh=""), "zh"),
        (replace(FACTS[0], id="Death!"), "id"),
        (replace(FACTS[0], words=frozenset()), "words"),
    ],
)
def test_an_incomplete_entry_fails_at_load_naming_file_and_field(broken: Fact, field: str) -> None:
    with pytest.raises(FactRegistryError, match=f"analysis/facts/catalogue.py.*{field}"):
        validate((broken, *FACTS[1:]))


def test_a_duplicate_id_fails_at_load() -> None:
    with pytest.raises(FactRegistryError, match="id 重复"):
        validate((*FACTS, FACTS[0]))


def test_structural_facts_are_shown_but_not_weighed_by_the_grader() -> None:
    from analysis.facts import WEIGHED, find_facts
    from analysis.grader import feature_sets

    hits = find_facts(segment("村支书收受开发商好处费，几十名村民正在村委会门口拉横幅"))
    found = {h.fact for h in hits}
    assert {"official_wrong", "gathering_now", "gathering", "many"} <= found
    _, features = feature_sets([], [], hits)
    assert "fgathering" in features and "fofficial_wrong" not in features and "fgathering_now" not in features
    assert {"official_wrong", "gathering_now", "crowd"}.isdisjoint(WEIGHED)


def test_extortion_is_officials_misconduct_only_beside_an_official() -> None:
    """The demo's bullying post (被勒索过零花钱, no official in it) states no 公职人员违纪; a village head's
    extortion does, as an official's concrete wrongful act."""
    bullied = (
        "我的孩子在宿舍被同班五六名学生围住殴打，头部受伤。孩子说这已经不是第一次被欺凌了，之前被勒索过零花钱，"
        "找过班主任，学校一直推诿。"
    )
    found = {h.fact for h in find_facts(segment(bullied))}
    assert "violence" in found and not found & {"misconduct", "official_wrong"}
    extorted = {h.fact: h.words for h in find_facts(segment("村支书以办低保为名敲诈村民两千元"))}
    assert extorted.get("official_wrong") == ["村支书", "敲诈"] and "misconduct" not in extorted
