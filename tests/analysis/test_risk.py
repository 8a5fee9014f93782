"""Risk level: facts and the grader decide, schemes name the topic and may force a level, heat adds; each
contribution listed, thresholds from config."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from analysis.events.service import EventHeat
from analysis.facts import FactHit
from analysis.grader import Grade
from analysis.risk import assess
from config import GraderThresholds, Level, RiskThresholds, Scheme, SensitivePeriod

AT = datetime(2027, 3, 5, 2, 0, tzinfo=UTC)
BULLYING = Scheme(id="b", name="校园欺凌", severity=Level.MAJOR, event=["欺凌"])
FEES = Scheme(id="f", name="乱收费", severity=Level.LARGE, event=["乱收费"])
TWO_SESSIONS = SensitivePeriod(name="全国两会", start=date(2027, 3, 3), end=date(2027, 3, 15), risk_points=10)
STEPS = GraderThresholds(general=0.5, large=0.5, major=0.5, harm_major=0.7)


def grade(general: float, large: float, major: float, kind: str = "投诉") -> Grade:
    return Grade(at_least=(general, large, major), post_type=kind, type_probability=0.9, evidence=[])


def facts(*ids: str) -> list[FactHit]:
    return [FactHit(i, i, [i]) for i in ids]


NOTHING = grade(0.1, 0.05, 0.01)
ORDINARY = grade(0.9, 0.2, 0.05)
GRIEVANCE = grade(0.95, 0.8, 0.2)
HARMFUL = grade(0.99, 0.9, 0.7)
UNSURE = grade(0.95, 0.6, 0.2)  # 较大, below harm_major: a harm fact alone does not make it 重大


def heat(copies: int, sources: int, last_hour: int = 0) -> EventHeat:
    return EventHeat(
        id="e",
        title="",
        copies=copies,
        sources=sources,
        replies=0,
        views=0,
        copies_last_hour=last_hour,
        first_seen_at=AT,
        joined=True,
        similarity=0.8,
    )


CASES = [
    # (what, schemes, grade, facts, event, weight, periods, replies, expected points, expected level)
    ("nothing", [], NOTHING, [], None, 1.0, [], None, 0, 0),
    ("no grader, no scheme", [], None, [], None, 1.0, [], None, 0, 0),
    ("a scheme alone is its severity", [FEES], NOTHING, [], None, 1.0, [], None, 45, Level.LARGE),
    ("a 重大 scheme with a fact of harm", [FEES, BULLYING], NOTHING, facts("violence"), None, 1.0, [], None, 70, 3),
    ("a 重大 scheme on words alone counts as 较大", [BULLYING], NOTHING, facts("minors"), None, 1.0, [], None, 45, 2),
    ("the grader says 一般", [], ORDINARY, [], None, 1.0, [], None, 15, Level.GENERAL),
    ("the grader says 较大", [], GRIEVANCE, [], None, 1.0, [], None, 45, Level.LARGE),
    ("the grader says 重大", [FEES], HARMFUL, [], None, 1.0, [], None, 70, Level.MAJOR),
    ("harm done on a likely 较大 is 重大", [], GRIEVANCE, facts("injury"), None, 1.0, [], None, 70, Level.MAJOR),
    ("harm on an unlikely 较大 stays", [], ORDINARY, facts("injury"), None, 1.0, [], None, 15, Level.GENERAL),
    ("a question the grader calls 一般 stays 无", [], grade(0.9, 0.2, 0.05, "咨询"), [], None, 1.0, [], None, 0, 0),
    ("a suggestion with a 较大 grievance", [], grade(0.9, 0.8, 0.1, "建议"), [], None, 1.0, [], None, 45, 2),
    ("a question's scheme names the topic only", [FEES], grade(0.9, 0.2, 0.05, "咨询"), [], None, 1.0, [], None, 0, 0),
    (
        "a question stating harm is raised",
        [BULLYING],
        grade(0.9, 0.2, 0.05, "咨询"),
        facts("injury"),
        None,
        1.0,
        [],
        None,
        70,
        3,
    ),
    ("a death among many on 重大 is 特别重大", [], HARMFUL, facts("death", "many"), None, 1.0, [], None, 95, 4),
    # One death (a family's hospital dispute, DEV's graders: 重大) is no public incident.
    ("a single death on 重大 stays 重大", [], HARMFUL, facts("death"), None, 1.0, [], None, 70, Level.MAJOR),
    (
        "a gathering of many under way on 重大",
        [BULLYING],
        NOTHING,
        facts("gathering", "gathering_now", "many"),
        None,
        1.0,
        [],
        None,
        95,
        4,
    ),
    # A gathering named (上访, 讨说法) but not under way is no mass incident: 重大 stays 重大 (the guide's 特别重大).
    ("a gathering of many not under way", [BULLYING], NOTHING, facts("gathering", "many"), None, 1.0, [], None, 70, 3),
    # The guide's 重大 by fact alone: named misconduct by an official, many people protesting now.
    ("an official's graft on a 较大 grade is 重大", [], GRIEVANCE, facts("official_graft"), None, 1.0, [], None, 70, 3),
    ("an official's graft on a 一般 grade is 重大", [], ORDINARY, facts("official_graft"), None, 1.0, [], None, 70, 3),
    ("many protesting now is 重大", [FEES], ORDINARY, facts("protest"), None, 1.0, [], None, 70, Level.MAJOR),
    (
        "many protesting now with a head count is 特别重大",
        [],
        GRIEVANCE,
        facts("protest", "gathering_now", "many"),
        None,
        1.0,
        [],
        None,
        95,
        4,
    ),
    ("drinking water polluted now is 重大", [], GRIEVANCE, facts("water_polluted"), None, 1.0, [], None, 70, 3),
    # Many gathering now: 重大 by the rule, then 特别重大 (a mass incident under way).
    ("many gathering now on a 较大 grade", [], GRIEVANCE, facts("gathering_now", "many"), None, 1.0, [], None, 95, 4),
    ("one gathering now without many stays 较大", [], GRIEVANCE, facts("gathering_now"), None, 1.0, [], None, 45, 2),
    # Violence where people gather (打人 at a crowded hospital) is 重大; violence alone is left to the grader.
    ("violence at a gathering is 重大", [], UNSURE, facts("violence", "gathering"), None, 1.0, [], None, 70, 3),
    ("violence alone stays with the grader", [], UNSURE, facts("violence"), None, 1.0, [], None, 45, 2),
    # A building failing with many people in it (the guide's structure about to collapse with people inside) is 重大;
    # a building failing with no one counted, or many people with no failing building, is left to the grader.
    (
        "a failing building with many inside",
        [],
        GRIEVANCE,
        facts("building_failing", "many"),
        None,
        1.0,
        [],
        None,
        70,
        3,
    ),
    ("a failing building alone stays 较大", [], GRIEVANCE, facts("building_failing"), None, 1.0, [], None, 45, 2),
    # A question the grader reads as 较大 (教育经费…挪用？) asks: the rules do not raise it.
    (
        "a question naming graft is not raised",
        [],
        grade(0.99, 0.8, 0.05, "咨询"),
        facts("official_graft"),
        None,
        1.0,
        [],
        None,
        45,
        2,
    ),
    # A suggestion naming graft in general (对收礼等行为严办) asks for a policy: it is not raised by the rule.
    (
        "a suggestion naming graft is not raised",
        [],
        grade(0.9, 0.2, 0.05, "建议"),
        facts("official_graft"),
        None,
        1.0,
        [],
        None,
        0,
        0,
    ),
    # Misconduct words with no official beside them (腐败, 保护伞) are left to the grader.
    ("graft named in general stays with the grader", [], GRIEVANCE, facts("misconduct"), None, 1.0, [], None, 45, 2),
    ("heat of five copies on three boards", [FEES], NOTHING, [], heat(5, 3, 3), 1.0, [], None, 65, Level.LARGE),
    ("heat lifts 较大 to 重大", [FEES], GRIEVANCE, [], heat(6, 4, 4), 1.5, [TWO_SESSIONS], None, 85, Level.MAJOR),
    ("a weighty source", [FEES], NOTHING, [], None, 3.0, [], None, 65, Level.LARGE),
    ("busy thread", [FEES], NOTHING, [], None, 1.0, [], 120, 50, Level.LARGE),
    ("heat without scheme or grade stays 0", [], NOTHING, [], heat(9, 5, 9), 2.0, [TWO_SESSIONS], None, 45, 0),
]


@pytest.mark.parametrize(
    ("what", "schemes", "grade", "facts", "event", "weight", "periods", "replies", "points", "level"),
    CASES,
    ids=[c[0] for c in CASES],
)
def test_risk(
    what: str,
    schemes: list[Scheme],
    grade: Grade | None,
    facts: list[FactHit],
    event: EventHeat | None,
    weight: float,
    periods: list[SensitivePeriod],
    replies: int | None,
    points: int,
    level: int,
) -> None:
    risk = assess(
        schemes=schemes,
        grade=grade,
        facts=facts,
        event=event,
        source_weight=weight,
        periods=periods,
        at=AT,
        thresholds=RiskThresholds(),
        grader=STEPS,
        replies=replies,
    )
    assert (risk.points, risk.level) == (points, level)
    assert risk.points == sum(c.points for c in risk.contributions)
    for c in risk.contributions:
        # A fact is shown with its words among the reasons, a scored contribution with its points.
        shown = f"{c.factor}（{'、'.join(c.words)}）" if c.fact else f"{c.factor} {c.points:+d}"
        assert shown in risk.explain()
    assert [c.fact for c in risk.contributions if c.fact] == [h.fact for h in facts]


def test_explanation_lists_the_facts_and_their_words_before_the_scores() -> None:
    found = [FactHit("injury", "人员受伤", ["打伤", "住院"]), FactHit("minors", "涉及未成年人", ["学生"])]
    risk = assess(
        schemes=[],
        grade=GRIEVANCE,
        facts=found,
        event=None,
        source_weight=1.0,
        periods=[],
        at=AT,
        thresholds=RiskThresholds(),
        grader=STEPS,
    )
    shown = risk.explain()
    assert shown.startswith("风险：重大 70 分。依据事实：人员受伤（打伤、住院）；涉及未成年人（学生）。计分：")
    assert shown.index("人员受伤") < shown.index("研判")


def test_a_rule_of_the_guide_says_its_words() -> None:
    found = [FactHit("official_graft", "公职人员以权谋私", ["副局长", "利用职务", "职务之便"])]
    risk = assess(
        schemes=[],
        grade=ORDINARY,
        facts=found,
        event=None,
        source_weight=1.0,
        periods=[],
        at=AT,
        thresholds=RiskThresholds(),
        grader=STEPS,
    )
    assert risk.level == Level.MAJOR
    assert "规则：公职人员以权谋私（副局长、利用职务、职务之便），研判重大 +55" in risk.explain()


def test_thresholds_come_from_config() -> None:
    strict = RiskThresholds(general=10, large=30, major=45, critical=80)
    risk = assess(
        schemes=[FEES], grade=None, facts=[], event=heat(5, 3), source_weight=1.0, periods=[], at=AT, thresholds=strict
    )
    assert risk.points == 30 + 10 + 5 and risk.level == Level.MAJOR
    assert risk.explain().startswith("风险：重大 45 分。依据事实：无。计分：")
    # The grader's probability thresholds too: the same grade is 较大 or 一般 by them.
    strict_grader = GraderThresholds(general=0.5, large=0.85, major=0.9)
    assert (
        assess(
            schemes=[],
            grade=GRIEVANCE,
            facts=[],
            event=None,
            source_weight=1.0,
            periods=[],
            at=AT,
            thresholds=RiskThresholds(),
            grader=strict_grader,
        ).level
        == Level.GENERAL
    )


def test_likely_question_written_as_a_complaint_is_not_raised() -> None:
    """Typed 投诉 by a hair but likely asking or suggesting (P(咨询)+P(建议)+P(表扬) over `calm`): 一般 goes to 无, a
    scheme only names the topic; a 较大 grievance or a fact of harm still counts."""

    def level(grade: Grade, found: list[FactHit], schemes: list[Scheme] = []) -> tuple[int, str]:  # noqa: B006
        risk = assess(
            schemes=schemes,
            grade=grade,
            facts=found,
            event=None,
            source_weight=1.0,
            periods=[],
            at=AT,
            thresholds=RiskThresholds(),
            grader=GraderThresholds(general=0.5, large=0.5, major=0.5, harm_major=0.7, calm=0.4),
        )
        return risk.level, risk.explain()

    def likely_question(general: float, large: float) -> Grade:
        return Grade(at_least=(general, large, 0.01), post_type="投诉", type_probability=0.45, evidence=[], calm=0.5)

    shown = "风险：未达一般 0 分。依据事实：无。计分：咨询/建议类概率 0.50，未见较大事实，不升级 +0"
    assert level(likely_question(0.9, 0.2), []) == (0, shown)
    assert level(likely_question(0.9, 0.2), [], [FEES])[0] == 0
    assert level(likely_question(0.9, 0.8), [])[0] == Level.LARGE
    assert level(likely_question(0.9, 0.2), facts("injury"))[0] == Level.GENERAL
    assert level(grade(0.9, 0.2, 0.05), [])[0] == Level.GENERAL  # calm 0: a complaint stays 一般


def test_thresholds_must_rise() -> None:
    with pytest.raises(ValueError, match="阈值须逐级升高"):
        RiskThresholds(general=50, large=45)


def test_period_outside_its_dates_adds_nothing() -> None:
    risk = assess(
        schemes=[FEES],
        grade=None,
        facts=[],
        event=None,
        source_weight=1.0,
        periods=[TWO_SESSIONS],
        at=datetime(2027, 4, 1, tzinfo=UTC),
        thresholds=RiskThresholds(),
    )
    assert risk.points == 45


HEAT_CASES = [
    # (what, event copies, votes (点赞, 反对), points above the scheme's 45, the factor shown)
    ("a story of two posts adds nothing", 2, (None, None), 0, None),
    ("a story of three posts", 3, (None, None), 5, "同一事件已有 3 篇"),
    ("a story of ten posts", 10, (None, None), 10, "同一事件已有 10 篇"),
    ("a few votes add nothing", 1, (12, 3), 0, None),
    ("votes for and against both count", 1, (15, 6), 5, "点赞 15、反对 6"),
    ("many votes", 1, (180, 40), 10, "点赞 180、反对 40"),
    ("a board without votes", 1, (None, None), 0, None),
]


@pytest.mark.parametrize(("what", "copies", "votes", "points", "factor"), HEAT_CASES, ids=[c[0] for c in HEAT_CASES])
def test_story_size_and_votes_are_heat(
    what: str, copies: int, votes: tuple[int | None, int | None], points: int, factor: str | None
) -> None:
    risk = assess(
        schemes=[FEES],
        grade=None,
        facts=[],
        event=heat(copies, 1) if copies > 1 else None,
        source_weight=1.0,
        periods=[],
        at=AT,
        thresholds=RiskThresholds(),
        votes=votes,
    )
    assert risk.points == 45 + points
    if factor:
        assert f"{factor} +{points}" in risk.explain()


def test_heat_factors_are_a_registry_by_name() -> None:
    """Each heat contribution names its registry entry; a name registered twice fails at import."""
    from analysis.heat_factors import HEAT_FACTORS, HeatRegistryError, heat_factor

    assert list(HEAT_FACTORS) == [
        "sources",
        "story",
        "fast_copies",
        "busy",
        "votes",
        "source_weight",
        "sensitive_period",
    ]
    risk = assess(
        schemes=[FEES],
        grade=None,
        facts=[],
        event=heat(5, 3),
        source_weight=1.5,
        periods=[],
        at=AT,
        thresholds=RiskThresholds(),
        votes=(150, 60),
    )
    assert [c.kind for c in risk.contributions if c.kind] == ["sources", "story", "votes", "source_weight"]
    with pytest.raises(HeatRegistryError, match="story"):
        heat_factor("story")(lambda h: [])
