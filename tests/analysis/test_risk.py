"""Risk level: each factor's contribution, the thresholds from config, and the explanation listing them."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from analysis.events.service import EventHeat
from analysis.risk import assess
from analysis.sentiment import SentimentResult
from config import Level, RiskThresholds, Scheme, SensitivePeriod

AT = datetime(2027, 3, 5, 2, 0, tzinfo=UTC)
BULLYING = Scheme(id="b", name="校园欺凌", severity=Level.MAJOR, event=["欺凌"])
FEES = Scheme(id="f", name="乱收费", severity=Level.LARGE, event=["乱收费"])
NEG = SentimentResult(score=-0.8, label="negative", evidence=[])
NEU = SentimentResult(score=0.0, label="neutral", evidence=[])
POS = SentimentResult(score=0.7, label="positive", evidence=[])
TWO_SESSIONS = SensitivePeriod(name="全国两会", start=date(2027, 3, 3), end=date(2027, 3, 15), risk_points=10)


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
    # (what, schemes, sentiment, event, weight, periods, replies, expected points, expected level)
    ("nothing", [], NEU, None, 1.0, [], None, 0, 0),
    ("a scheme alone is its severity", [FEES], NEU, None, 1.0, [], None, 45, Level.LARGE),
    ("highest scheme counts", [FEES, BULLYING], NEU, None, 1.0, [], None, 70, Level.MAJOR),
    ("negative alone is 一般", [], NEG, None, 1.0, [], None, 18, Level.GENERAL),
    ("negative on a scheme", [FEES], NEG, None, 1.0, [], None, 63, Level.LARGE),
    ("positive on a scheme lowers it", [BULLYING], POS, None, 1.0, [], None, 55, Level.LARGE),
    ("heat of five copies on three boards", [FEES], NEG, heat(5, 3, 3), 1.0, [], None, 83, Level.MAJOR),
    ("a weighty source", [FEES], NEU, None, 3.0, [], None, 65, Level.LARGE),
    ("a sensitive period", [FEES], NEG, None, 1.0, [TWO_SESSIONS], None, 73, Level.MAJOR),
    ("busy thread", [FEES], NEU, None, 1.0, [], 120, 50, Level.LARGE),
    ("everything: 特别重大", [BULLYING], NEG, heat(6, 4, 4), 1.5, [TWO_SESSIONS], None, 128, Level.CRITICAL),
    ("heat without scheme or negative stays 0", [], NEU, heat(9, 5, 9), 2.0, [TWO_SESSIONS], None, 45, 0),
]


@pytest.mark.parametrize(
    ("what", "schemes", "sentiment", "event", "weight", "periods", "replies", "points", "level"),
    CASES,
    ids=[c[0] for c in CASES],
)
def test_risk(
    what: str,
    schemes: list[Scheme],
    sentiment: SentimentResult,
    event: EventHeat | None,
    weight: float,
    periods: list[SensitivePeriod],
    replies: int | None,
    points: int,
    level: int,
) -> None:
    risk = assess(
        schemes=schemes,
        sentiment=sentiment,
        event=event,
        source_weight=weight,
        periods=periods,
        at=AT,
        thresholds=RiskThresholds(),
        replies=replies,
    )
    assert (risk.points, risk.level) == (points, level)
    assert risk.points == sum(c.points for c in risk.contributions)
    for c in risk.contributions:
        assert f"{c.factor} {c.points:+d}" in risk.explain()


def test_thresholds_come_from_config() -> None:
    strict = RiskThresholds(general=10, large=30, major=45, critical=80)
    risk = assess(schemes=[FEES], sentiment=NEG, event=None, source_weight=1.0, periods=[], at=AT, thresholds=strict)
    assert risk.points == 30 + 18 and risk.level == Level.MAJOR
    assert risk.explain().endswith("→ 重大")


def test_thresholds_must_rise() -> None:
    with pytest.raises(ValueError, match="must rise"):
        RiskThresholds(general=50, large=45)


def test_period_outside_its_dates_adds_nothing() -> None:
    risk = assess(
        schemes=[FEES],
        sentiment=NEU,
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
        sentiment=NEU,
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
