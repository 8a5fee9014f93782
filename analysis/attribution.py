"""Which configured unit a mention concerns, with the evidence.

In order: a unit named in the title, then in the content (the longest name wins, so 城关第一中学 beats a bare
一中 alias of another unit); else the unit whose topic words the post has most of (at least two different
ones, title words counting double — a school-fee complaint on the county board goes to the education bureau);
else the source's default unit.

With a territory configured (units.yaml `territory:`), a generic alias (教育局, 县政府: naming none of our places)
is skipped when another place qualifies it, and a post about another place only (it names another county or
city and none of ours) is not routed by topic words either; the evidence says which place ruled it out.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from analysis.territory import LEVELS, PostPlaces, TerritoryGuard
from analysis.wordfinder import WordFinder
from config import Territory, Unit

MIN_TOPIC_WORDS = 2  # one topic word is too weak to route a post away from its board's unit


@dataclass(frozen=True)
class Attribution:
    unit: str | None
    evidence: str
    how: str = "none"  # name | topic | default | none


class UnitAttributor:
    def __init__(self, units: list[Unit], territory: Territory | None = None) -> None:
        self.units = units
        self._names = WordFinder(name for u in units for name in u.names)
        self._name_unit = {self._names.add(name): u for u in units for name in u.names}
        self._guard = TerritoryGuard(territory) if territory else None
        guard = self._guard
        self._cached: tuple[tuple[str, int], PostPlaces] | None = None  # one post's places, while attributing it
        self._generic = {wid for wid, word in enumerate(self._names.words) if guard and guard.is_generic(word)}
        self._topics = WordFinder(word for u in units for word in u.keywords)
        self._topic_units: dict[int, list[Unit]] = {}
        for unit in units:
            for word in dict.fromkeys(unit.keywords):
                self._topic_units.setdefault(self._topics.add(word), []).append(unit)

    def words(self) -> set[str]:
        """Unit names and aliases, for the tokenizer's user dictionary."""
        return set(self._names.words)

    def attribute(
        self, *, title: str, content: str, default_unit: str | None, words: list[str] | None = None
    ) -> Attribution:
        """`words`: the post's jieba words (title, newline, content), when the caller has them already."""
        ruled_out: list[str] = []  # generic names another place qualified, for the evidence
        for text in (title, content):
            # Longest name first, then the earliest.
            for wid, start, end in sorted(self._names.find(text), key=lambda h: (-(h[2] - h[1]), h[1])):
                unit = self._name_unit[wid]
                name = text[start:end]
                if self._guard is not None and wid in self._generic:
                    why, own = self._qualified(unit, text, start, name, f"{title}\n{content}", words)
                    if why is not None:
                        ruled_out.append(why)
                        continue
                    if own:
                        return Attribution(unit.id, f"单位：文中提及「{name}」（本辖区：{own}）→ {unit.name}", "name")
                return Attribution(unit.id, f"单位：文中提及「{name}」→ {unit.name}", "name")
        note = f"（{'；'.join(dict.fromkeys(ruled_out))}）" if ruled_out else ""
        if self._guard is not None:
            places = self._places(f"{title}\n{content}", words)
            if places.foreign and not places.own:
                note = note or f"（文中地点「{places.foreign[0]}」非本辖区）"
                return self._fallback(default_unit, note)
        topic = self._by_topic(title, content)
        if topic is not None:
            return topic
        return self._fallback(default_unit, note)

    def _places(self, text: str, words: list[str] | None) -> PostPlaces:
        assert self._guard is not None
        key = (text, id(words))
        if self._cached is None or self._cached[0] != key:
            self._cached = (key, self._guard.places(text, words))
        return self._cached[1]

    def _qualified(
        self, unit: Unit, text: str, start: int, name: str, post: str, words: list[str] | None
    ) -> tuple[str | None, str | None]:
        """(why a generic name is not this unit's, or None; our place that names it, if any)."""
        assert self._guard is not None
        place = self._guard.qualifier(text, start, name)
        # As written: "M2" + 县政府 qualifies by the place M2县 but reads M2县政府.
        shown = (place if text[:start].endswith(place) else place[:-1]) + name if place else name
        if place is not None and not self._guard.is_own(place):
            return f"「{shown}」属{place}，非本辖区", None
        if place is not None and self._guard.is_inner_place(place) and not any(place in n for n in unit.names):
            return f"「{shown}」不是{unit.name}", None
        if place is not None:
            return None, place
        places = self._places(post, words)
        if places.foreign and not places.own:
            return f"「{name}」：文中地点为{places.foreign[0]}，非本辖区", None
        inner = [p for p in places.own if self._guard.is_inner_place(p)]
        if inner and len(inner) == len(places.own) and not any(p in n for p in inner for n in unit.names):
            # The post is about one place inside ours: a body of that place's level is that place's own
            # (东乡镇 … 镇政府), and so is a department of a district or county inside a city (A7县 … 教育局).
            level = self._guard.inner_level(inner[0])
            alias_level = name[0] if name[0] in LEVELS else None
            if level is not None and (alias_level == level or (alias_level is None and level in "区县市")):
                return f"「{name}」：文中地点为{inner[0]}，不是{unit.name}", None
        return None, places.own[0] if places.own else None

    @staticmethod
    def _fallback(default_unit: str | None, note: str) -> Attribution:
        if default_unit:
            return Attribution(default_unit, f"单位：来源的默认单位{note}", "default")
        return Attribution(None, f"单位：未能确定{note}", "none")

    def _by_topic(self, title: str, content: str) -> Attribution | None:
        if not self._topic_units:
            return None
        weight: Counter[str] = Counter()
        words: dict[str, set[int]] = {}
        for text, factor in ((title, 2), (content, 1)):
            for wid in {h[0] for h in self._topics.find(text)}:
                for unit in self._topic_units[wid]:
                    weight[unit.id] += factor
                    words.setdefault(unit.id, set()).add(wid)
        ranked = [(w, unit_id) for unit_id, w in weight.items() if len(words[unit_id]) >= MIN_TOPIC_WORDS]
        ranked.sort(reverse=True)
        if not ranked or (len(ranked) > 1 and ranked[0][0] == ranked[1][0]):
            return None  # no unit stands out: leave it to the source's default
        unit_id = ranked[0][1]
        unit = next(u for u in self.units if u.id == unit_id)
        shown = "、".join(sorted(self._topics.words[w] for w in words[unit_id])[:6])
        return Attribution(unit_id, f"单位：按主题词「{shown}」→ {unit.name}", "topic")
