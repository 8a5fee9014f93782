"""Which configured unit a mention concerns, with the evidence.

In order: a unit named in the title, then in the content (the longest name wins, so 城关第一中学 beats a bare
一中 alias of another unit); else the unit whose topic words the post has most of (at least two different
ones, title words counting double — a school-fee complaint on the county board goes to the education bureau);
else the source's default unit.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from analysis.wordfinder import WordFinder
from config import Unit

MIN_TOPIC_WORDS = 2  # one topic word is too weak to route a post away from its board's unit


@dataclass(frozen=True)
class Attribution:
    unit: str | None
    evidence: str
    how: str = "none"  # name | topic | default | none


class UnitAttributor:
    def __init__(self, units: list[Unit]) -> None:
        self.units = units
        self._names = WordFinder(name for u in units for name in u.names)
        self._name_unit = {self._names.add(name): u for u in units for name in u.names}
        self._topics = WordFinder(word for u in units for word in u.keywords)
        self._topic_units: dict[int, list[Unit]] = {}
        for unit in units:
            for word in dict.fromkeys(unit.keywords):
                self._topic_units.setdefault(self._topics.add(word), []).append(unit)

    def words(self) -> set[str]:
        """Unit names and aliases, for the tokenizer's user dictionary."""
        return set(self._names.words)

    def attribute(self, *, title: str, content: str, default_unit: str | None) -> Attribution:
        for text in (title, content):
            hits = self._names.find(text)
            if hits:
                # Longest name first, then the earliest.
                wid, start, end = min(hits, key=lambda h: (-(h[2] - h[1]), h[1]))
                unit = self._name_unit[wid]
                return Attribution(unit.id, f"单位：文中提及「{text[start:end]}」→ {unit.name}", "name")
        topic = self._by_topic(title, content)
        if topic is not None:
            return topic
        if default_unit:
            return Attribution(default_unit, "单位：来源的默认单位", "default")
        return Attribution(None, "单位：未能确定", "none")

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
