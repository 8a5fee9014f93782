"""Units that know their territory: a generic alias (教育局, 县政府, 镇政府) routes a post to our unit only when no
other place qualifies it, and the evidence names the place that ruled it out."""

from __future__ import annotations

import pytest

from analysis.attribution import UnitAttributor
from analysis.territory import TerritoryGuard
from config import Territory, Unit
from config.models import Place

UNITS = [
    Unit(id="county", name="城关县人民政府", aliases=["城关县", "县政府"]),
    Unit(id="edu", name="城关县教育局", aliases=["县教育局", "教育局"], keywords=["学校", "老师", "补课", "学生"]),
    Unit(id="school", name="城关第一中学", aliases=["城关一中", "县一中"], parent="edu"),
    Unit(id="town", name="城关镇人民政府", aliases=["城关镇", "镇政府"], parent="county"),
]
TERRITORY = Territory(
    name="城关县",
    aliases=["城关", "本县", "我县"],
    places=[Place(name="城关镇"), Place(name="东乡镇", aliases=["东乡"])],
    above=["西地省", "长沙市"],
)

CASES = [
    # (what, text, unit, how, evidence contains)
    ("an anonymised city qualifies the alias", "E12市教育局乱收费", "board", "default", "「E12市教育局」属E12市"),
    ("a county code before 县政府", "M2县政府不作为", "board", "default", "「M2县政府」属M2县"),
    ("a district inside another city", "A市A3区教育局不回复", "board", "default", "属A3区"),
    ("a dictionary place name", "浏阳市教育局不管", "board", "default", "属浏阳市"),
    ("the city above us is still not our bureau", "长沙市教育局不管", "board", "default", "属长沙市"),
    ("another county named elsewhere in the post", "我是K6县人，县教育局乱收费", "board", "default", "文中地点为K6县"),
    ("no topic routing for a post about another place", "K6县学校老师强制补课", "board", "default", "非本辖区"),
    ("an unqualified generic alias is ours", "我向县教育局反映过，没人管", "edu", "name", "→ 城关县教育局"),
    ("our short form qualifies it", "本县教育局说不归他们管", "edu", "name", "本辖区：本县"),
    ("our full name", "城关县教育局不作为", "edu", "name", "→ 城关县教育局"),
    ("our county named, another one too", "城关县人在K6县打工，回来发现县教育局不管", "edu", "name", "本辖区：城关县"),
    ("another town of ours is not this town's", "东乡镇政府门口堵车", "board", "default", "不是城关镇人民政府"),
    ("a name naming our place routes anywhere", "E12市的人说城关一中乱收费", "school", "name", "城关一中"),
    ("a post about another town of ours", "东乡镇的路灯坏了一个月，镇政府不管", "board", "default", "文中地点为东乡"),
    ("a town of ours does not qualify a county body", "东乡镇学校乱收费，县教育局不管", "edu", "name", "本辖区：东乡"),
    ("the town itself", "城关镇幸福路路灯不亮，镇政府不管", "town", "name", "城关镇"),
    ("a preposition is no place", "在镇政府门口打人", "town", "name", "→ 城关镇人民政府"),
    ("topic words still route our own posts", "学校老师强制补课", "edu", "topic", "按主题词"),
    ("the province above us does not make a post foreign", "西地省城关县教育局", "edu", "name", "城关县教育局"),
]


@pytest.mark.parametrize(("what", "text", "unit", "how", "evidence"), CASES, ids=[c[0] for c in CASES])
def test_territory_routing(what: str, text: str, unit: str, how: str, evidence: str) -> None:
    result = UnitAttributor(UNITS, TERRITORY).attribute(title="", content=text, default_unit="board")
    assert (result.unit, result.how) == (unit, how), result.evidence
    assert evidence in result.evidence


def test_without_a_territory_generic_aliases_match_as_before() -> None:
    result = UnitAttributor(UNITS).attribute(title="", content="E12市教育局乱收费", default_unit="board")
    assert (result.unit, result.how) == ("edu", "name")


def test_title_qualifier_counts_for_the_title() -> None:
    result = UnitAttributor(UNITS, TERRITORY).attribute(title="M2县政府强拆", content="县政府不管", default_unit=None)
    assert result.unit is None
    assert "M2县政府" in result.evidence


@pytest.mark.parametrize(
    ("alias", "generic"), [("教育局", True), ("县政府", True), ("城关一中", False), ("东乡中学", False)]
)
def test_generic_aliases_name_none_of_our_places(alias: str, generic: bool) -> None:
    assert TerritoryGuard(TERRITORY).is_generic(alias) is generic
