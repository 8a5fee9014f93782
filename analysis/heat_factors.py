"""The registry of heat contributions: what adds points to a post's risk beyond its level — its event's spread,
the board's replies, views and votes, the source's weight, a sensitive period. One named entry each, in the order
the explanation lists them; adding one is one function here with `@heat_factor("name")` and its row in
tests/analysis/test_risk.py. (The level itself comes from the facts registry, analysis/facts, the grader and
the schemes: analysis/risk.py.)"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import NamedTuple

from analysis.events.service import EventHeat
from config import SensitivePeriod

PER_EXTRA_SOURCE, MAX_SOURCES_POINTS = 5, 15
# A story of repeated posts (copies, or complaints about the same place and matter): 3 posts +5, 10 posts +10.
STORY_STEPS = ((10, 10), (3, 5))
FAST_COPIES, FAST_POINTS = 3, 5  # copies in the last hour
BUSY_REPLIES, BUSY_VIEWS, BUSY_POINTS = 50, 5_000, 5
BUSY_VOTES, MANY_VOTES, VOTES_POINTS = 20, 200, (5, 10)  # 点赞 + 反对 on the board: people weighing in
SOURCE_WEIGHT_POINTS = 10  # per unit of weight above (or below) the default 1.0


class HeatInput(NamedTuple):
    """What a heat factor reads about a post (a named tuple: one is made an analysis, and a frozen dataclass's
    field-by-field __init__ costs several times a tuple's)."""

    event: EventHeat | None
    replies: int | None
    views: int | None
    votes: tuple[int | None, int | None]
    source_weight: float
    periods: list[SensitivePeriod]
    at: datetime


# (shown in the explanation, points)
Scored = tuple[str, int]
HeatFactor = Callable[[HeatInput], list[Scored]]
HEAT_FACTORS: dict[str, HeatFactor] = {}


class HeatRegistryError(ValueError):
    pass


def heat_factor(name: str) -> Callable[[HeatFactor], HeatFactor]:
    """Register a heat factor by name; a name used twice fails at import, naming both."""

    def register(factor: HeatFactor) -> HeatFactor:
        if name in HEAT_FACTORS:
            raise HeatRegistryError(f"analysis/heat_factors.py：风险因素「{name}」重复注册（{factor.__name__}）")
        HEAT_FACTORS[name] = factor
        return factor

    return register


@heat_factor("sources")
def _sources(h: HeatInput) -> list[Scored]:
    if h.event is None or h.event.copies <= 1 or h.event.sources <= 1:
        return []
    points = min(MAX_SOURCES_POINTS, PER_EXTRA_SOURCE * (h.event.sources - 1))
    return [(f"同一事件见于 {h.event.sources} 个来源", points)]


@heat_factor("story")
def _story(h: HeatInput) -> list[Scored]:
    if h.event is None or h.event.copies <= 1:
        return []
    story = next((points for size, points in STORY_STEPS if h.event.copies >= size), 0)
    return [(f"同一事件已有 {h.event.copies} 篇", story)] if story else []


@heat_factor("fast_copies")
def _fast(h: HeatInput) -> list[Scored]:
    if h.event is None or h.event.copies <= 1 or h.event.copies_last_hour < FAST_COPIES:
        return []
    return [(f"一小时内转发 {h.event.copies_last_hour} 篇", FAST_POINTS)]


@heat_factor("busy")
def _busy(h: HeatInput) -> list[Scored]:
    if (h.replies or 0) >= BUSY_REPLIES or (h.views or 0) >= BUSY_VIEWS:
        return [(f"回复 {h.replies or 0}、浏览 {h.views or 0}", BUSY_POINTS)]
    return []


@heat_factor("votes")
def _votes(h: HeatInput) -> list[Scored]:
    """Votes where the board shows them (点赞/反对): many people weighing in on a post is heat either way."""
    up, down = h.votes
    total = (up or 0) + (down or 0)
    if total < BUSY_VOTES:
        return []
    points = VOTES_POINTS[1] if total >= MANY_VOTES else VOTES_POINTS[0]
    return [(f"点赞 {up or 0}、反对 {down or 0}", points)]


@heat_factor("source_weight")
def _weight(h: HeatInput) -> list[Scored]:
    points = round((h.source_weight - 1.0) * SOURCE_WEIGHT_POINTS)
    return [(f"来源权重 {h.source_weight:g}", points)] if points else []


@heat_factor("sensitive_period")
def _periods(h: HeatInput) -> list[Scored]:
    return [
        (f"敏感时期「{period.name}」", period.risk_points)
        for period in h.periods
        if period.risk_points and period.covers(h.at)
    ]
