"""Monitoring schemes through the Aho-Corasick matcher: groups, exclusion, query, proximity, scope, folding."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from analysis.schemes import MAX_POSITIONS, SchemeMatcher
from config import Level, Scheme


def scheme(**fields: Any) -> Scheme:
    return Scheme.model_validate({"id": "s", "name": "测试方案", **fields})


CASES: list[tuple[str, dict[str, Any], str, str, list[str] | None]] = [
    # (what, scheme fields, title, content, words matched — None when it must not match)
    (
        "all groups present",
        dict(region=["城关"], subject=["学校"], event=["中毒"]),
        "城关学校",
        "学生中毒",
        ["城关", "学校", "中毒"],
    ),
    ("a group missing", dict(region=["城关"], subject=["学校"], event=["中毒"]), "城关学校", "学生发烧", None),
    ("empty groups ignored", dict(event=["欠薪"]), "", "老板欠薪三个月", ["欠薪"]),
    ("exclusion wins", dict(subject=["学校"], event=["欺凌"], exclude=["防欺凌宣传"]), "学校防欺凌宣传周", "", None),
    ("exclusion in content", dict(event=["火灾"], exclude=["演练"]), "仓库火灾", "这是消防演练", None),
    ("traditional characters", dict(subject=["学校"], event=["中毒"]), "學校食堂", "學生食物中毒", ["学校", "中毒"]),
    ("full-width latin", dict(event=["P2P"]), "", "ｐ２ｐ平台爆雷", ["P2P"]),
    ("latin word stands alone", dict(event=["ai"]), "", "he said so", None),
    ("latin word matched alone", dict(event=["ai"]), "", "用AI换脸诈骗", ["ai"]),
    ("query or", dict(query="(城关 OR 县城) 学校"), "县城学校", "", ["县城", "学校"]),
    ("query not", dict(query="学校 NOT 演练"), "学校演练", "", None),
    ("query phrase", dict(query='"食物中毒" 食堂'), "食堂", "疑似食物中毒", ["食物中毒", "食堂"]),
    ("query and groups both", dict(event=["中毒"], query="食堂"), "", "中毒", None),
    ("proximity met", dict(subject=["食堂"], event=["中毒"], proximity=8), "", "食堂饭菜导致中毒", ["食堂", "中毒"]),
    ("proximity missed", dict(subject=["食堂"], event=["中毒"], proximity=8), "", "食堂" + "很" * 20 + "中毒", None),
    ("proximity not across fields", dict(subject=["食堂"], event=["中毒"], proximity=8), "食堂", "中毒", None),
    ("title scope", dict(event=["中毒"], scope="title"), "好消息", "中毒", None),
    ("title scope met", dict(event=["中毒"], scope="title"), "食堂中毒", "", ["中毒"]),
    # Whole words: never a character fragment of another word (issue 13).
    ("not inside a longer word", dict(subject=["主任"], event=["收礼"]), "", "班主任收礼", None),
    ("the word itself", dict(subject=["主任"], event=["收礼"]), "", "办公室主任收礼", ["主任", "收礼"]),
    ("not across two words", dict(event=["重伤"]), "", "这件事严重伤害了群众感情", None),
    ("not a single character's fragment", dict(subject=["学生"], event=["被打"]), "", "小学生被打", None),
    ("a run of words spelling it", dict(event=["工资不发"]), "", "老板说工资不发了", ["工资不发"]),
    ("part of a compound of words", dict(event=["中毒"]), "", "学生食物中毒", ["中毒"]),
]


@pytest.mark.parametrize(("what", "fields", "title", "content", "words"), CASES, ids=[c[0] for c in CASES])
def test_scheme_matching(what: str, fields: dict[str, Any], title: str, content: str, words: list[str] | None) -> None:
    matches = SchemeMatcher([scheme(**fields)]).match(title=title, content=content)
    if words is None:
        assert matches == []
    else:
        assert [m.flag.words for m in matches] == [words]


def test_positions_are_offsets_in_the_original_text() -> None:
    title, content = "ＸＸ學校", "今天學校食堂有人食物中毒，食物中毒的人送医院。"
    [match] = SchemeMatcher([scheme(subject=["学校"], event=["食物中毒"])]).match(title=title, content=content)
    fields = {"title": title, "content": content}
    for field, offset in match.flag.positions:
        found = fields[field][offset : offset + 4]
        assert found in ("學校", "食物中毒") or found.startswith("學校")
    assert ("content", content.index("食物中毒")) in match.flag.positions
    assert ("content", content.rindex("食物中毒")) in match.flag.positions
    assert match.flag.positions[0] == ("title", 2)  # title positions first


def test_many_schemes_share_one_automaton_and_sort_by_severity() -> None:
    schemes = [
        Scheme(id="low", name="低", severity=Level.GENERAL, event=["投诉"]),
        Scheme(id="high", name="高", severity=Level.CRITICAL, event=["死亡"]),
        Scheme(id="off", name="停用", event=["投诉"], enabled=False),
    ]
    matches = SchemeMatcher(schemes).match(title="投诉", content="有人死亡")
    assert [m.scheme.id for m in matches] == ["high", "low"]


def test_a_post_repeating_a_word_stays_bounded() -> None:
    content = "食堂中毒" * 5_000
    [match] = SchemeMatcher([scheme(subject=["食堂"], event=["中毒"], proximity=5)]).match(title="", content=content)
    assert len(match.flag.positions) == MAX_POSITIONS


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (dict(query="(学校 OR 食堂"), "左括号没有闭合（第 1 个字符处）"),
        (dict(query="学校 AND"), "缺少词语（第 7 个字符处）"),
        (dict(query="NOT 演练"), "不含其中任何词语"),
        (dict(event=["中毒", " "]), "空词语"),
        (dict(exclude=["演练"]), "至少一组写上词语"),
        (dict(event=["中毒"], proximity=10), "proximity 要求 region、subject、event 中至少两组"),
    ],
)
def test_bad_schemes_are_refused_with_the_reason(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        scheme(**fields)


def test_no_schemes_match_nothing() -> None:
    assert SchemeMatcher([]).match(title="学校", content="中毒") == []


def test_example_schemes_match_whole_words() -> None:
    """The 干部作风 scheme named 主任 in 班主任 (a character fragment); a real 主任 still counts."""
    from pathlib import Path

    from config import load_config

    schemes = load_config(Path(__file__).resolve().parents[2] / "config" / "example").schemes
    matcher = SchemeMatcher(schemes)

    def ids(text: str) -> set[str]:
        return {m.scheme.id for m in matcher.match(title="", content=text)}

    assert "official-misconduct" not in ids("班主任对家长的反映很敷衍")
    assert "official-misconduct" in ids("社区主任对居民的反映很敷衍")
    assert "school-bullying" in ids("我家孩子是小学生，在学校被同学殴打")
