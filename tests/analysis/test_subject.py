"""Story keys of repeated complaints: the place or organisation a post names and its matter (table-driven, on
real DEV titles of the 泰迪杯 hot messages)."""

from __future__ import annotations

import random

import pytest

from analysis.events.subject import _PLACE, _place_matches, place_as_written, story_keys

CASES = [
    # (title, opening of the content, keys)
    ("A5区劳动东路魅力之城小区底层餐馆油烟扰民", "", ["魅力之|油烟", "魅力之|噪音"]),
    ("A市万科魅力之城商铺无排烟管道，小区内到处油烟味", "", ["魅力之|油烟"]),  # 万科魅力之城 is 魅力之城
    ("A市万科魅力之城近百户房屋楼板、墙面开裂！", "", ["魅力之|开裂"]),  # the same estate, another matter
    ("A2区丽发新城附近修建搅拌厂严重影响睡眠", "", ["丽发新|搅拌站"]),  # 搅拌厂 and 搅拌站 are one matter
    ("暮云街道丽发新城小区附近水泥搅拌站非法经营何时休", "", ["丽发新|搅拌站"]),
    ("A3区梅溪湖看云路一师润芳园小区临街门面油烟扰民", "", ["润芳园|油烟", "润芳园|噪音"]),
    ("A3区梅溪湖看云路润芳园小区油烟扰民", "", ["润芳园|油烟", "润芳园|噪音"]),
    # A generic stem names no place; the opening of the content stands in for the title.
    ("投诉小区附近搅拌站噪音扰民", "我是A市暮云街道丽发新城的一名业主", ["丽发新|搅拌站", "丽发新|噪音"]),
    ("搅拌站污染居民生活环境", "丽发新城小区旁居然搬迁过来一个搅拌站", ["丽发新|搅拌站", "丽发新|污染"]),
    ("请问社保怎么转移", "", []),  # no place, no matter
    ("A7县红树湾小区几乎每个月都水管破裂！", "", []),  # a place, but no matter the lexicon knows
]


@pytest.mark.parametrize(("title", "content", "keys"), CASES, ids=[c[0] for c in CASES])
def test_story_keys(title: str, content: str, keys: list[str]) -> None:
    assert story_keys(title, content) == keys


PLACES_WRITTEN = [
    # (title, opening of the content, the key's stem, the place as the post writes it)
    ("城关第一中学要排查校舍裂缝隐患", "", "关第一", "城关第一中学"),
    ("A5区劳动东路魅力之城小区底层餐馆油烟扰民", "", "魅力之", "魅力之城"),  # the address is not the name
    ("投诉小区附近搅拌站噪音扰民", "我是A市暮云街道丽发新城的一名业主", "丽发新", "丽发新城"),  # from the opening
    ("A市万科魅力之城商铺无排烟管道", "", "魅力之", "万科魅力之城"),  # as this post writes it
    ("请问社保怎么转移", "", "魅力之", None),  # the post names no such place
]


@pytest.mark.parametrize(("title", "content", "stem", "written"), PLACES_WRITTEN, ids=[c[0] for c in PLACES_WRITTEN])
def test_place_as_written(title: str, content: str, stem: str, written: str | None) -> None:
    assert place_as_written(title, content, stem) == written


@pytest.mark.parametrize(("title", "content", "keys"), CASES, ids=[c[0] for c in CASES])
def test_every_key_place_has_its_whole_name_in_the_post(title: str, content: str, keys: list[str]) -> None:
    # What the explanation shows for a story key: a name the post wrote, holding the stem, never the stem alone.
    for key in keys:
        stem = key.partition("|")[0]
        written = place_as_written(title, content, stem)
        assert written is not None and stem in written and len(written) > len(stem), (key, written)


def test_place_scan_near_suffixes_finds_what_scanning_every_position_finds() -> None:
    """Places are looked for only around their suffixes: the same matches, spans and names as the pattern tried
    at every position, on texts dense in suffixes, overlapping ones (工厂, 小学校, 幼儿园) and non-Chinese breaks."""
    rng = random.Random(18)
    alphabet = list("小区花园公寓大厦家城新村山庄广场中学校幼儿医卫生院司集团")
    alphabet += list("工地项目楼盘市酒店宾馆商景厂魅力之丽发a1，。的")
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(20_000)]
    texts += ["万科魅力之城小区", "小学校幼儿园卫生院工厂厂", "丽发新城" * 5, "某某" + "。" * 9 + "某某某工厂"]
    for text in texts:
        expected = [(m.span(), m.group(1)) for m in _PLACE.finditer(text)]
        assert [(m.span(), m.group(1)) for m in _place_matches(text)] == expected, text
