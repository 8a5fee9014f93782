"""Risk level (一般/较大/重大/特别重大) as a sum of listed contributions, mapped to a level by config thresholds.

The level comes from facts, not tone. The grader (analysis/grader.py: whole words and the facts found) says a
level, which scores that level's threshold; the highest matched scheme names the topic and scores its severity's
threshold too — but a scheme at 重大 or above forces that level only when a fact of harm, violence, detention, a
gathering or officials' misconduct bears it out (else it counts as 较大: a keyword is not an injury). The larger
of the two is the base; a 重大 post with a death or a gathering of many is 特别重大. Then the heat of its event
(copies, sources, speed, replies, views), the source's weight and any sensitive period add points. Sentiment is
not a factor: a sad or angry tone alone does not raise a post (the labelling guide). Every contribution is kept
so the explanation can say exactly why a post is at its level.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from analysis.events.service import EventHeat
from analysis.facts import CORROBORATING, HARM, FactHit
from analysis.grader import CALM_TYPES, Grade
from config import GraderThresholds, Level, RiskThresholds, Scheme, SensitivePeriod

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
    # A fact (analysis/facts registry id) and the whole words that showed it: what the grader and the schemes'
    # corroboration read. Facts score no points of their own (the level they lead to does).
    fact: str = ""
    words: tuple[str, ...] = ()


@dataclass(frozen=True)
class Risk:
    points: int
    level: int  # config.Level value, 0 below 一般
    contributions: list[Contribution] = field(default_factory=list)

    def explain(self) -> str:
        """风险：重大 70 分。依据事实：人员受伤（打伤、住院）；…。计分：研判重大（类型投诉） +70；… — the level, then
        the facts and their words that decided it, then every scored contribution."""
        facts = [c for c in self.contributions if c.fact]
        scored = [c for c in self.contributions if not c.fact]
        level = Level(self.level).zh if self.level else "未达一般"
        shown = "；".join(f"{c.factor}（{'、'.join(c.words[:5])}）" for c in facts) or "无"
        parts = "；".join(f"{c.factor} {c.points:+d}" for c in scored) or "无风险因素"
        return f"风险：{level} {self.points} 分。依据事实：{shown}。计分：{parts}"


def assess(
    *,
    schemes: list[Scheme],
    grade: Grade | None,
    facts: list[FactHit],
    event: EventHeat | None,
    source_weight: float,
    periods: list[SensitivePeriod],
    at: datetime,
    thresholds: RiskThresholds,
    grader: GraderThresholds | None = None,
    replies: int | None = None,
    views: int | None = None,
    votes: tuple[int | None, int | None] = (None, None),
) -> Risk:
    # Every fact found is a contribution with its words, listed first: the grader weighed it, and it bears out
    # (or not) a scheme's level below.
    out: list[Contribution] = [Contribution(h.zh, 0, h.fact, tuple(h.words)) for h in facts]
    found = {h.fact for h in facts}
    graded, shown = 0, ""
    steps = grader or GraderThresholds()
    if grade is not None:
        graded = grade.level(steps.steps())
        shown = f"研判{Level(graded).zh if graded else '无'}（类型{grade.post_type}）"
        if graded < Level.MAJOR and found & HARM and grade.at_least[1] >= steps.harm_major:
            graded = int(Level.MAJOR)
            shown = f"已有伤害事实且较大概率 {grade.at_least[1]:.2f}，研判重大"
        elif graded == Level.GENERAL and grade.post_type in CALM_TYPES:
            graded = 0
            shown = f"{grade.post_type}类，未见较大事实，不升级"
        elif graded == Level.GENERAL and grade.calm >= steps.calm and not found & HARM:
            # Written as a complaint, read by the model as likely a question or a suggestion all the same.
            graded = 0
            shown = f"咨询/建议类概率 {grade.calm:.2f}，未见较大事实，不升级"
    # A question, suggestion or thanks that the grader leaves below 较大 and that states no harm is not raised
    # by a scheme's words either: the scheme still names its topic.
    calm = (
        grade is not None
        and (grade.post_type in CALM_TYPES or (grade.calm >= steps.calm and not found & HARM))
        and graded < Level.LARGE
    )
    base = 0
    top = max(schemes, key=lambda s: s.severity, default=None)
    if top is not None:
        severity = top.severity
        if calm and not found & CORROBORATING:
            kind = grade.post_type if grade and grade.post_type in CALM_TYPES else "咨询/建议"
            out.append(Contribution(f"方案「{top.name}」（{kind}类，只标明话题）", 0))
        else:
            if severity >= Level.MAJOR and not found & CORROBORATING:
                severity = Level.LARGE
                out.append(Contribution(f"方案「{top.name}」{top.severity.zh}，无伤害等事实佐证，按较大", 0))
            base = thresholds.points(severity)
            out.append(Contribution(f"方案「{top.name}」{severity.zh}", base))
    if grade is not None:
        points = thresholds.points(Level(graded)) if graded else 0
        out.append(Contribution(shown, max(0, points - base)))
        base = max(base, points)
    if base >= thresholds.major and ("death" in found or {"gathering", "many"} <= found):
        why = "人员死亡" if "death" in found else "多人聚集"
        out.append(Contribution(f"{why}，升为特别重大", thresholds.critical - base))
        base = thresholds.critical
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
    # Nothing to watch is nothing to watch: heat or a period alone cannot raise a post nobody would act on.
    if base == 0:
        return Risk(points=points, level=0, contributions=out)
    return Risk(points=points, level=thresholds.level(points), contributions=out)


def _votes(up: int | None, down: int | None) -> list[Contribution]:
    """Votes where the board shows them (点赞/反对): many people weighing in on a post is heat either way."""
    total = (up or 0) + (down or 0)
    if total < BUSY_VOTES:
        return []
    points = VOTES_POINTS[1] if total >= MANY_VOTES else VOTES_POINTS[0]
    return [Contribution(f"点赞 {up or 0}、反对 {down or 0}", points)]
