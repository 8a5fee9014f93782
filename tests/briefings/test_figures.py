"""The figures of a briefing are the right ones: counted independently from the stores, per unit scope."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from briefings import periods
from briefings.figures import period_figures, scope_of
from briefings.incident_report import incident_figures
from config import Level, load_config

World = Any  # the `briefing_world` fixture from conftest.py
REPO_CONFIG = Path(__file__).resolve().parents[2] / "config" / "example"


def _expected(world: World, names: list[str]) -> tuple[int, Counter[str], int]:
    """Total, sentiment split and 较大+ count of these posts, read one by one from the store."""
    mentions = world.store.get_many([world.ids[n] for n in names])
    labels = Counter(m.analysis.sentiment_label for m in mentions if m.analysis)
    large = sum(1 for m in mentions if m.analysis and m.analysis.level >= Level.LARGE)
    return len(mentions), labels, large


IN_DAY = ["bullying", "bullying-copy1", "bullying-copy2", "fees", "quiet0", "quiet1", "hostile", "fire"]


@pytest.mark.parametrize(
    ("unit", "names", "incidents"),
    [
        # The county covers every unit below it; the school only itself; the town only the fire.
        ("county", IN_DAY, ["bullying", "hostile", "fire"]),
        (
            "county-edu",
            ["bullying", "bullying-copy1", "bullying-copy2", "fees", "quiet1", "hostile"],
            ["bullying", "hostile"],
        ),
        ("school-no1", ["bullying", "bullying-copy1", "bullying-copy2", "fees", "hostile"], ["bullying", "hostile"]),
        ("town-chengguan", ["quiet0", "fire"], ["fire"]),
    ],
)
def test_daily_figures_per_unit_scope(world_figures: Any, unit: str, names: list[str], incidents: list[str]) -> None:
    world, figures = world_figures(unit)
    total, labels, large = _expected(world, names)
    # Which unit each post went to is the analysis's decision: the scope follows it.
    assert {m.unit for m in world.store.get_many([world.ids[n] for n in names])} <= set(
        scope_of(world.config, unit).unit_ids
    )
    assert figures.total == total
    assert figures.sentiment == dict(labels)
    assert figures.flagged_large == large
    assert sum(p.total for p in figures.trend) == total and len(figures.trend) == 24
    assert sum(p.negative for p in figures.trend) == labels["negative"]
    by_hour = {p.label: p.total for p in figures.trend}
    assert by_hour["9时"] == (1 if "bullying" in names else 0) and by_hour["3时"] == 0
    assert [r.id for r in figures.incidents] == [world.incidents[n] for n in incidents]


def test_previous_period_and_sources(world_figures: Any) -> None:
    _, figures = world_figures("county")
    # The post of the evening before is the previous period; the one of the next morning is in neither.
    assert figures.previous_total == 1
    assert figures.change == pytest.approx((8 - 1) / 1)
    sources = {b.key: b.count for b in figures.sources}
    # Names from the configuration; a source no longer configured is said to be so, never shown by its id.
    assert sources == {"百姓呼声（示例）": 5, "投诉直通车（示例，GBK 编码）": 2, "已停用的信源": 1}
    schemes = {b.key: b.count for b in figures.schemes}
    assert schemes["校园欺凌"] == 3 and schemes["校园食品安全"] == 1


def test_compliance_table(world_figures: Any) -> None:
    world, figures = world_figures("county")
    rows = {r.id: r for r in figures.incidents}
    reported = rows[world.incidents["bullying"]]
    assert (reported.compliance, reported.in_time) == ("按时报告", True)
    assert reported.minutes_to_acknowledge == 4.0 and reported.minutes_to_report == 12.0
    for name in ("hostile", "fire"):
        row = rows[world.incidents[name]]
        assert (row.compliance, row.in_time, row.minutes_to_report) == ("超时未报告", False, None)
    assert figures.in_time_share == pytest.approx(1 / 3)
    table = {c.unit: c.record for c in figures.compliance}
    assert set(table) == {"城关第一中学", "城关镇人民政府"}
    school = table["城关第一中学"]
    assert (school.cases, school.reported, school.reported_in_time, school.breaches) == (2, 1, 1, 1)
    assert school.median_minutes_to_report == 12.0
    assert table["城关镇人民政府"].breaches == 1
    assert any("有 2 起未在时限内报告宣传部" in line for line in figures.findings)


def test_the_headline_in_time_share_and_the_per_unit_shares_are_one_computation(briefing_world: World) -> None:
    fire = briefing_world.incidents["fire"]
    with briefing_world.sessions() as session:
        from alerting.incidents.models import Incident

        due = session.get(Incident, fire).report_due_at
    period = periods.daily(briefing_world.day)
    for now in (due - timedelta(minutes=1), period.until + timedelta(hours=8)):  # the fire's window open, then over
        figures = period_figures(
            briefing_world.store,
            briefing_world.sessions,
            briefing_world.config,
            period=period,
            scope=scope_of(briefing_world.config, "county"),
            now=now,
        )
        records = [c.record for c in figures.compliance]
        decided = sum(r.decided for r in records)
        overall = sum(r.reported_in_time for r in records) / decided if decided else None
        assert figures.in_time_share == pytest.approx(overall)
        for record in records:  # each unit's share is over its decided cases, as the headline is
            expected = record.reported_in_time / record.decided if record.decided else None
            assert record.share_reported_in_time == pytest.approx(expected)
    town = {c.unit: c.record for c in figures.compliance}["城关镇人民政府"]
    assert town.share_reported_in_time == 0.0


def test_a_case_still_inside_its_window_is_not_counted_late(briefing_world: World) -> None:
    fire = briefing_world.incidents["fire"]
    with briefing_world.sessions() as session:
        from alerting.incidents.models import Incident

        due = session.get(Incident, fire).report_due_at
    early = incident_figures(
        briefing_world.store,
        briefing_world.sessions,
        briefing_world.config,
        incident_id=fire,
        now=due - timedelta(minutes=1),
    )
    assert (early.compliance, early.in_time) == ("未到时限", None)


def test_top_events_count_copies_in_the_period(world_figures: Any) -> None:
    world, figures = world_figures("county")
    top = figures.events[0]
    assert top.id == world.ids["bullying"]  # an event is named by its first post
    assert (top.copies, top.total_copies, top.sources) == (3, 3, 3)
    assert top.incident_id == world.incidents["bullying"]
    # The story that began the evening before had one copy in the period.
    earlier = next(e for e in figures.events if e.id == world.ids["before"])
    assert (earlier.copies, earlier.total_copies) == (1, 2)


def test_incident_report_figures(briefing_world: World) -> None:
    world = briefing_world
    now = periods.daily(world.day).until + timedelta(hours=8)
    f = incident_figures(world.store, world.sessions, world.config, incident_id=world.incidents["bullying"], now=now)
    assert [m.id for m in f.mentions] == [world.ids[n] for n in ("bullying", "bullying-copy1", "bullying-copy2")]
    assert f.sources == ["demo-baixing", "demo-tousu", "other-forum"]
    assert (f.compliance, f.minutes_to_acknowledge, f.minutes_to_report) == ("按时报告", 4.0, 12.0)
    assert len(f.reports) == 1 and "县委宣传部" in f.reports[0].detail
    assert f.steps[0].name == "首次预警" and f.steps[0].outcome == "已发送"  # the words of the incident page
    # Reminders after the report were skipped, and say so.
    assert any(s.outcome == "已跳过（已报告）" for s in f.steps)
    assert {n.recipient for n in f.notices} >= {"一中党支部书记"}
    assert f.schemes == ["校园欺凌"]


def test_unknown_unit_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        scope_of(load_config(REPO_CONFIG), "nope")


@pytest.fixture
def world_figures(briefing_world: World) -> Any:
    def build(unit: str) -> tuple[World, Any]:
        period = periods.daily(briefing_world.day)
        figures = period_figures(
            briefing_world.store,
            briefing_world.sessions,
            briefing_world.config,
            period=period,
            scope=scope_of(briefing_world.config, unit),
            now=period.until + timedelta(hours=8),
        )
        return briefing_world, figures

    return build


def test_a_long_period_trends_by_week(briefing_world: World) -> None:
    world = briefing_world
    period = periods.analysis(world.day - timedelta(days=80), world.day + timedelta(days=10))  # 90 days
    figures = period_figures(
        world.store,
        world.sessions,
        world.config,
        period=period,
        scope=scope_of(world.config, None),
        now=period.until,
    )
    assert len(figures.trend) == 13 and figures.trend[0].label.endswith("起")
    assert sum(p.total for p in figures.trend) == figures.total == 10
    assert figures.previous_total == 0 and figures.change is None
