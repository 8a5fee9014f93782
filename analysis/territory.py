"""Whose place is a post about? The territory check behind unit attribution (属地).

A unit alias that names no place of ours (教育局, 县政府, 镇政府, 实验小学) is generic: every county has one. With a
territory configured it only routes a post to our unit when no other place qualifies it:
- immediately: a place right before the alias ("E12市教育局", "M2县政府", "长沙市教育局", "浏阳市政府") is
  not ours unless it is one of our names;
- in the whole post: a post naming another county, city, district or town and none of ours is about that
  place ("我是K6县人，县教育局乱收费").
Places are recognised as the anonymised codes of the public data sets (A市, E12市, K6县), jieba's dictionary
place names (tag ns: 长沙市, 宁乡县) and the configured names; the places above ours (province, prefecture)
never make a post foreign on their own.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from analysis.wordfinder import WordFinder
from config import Territory
from store.tokens import normalise, segment

LEVELS = "省市县区镇乡"
WINDOW = 10  # characters before an alias looked at for a qualifying place
# Anonymised place codes of the public data sets: A市, E12市, A3区, K6县 (a code before a level character).
_CODE_PLACE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z][0-9]{0,3}[省市县区镇乡]")
_CODE_PLACE_END = re.compile(_CODE_PLACE.pattern + "$")
_CODE_STEM = re.compile(r"(?<![A-Za-z0-9])[A-Za-z][0-9]{0,3}$")  # "M2" + 县政府
# Dictionary "places" that name a kind of area, not one place: never another territory.
_AREA_WORDS = frozenset(
    [
        "老城区",
        "新城区",
        "城区",
        "市区",
        "郊区",
        "开发区",
        "新区",
        "景区",
        "园区",
        "辖区",
        "社区",
        "小区",
        "山区",
        "矿区",
        "灾区",
        "老区",
        "牧区",
        "林区",
        "县城",
        "县区",
        "城乡",
        "乡镇",
        "市县",
        "省市",
        "全省",
        "全市",
        "全县",
        "本市",
        "本县",
        "外省",
        "外市",
        "外县",
        "我省",
        "我市",
        "我县",
        "该市",
        "该县",
    ]
)
_CLAUSE_END = re.compile(r"[^\w]")  # a qualifier never crosses punctuation or a space


@functools.cache
def _place_tags() -> dict[str, str]:
    import jieba.posseg  # the tag table loads with the module (about a second): only with a territory

    return dict(jieba.posseg.dt.word_tag_tab)


def _is_place_word(word: str, *, levelled: bool) -> bool:
    """A dictionary place name; with `levelled`, only one ending in a level character (长沙市, not 长沙)."""
    if len(word) < 2 or word in _AREA_WORDS or _place_tags().get(word) != "ns":
        return False
    return not levelled or word[-1] in LEVELS


@dataclass(frozen=True)
class PostPlaces:
    own: tuple[str, ...]
    foreign: tuple[str, ...]


class TerritoryGuard:
    def __init__(self, territory: Territory) -> None:
        self.territory = territory
        self._own = WordFinder(territory.own_names)
        self._own_folded = {normalise(n) for n in territory.own_names}
        self._above = {normalise(n) for n in territory.above}
        self._inner = {normalise(n): p.name for p in territory.places for n in p.names}
        _place_tags()  # load jieba's tag table at start-up, not on the first post (about a second)

    def is_generic(self, alias: str) -> bool:
        """An alias naming none of our places: 教育局, 县政府 (城关一中 names 城关, so it is ours everywhere)."""
        return not self._own.find(alias)

    def _foreign(self, place: str) -> bool:
        folded = normalise(place)
        return folded not in self._own_folded and folded not in self._above

    def is_own(self, place: str) -> bool:
        return normalise(place) in self._own_folded

    def is_inner_place(self, place: str) -> bool:
        """One of the places inside the territory (a town), not the territory itself."""
        return normalise(place) in self._inner

    def inner_level(self, place: str) -> str | None:
        """The level character of an inner place's full name (东乡 → 东乡镇 → 镇), if it has one."""
        name = self._inner.get(normalise(place))
        return name[-1] if name and name[-1] in LEVELS else None

    def qualifier(self, text: str, start: int, alias: str) -> str | None:
        """The place written right before the alias at `start` (ours or not), or None."""
        window = text[max(0, start - WINDOW) : start]
        cut = [m.end() for m in _CLAUSE_END.finditer(window)]
        window = window[cut[-1] :] if cut else window
        if not window:
            return None
        folded = normalise(window)
        own = [n for n in self._own_folded if folded.endswith(n)]
        if own:
            longest = max(own, key=len)
            return window[len(window) - len(longest) :]
        starts_with_level = normalise(alias)[:1] in LEVELS
        code = _CODE_PLACE_END.search(window)
        if code:
            return code.group()
        if starts_with_level:
            stem = _CODE_STEM.search(window)
            if stem:
                return stem.group() + alias[0]
        words = segment(window)
        if not words:
            return None
        last = words[-1]
        if last in LEVELS and len(words) > 1 and _is_place_word(words[-2], levelled=False):
            last = words[-2] + last  # 长沙 + 市 + 教育局
        return last if _is_place_word(last, levelled=not starts_with_level) else None

    def places(self, text: str, words: list[str] | None = None) -> PostPlaces:
        """Our places and other places (counties, cities, districts, towns) the text names; `words`: its
        jieba words when the caller has them."""
        hits = sorted(self._own.find(text), key=lambda h: (h[1], -h[2]))
        own = tuple(dict.fromkeys(text[s:e] for i, (_w, s, e) in enumerate(hits) if i == 0 or e > hits[i - 1][2]))
        foreign: list[str] = [m.group() for m in _CODE_PLACE.finditer(text) if self._foreign(m.group())]
        tags = _place_tags()
        foreign += [
            w
            for w in (segment(text) if words is None else words)
            if w[-1] in LEVELS and len(w) > 1 and tags.get(w) == "ns" and w not in _AREA_WORDS and self._foreign(w)
        ]
        # A code inside one of our names (our territory itself may be "A市") was counted as ours above.
        foreign = [p for p in foreign if not any(p in o for o in own)]
        return PostPlaces(own=own, foreign=tuple(dict.fromkeys(foreign)))
