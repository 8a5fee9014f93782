"""Facts found on whole jieba words: what happened and to whom, with the words that showed it."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.analyser import Analyser
from analysis.facts import FACTS, find_facts
from config import load_config
from store.tokens import segment


@pytest.fixture(scope="module")
def analyser() -> Analyser:
    return Analyser(load_config(Path(__file__).resolve().parents[2] / "config" / "example"))


CASES = [
    # (text, facts expected with a word each must include, facts that must not be found)
    (
        "我孩子昨天被几个同学围殴，头部受伤住院",
        {"injury": "受伤", "treated": "住院", "minors": "孩子", "violence": "围殴"},
        set(),
    ),
    ("好几个学生吃完呕吐腹泻，怀疑食物中毒", {"illness": "呕吐", "minors": "学生"}, set()),
    ("村民们在镇政府门口拉横幅", {"gathering": "拉横幅", "many": "村民们"}, set()),
    ("二十多名工人被拖欠工资半年", {"many": "二十多名", "wages": "拖欠工资"}, set()),
    ("办事员收礼还要购物卡", {"misconduct": "收礼"}, set()),
    ("围墙随时可能倒塌", {"urgency": "随时", "hazard": "倒塌"}, set()),
    # Denied, not stated: 没有人受伤 is no injury.
    ("墙倒了，幸好没有人受伤", {}, {"injury"}),
    ("请问护照在哪里办理", {}, {"injury", "many", "minors", "violence"}),
    # Harm that might happen is a hazard, not harm done; a relative's illness or a stay in hospital is no harm.
    ("围墙一旦倒塌会造成人员伤亡，以免学生受伤", {"hazard": "倒塌"}, {"injury", "death"}),
    ("我母亲住院治疗，想问医保怎么报销", {"treated": "住院"}, {"hospital", "injury", "illness"}),
    ("被摩托车撞倒在地，送往医院急诊", {"injury": "撞倒", "hospital": "送往医院"}, set()),
    # Three people are not "many"; a price is not a crowd.
    ("三个人在路边聊天，花了二十元", {}, {"many"}),
]


@pytest.mark.parametrize(("text", "expected", "absent"), CASES, ids=[c[0][:8] for c in CASES])
def test_facts(text: str, expected: dict[str, str], absent: set[str]) -> None:
    found = {h.fact: h.words for h in find_facts(segment(text))}
    for fact, word in expected.items():
        assert fact in found, (fact, found)
        assert word in found[fact], (fact, found)
    assert not absent & found.keys(), found


def test_whole_words_never_fragments() -> None:
    words = segment("我们学校食堂的午餐经常有变质的肉，好几个学生吃完呕吐腹泻")
    for hit in find_facts(words):
        for shown in hit.words:
            # Every word shown is one token or adjacent tokens joined: never part of a token.
            assert any(shown == "".join(words[i : i + n]) for i in range(len(words)) for n in (1, 2, 3)), shown


def test_facts_are_named_with_their_words_once_in_the_risk_line(analyser: Analyser) -> None:
    """为何预警 lists each fact and its words in one place: the risk line that leads it (依据事实：…)."""
    lines = analyser.analyse(title="", content="学生被打受伤").explanation
    facts = lines[0].split("依据事实：", 1)[1].split("。计分：", 1)[0]
    assert "涉及未成年人（学生）" in facts and "人员受伤（受伤）" in facts
    assert sum("人员受伤（受伤）" in line for line in lines) == 1
    assert not any(line.startswith("事实：") for line in lines)
    calm = analyser.analyse(title="", content="请问护照在哪里办理").explanation
    assert "依据事实：无。" in calm[0]


def test_registry_ids_unique_and_named_in_chinese() -> None:
    assert len({f.id for f in FACTS}) == len(FACTS)
    assert all(f.zh and f.words for f in FACTS)


def test_facts_inside_a_configured_phrase() -> None:
    """The configuration's phrases are single words to jieba (a scheme's 随时可能倒塌): the facts inside count."""
    import jieba

    from store.tokens import segment as seg

    jieba.add_word("随时可能倒塌")
    words = seg("教学楼围墙随时可能倒塌")
    assert "随时可能倒塌" in words
    found = {h.fact: h.words for h in find_facts(words)}
    assert found.get("urgency") == ["随时"] and found.get("hazard") == ["倒塌"]
