"""Risk level (一般/较大/重大/特别重大) as a sum of listed contributions, mapped to a level by config thresholds.

The level comes from facts, not tone. The grader (analysis/grader.py: whole words and the facts found) says a
level, which scores that level's threshold; the highest matched scheme names the topic and scores its severity's
threshold too — but a scheme at 重大 or above forces that level only when a fact of harm, violence, detention, a
gathering or officials' misconduct bears it out (else it counts as 较大: a keyword is not an injury). The larger
of the two is the base; a 重大 post with a death among many or a gathering of many under way is 特别重大. Then the
heat factors (analysis/heat_factors.py, a registry by name: its event's copies, sources and speed, replies, views,
votes, the source's weight, sensitive periods) add points. Every fact found (analysis/facts, a registry by name)
is listed first with the words that showed it. Sentiment is not a factor: a sad or angry tone alone does not
raise a post (the labelling guide). Every contribution is kept so the explanation can say exactly why a post is at
its level.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from analysis.events.service import EventHeat
from analysis.facts import CORROBORATING, HARM, FactHit
from analysis.grader import CALM_TYPES, Grade
from analysis.heat_factors import HEAT_FACTORS, HeatInput
from config import GraderThresholds, Level, RiskThresholds, Scheme, SensitivePeriod

# Facts the guide states make a post 重大 (analysis/facts/catalogue.py): each rule is the facts that must all be
# found, with the reason shown.
_MAJOR_FACTS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("official_graft",), "公职人员以权谋私"),
    (("protest",), "多人正在集体维权"),
    (("water_polluted",), "饮用水已受污染"),
    # Many gathering now (not threatened, not only named): the guide's mass incident under way.
    (("gathering_now", "many"), "多人正在聚集"),
    # A building failing with many people in it (a school's 上千学生, an estate's 十几户): the guide's "a structure
    # about to collapse with people inside"; a cracked wall alone, or a railing about to fall, is a hazard (较大).
    (("building_failing", "many"), "多人所在房屋出现险情"),
    # Violence where people gather (a brawl at a hospital, a crowd beaten): the guide's violence that hurt someone
    # at a gathering, a mass incident in the making.
    (("violence", "gathering"), "聚集中发生暴力"),
)


@dataclass(frozen=True)
class Contribution:
    factor: str  # Chinese, shown in the explanation
    points: int
    # A fact (analysis/facts registry id) and the whole words that showed it: what the grader and the schemes'
    # corroboration read. Facts score no points of their own (the level they lead to does).
    fact: str = ""
    words: tuple[str, ...] = ()
    kind: str = ""  # the heat factor's registry name (analysis/heat_factors.py), "" for the level's own


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
    # The guide's 重大 also names concrete misconduct by officials (a bribe, embezzlement, abuse of office with the
    # official or office named), many people protesting or gathering now (banners, sit-ins, roads blocked) and
    # pollution making people ill (their drinking water polluted), a building failing with many inside: each is 重大
    # whatever the grader's words say —
    # unless the post only asks, suggests or thanks (calm, or typed so).
    if base < thresholds.major and not calm and not (grade is not None and grade.post_type in CALM_TYPES):
        for fact_ids, why in _MAJOR_FACTS:
            hits = [h for h in facts if h.fact in fact_ids]
            if len(hits) == len(fact_ids):
                named = "、".join(w for h in hits for w in h.words[:4])
                out.append(Contribution(f"规则：{why}（{named}），研判重大", thresholds.major - base))
                base = thresholds.major
                break
    # The guide's 特别重大: deaths in a public incident (a death among many affected: one death in a family's
    # hospital dispute is 重大), or a mass incident under way (正在聚集 with many, not one threatened or only named).
    if base >= thresholds.major and "many" in found and found & {"death", "gathering_now"}:
        why = "多人涉及的人员死亡" if "death" in found else "多人正在聚集"
        out.append(Contribution(f"{why}，升为特别重大", thresholds.critical - base))
        base = thresholds.critical
    heat = HeatInput(event, replies, views, votes, source_weight, periods, at)
    for name, factor in HEAT_FACTORS.items():
        out.extend(Contribution(shown, points, kind=name) for shown, points in factor(heat))
    points = sum(c.points for c in out)
    # Nothing to watch is nothing to watch: heat or a period alone cannot raise a post nobody would act on.
    if base == 0:
        return Risk(points=points, level=0, contributions=out)
    return Risk(points=points, level=thresholds.level(points), contributions=out)
