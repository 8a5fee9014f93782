"""Risk level (一般/较大/重大/特别重大) as a sum of listed contributions, mapped to a level by config thresholds.

The highest matched scheme scores its severity's threshold, so a scheme alone puts a post at that level; the
other factors move it up or down: negative sentiment, the heat of its event (copies, sources, speed, replies,
views), the source's weight and any sensitive period the post falls in. Every contribution is kept so the
explanation can say exactly why a post is at its level.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from analysis.events.service import EventHeat
from analysis.sentiment import SentimentResult
from config import Level, RiskThresholds, Scheme, SensitivePeriod

NEGATIVE_BASE = 10  # a negative post: 10 points, plus up to 10 more for strength
NEGATIVE_STRENGTH = 10
POSITIVE_ON_SCHEME = -15  # "食堂卫生好，从没出过中毒" matches a scheme's words but is no complaint
PER_EXTRA_SOURCE, MAX_SOURCES_POINTS = 5, 15
# A story of repeated posts (copies, or complaints about the same place and matter): 3 posts +5, 10 posts +10.
STORY_STEPS = ((10, 10), (3, 5))
FAST_COPIES, FAST_POINTS = 3, 5  # copies in the last hour
BUSY_REPLIES, BUSY_VIEWS, BUSY_POINTS = 50, 5_000, 5
BUSY_VOTES, MANY_VOTES, VOTES_POINTS = 20, 200, (5, 10)  # 点赞 + 反对 on the board: people weighing in
SOURCE_WEIGHT_POINTS = 10  # per unit of weight above (or below) the default 1.0


@dataclass(frozen=True)
class Contribution:
    factor: str  # Chinese, shown in the explanation
    points: int


@dataclass(frozen=True)
class Risk:
    points: int
    level: int  # config.Level value, 0 below 一般
    contributions: list[Contribution] = field(default_factory=list)

    def explain(self) -> str:
        parts = "；".join(f"{c.factor} {c.points:+d}" for c in self.contributions) or "无风险因素"
        level = Level(self.level).zh if self.level else "未达一般"
        return f"风险：{self.points} 分（{parts}）→ {level}"


def assess(
    *,
    schemes: list[Scheme],
    sentiment: SentimentResult,
    event: EventHeat | None,
    source_weight: float,
    periods: list[SensitivePeriod],
    at: datetime,
    thresholds: RiskThresholds,
    replies: int | None = None,
    views: int | None = None,
    votes: tuple[int | None, int | None] = (None, None),
) -> Risk:
    out: list[Contribution] = []
    top = max(schemes, key=lambda s: s.severity, default=None)
    if top is not None:
        out.append(Contribution(f"方案「{top.name}」{top.severity.zh}", thresholds.points(top.severity)))
    if sentiment.label == "negative":
        out.append(Contribution("负面情感", NEGATIVE_BASE + round(NEGATIVE_STRENGTH * min(1.0, -sentiment.score))))
    elif sentiment.label == "positive" and top is not None:
        out.append(Contribution("正面情感", POSITIVE_ON_SCHEME))
    if event is not None and event.copies > 1:
        if event.sources > 1:
            points = min(MAX_SOURCES_POINTS, PER_EXTRA_SOURCE * (event.sources - 1))
            out.append(Contribution(f"同一事件见于 {event.sources} 个来源", points))
        story = next((points for size, points in STORY_STEPS if event.copies >= size), 0)
        if story:
            out.append(Contribution(f"同一事件已有 {event.copies} 篇", story))
        if event.copies_last_hour >= FAST_COPIES:
            out.append(Contribution(f"一小时内转发 {event.copies_last_hour} 篇", FAST_POINTS))
    if (replies or 0) >= BUSY_REPLIES or (views or 0) >= BUSY_VIEWS:
        out.append(Contribution(f"回复 {replies or 0}、浏览 {views or 0}", BUSY_POINTS))
    out.extend(_votes(*votes))
    weight_points = round((source_weight - 1.0) * SOURCE_WEIGHT_POINTS)
    if weight_points:
        out.append(Contribution(f"来源权重 {source_weight:g}", weight_points))
    for period in periods:
        if period.risk_points and period.covers(at):
            out.append(Contribution(f"敏感时期「{period.name}」", period.risk_points))
    points = sum(c.points for c in out)
    # Nothing to watch is nothing to watch: sentiment, heat or a period alone cannot raise a neutral post.
    if top is None and sentiment.label != "negative":
        return Risk(points=points, level=0, contributions=out)
    return Risk(points=points, level=thresholds.level(points), contributions=out)


def _votes(up: int | None, down: int | None) -> list[Contribution]:
    """Votes where the board shows them (点赞/反对): many people weighing in on a post is heat either way."""
    total = (up or 0) + (down or 0)
    if total < BUSY_VOTES:
        return []
    points = VOTES_POINTS[1] if total >= MANY_VOTES else VOTES_POINTS[0]
    return [Contribution(f"点赞 {up or 0}、反对 {down or 0}", points)]
