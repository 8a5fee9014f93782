"""Facts that don't misfire: an entry's `not_after` / `not_before` words (analysis/facts/catalogue.py) keep a fact
word in another sense from counting — 死亡威胁, 树木死亡, 扣押车辆, 呕吐感, 轻则/重则 and 如果…死亡 — while the same
word told of a person still counts. The contexts' distances are counted in whole words."""

from __future__ import annotations

import pytest

from analysis.facts import FACTS, Fact, FactRegistryError, find_facts
from analysis.facts.schema import Context, fact, validate
from store.tokens import segment

CASES = [
    # (text, fact, found?)
    ("施工负责人对我发出的死亡威胁", "death", False),
    ("他当面对我进行死亡威胁", "death", False),
    ("致使树木因见不到阳光而死亡", "death", False),
    ("苗木大面积死亡，损失惨重", "death", False),
    ("养殖场的鱼大量死亡", "death", False),
    ("轻则慢性中毒，重则中毒死亡", "death", False),
    ("轻则慢性中毒，重则中毒死亡", "illness", False),
    ("如果孩子在路上出了事故死亡怎么办", "death", False),
    ("假如有人死亡谁来负责", "death", False),
    ("他们要去跳楼", "death", False),
    ("工地昨天有工人坠落身亡", "death", True),
    ("病人经抢救无效死亡，家属要求说法", "death", True),
    ("我父亲在医院死亡，医院推卸责任", "death", True),
    ("立刻返还违法扣押车辆", "detention", False),
    ("我的车辆被扣押了半个月", "detention", False),
    ("违规扣押证书", "detention", False),
    ("我父亲被他们扣押了三天", "detention", True),
    ("他被派出所非法拘留", "detention", True),
    ("为什么不依法拘留这个恶人", "detention", False),
    ("油漆味让人产生呕吐感", "illness", False),
    ("孩子吃了学校午餐后呕吐腹泻", "illness", True),
    ("人闻到后感到恶心", "illness", False),
    ("村民喝了井水后恶心呕吐", "illness", True),
    ("患白血病、癌症的几率是其他地区的数倍", "illness", False),
    ("当地民众癌症频发", "illness", True),
    ("非要等到老百姓受伤后才管吗", "injury", False),
    ("大小树木连根推倒", "injury", False),
    ("还被项目部的人推倒在地", "injury", True),
    ("小孩爬围墙摔伤", "injury", True),
    ("楼板横梁被打穿", "violence", False),
    ("他昨天在校门口被打了", "violence", True),
    ("如果孩子在学校被打谁负责", "violence", False),
    ("我家孩子如果在路上受伤怎么办", "minor_harmed", False),
    ("我孩子昨天被几个同学围殴，头部受伤住院", "minor_harmed", True),
]


@pytest.mark.parametrize(("text", "fact_id", "found"), CASES, ids=[f"{c[1]}-{c[0][:10]}" for c in CASES])
def test_a_fact_word_in_another_sense_does_not_count(text: str, fact_id: str, found: bool) -> None:
    facts = {h.fact for h in find_facts(segment(text))}
    assert (fact_id in facts) == found, facts


def _entry(**context: tuple[tuple[str, int], ...]) -> tuple[Fact, ...]:
    return (
        fact(
            "wanted",
            "测试事实",
            "死亡",
            examples=("工人死亡",),
            counter_examples=("树木死亡",),
            **context,  # type: ignore[arg-type]
        ),
    )


def test_the_distance_is_counted_in_whole_words() -> None:
    entry = _entry(not_after=(("树木", 2),))[0]
    assert entry.not_after == (Context(frozenset({"树木"}), 2),)
    words = ["树木", "大面积", "死亡"]  # 树木 two words before
    assert not _found_with(entry, words)
    assert _found_with(entry, ["树木", "因为", "大面积", "死亡"])  # three words before: counts


def test_a_not_before_word_after_the_fact_word_blocks_it() -> None:
    entry = _entry(not_before=(("威胁", 1),))[0]
    assert not _found_with(entry, ["死亡", "威胁"])
    assert _found_with(entry, ["死亡", "的", "威胁"])


def _found_with(entry: Fact, words: list[str]) -> bool:
    import analysis.facts.finder as finder

    saved = finder.FACTS
    finder._index.cache_clear()
    finder.FACTS = (entry,)
    try:
        return any(h.fact == "wanted" for h in finder.find_facts(words))
    finally:
        finder.FACTS = saved
        finder._index.cache_clear()


@pytest.mark.parametrize("bad", [(("", 2),), (("树木", 0),)])
def test_an_empty_or_zero_distance_context_fails_at_load(bad: tuple[tuple[str, int], ...]) -> None:
    with pytest.raises(FactRegistryError, match="not_after"):
        validate(_entry(not_after=bad))


def test_the_registry_has_contexts_on_the_harm_entries() -> None:
    by_id = {f.id: f for f in FACTS}
    for fact_id in ("death", "injury", "illness", "violence", "detention"):
        assert by_id[fact_id].not_after, fact_id
