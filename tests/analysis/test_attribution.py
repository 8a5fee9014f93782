"""Unit attribution: names first (title, then content, longest name), then topic words, then the source default."""

from __future__ import annotations

import pytest

from analysis.attribution import UnitAttributor
from config import Unit

UNITS = [
    Unit(id="county", name="城关县人民政府", aliases=["城关县"]),
    Unit(id="edu", name="城关县教育局", aliases=["教育局"], keywords=["学校", "老师", "补课", "学费", "学生"]),
    Unit(id="school", name="城关第一中学", aliases=["城关一中", "一中"]),
    Unit(id="other-school", name="河西一中"),
    Unit(id="health", name="城关县卫健局", keywords=["医院", "医生", "挂号", "护士"]),
    Unit(id="traffic", name="城关县交通局", keywords=["公交", "出租车", "医院"]),
]

CASES = [
    # (what, title, content, default, unit, how)
    ("name in title beats content", "城关一中乱收费", "教育局不管", None, "school", "name"),
    ("name in content", "乱收费", "城关县教育局不管", "county", "edu", "name"),
    ("longest name wins", "", "河西一中的老师", None, "other-school", "name"),
    ("traditional spelling of a name", "", "城關一中", None, "school", "name"),
    ("two topic words route the post", "", "学校老师强制补课", "county", "edu", "topic"),
    ("one topic word is not enough", "", "老师很好", "county", "county", "default"),
    (
        "a tie between topics leaves the default",
        "",
        "医生和护士坐公交还是出租车",
        "county",
        "county",
        "default",
    ),
    ("title words count double", "医院挂号难", "公交车都绕路", "county", "health", "topic"),
    ("nothing at all", "", "天气不错", None, None, "none"),
]


@pytest.mark.parametrize(("what", "title", "content", "default", "unit", "how"), CASES, ids=[c[0] for c in CASES])
def test_attribution(what: str, title: str, content: str, default: str | None, unit: str | None, how: str) -> None:
    result = UnitAttributor(UNITS).attribute(title=title, content=content, default_unit=default)
    assert (result.unit, result.how) == (unit, how)
    assert result.evidence.startswith("单位：")
