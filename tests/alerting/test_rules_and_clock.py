"""Rules open one incident per case with its persisted deadline; the clock breaches exactly once."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any
from typing import Any as World  # the `world` fixture from conftest.py

import pytest
from sqlalchemy import func, select

from alerting.clock import clock_tick
from alerting.delivery.models import Delivery
from alerting.incidents import service
from alerting.incidents.models import ClockStepRow, Incident, IncidentTask, Stage, TimelineEntry
from alerting.incidents.step_rule import outcome_name
from alerting.rules import run_rules
from config import Level
from store.workflow import make_engine, make_session_factory

BULLYING = (
    "城关第一中学学生被殴打住院",
    "城关一中初二学生被多名同学围殴，头部受伤住院，家长要求学校给说法。",
)
FEES = ("班主任收取资料费", "城关一中班主任强制收取资料费每人200元。")


def test_major_case_opens_one_incident_with_30_minute_deadline(world: World, caplog: pytest.LogCaptureFixture) -> None:
    major = world.post("1", *BULLYING)
    world.post("2", *FEES)  # 较大: below the incident level
    now = major.discovered_at + timedelta(seconds=5)
    with caplog.at_level(logging.INFO, logger="alerting.rules"):
        assert run_rules(world.store, world.sessions, world.config, world.playbooks, base_url="http://yq", now=now) == 1
    # The operator's log names the source and the post's title, never the mention's id.
    [opened] = [r.getMessage() for r in caplog.records if "立案" in r.getMessage()]
    source = next(s.name for s in world.config.sources if s.id == major.source)
    assert opened.startswith(f"「{source}」的帖子《{BULLYING[0]}》立案：事件 ") and major.id not in opened
    # Running again over the same analyses opens nothing and queues nothing more.
    assert run_rules(world.store, world.sessions, world.config, world.playbooks, base_url="http://yq", now=now) == 0
    with world.sessions() as session:
        incidents = session.scalars(select(Incident)).all()
        assert len(incidents) == 1
        incident = incidents[0]
        assert incident.level == Level.MAJOR
        assert incident.unit == "school-no1"
        assert incident.stage == Stage.ANALYSE
        assert incident.discovered_at == major.discovered_at
        assert incident.report_due_at == major.discovered_at + timedelta(minutes=30)
        recipients = set(session.scalars(select(Delivery.recipient).where(Delivery.kind == "alert@0")))
        # The school's secretary, and — for a major case — the superiors up the chain.
        assert recipients == {
            "school-no1:一中党支部书记",
            "county-edu:教育局值班员",
            "county-edu:教育局党委书记",
            "county:县政府值班室",
            "county:县委宣传部网信办",
        }
        body = session.scalars(select(Delivery.body)).first()
        assert body is not None and "城关第一中学" in body and "剩余 30 分钟" in body and "/incidents/" in body


def test_a_post_discovered_long_ago_opens_no_incident(world: World) -> None:
    major = world.post("1", *BULLYING)
    late = major.discovered_at + timedelta(hours=world.config.alerting.incident_max_age_hours, seconds=1)
    assert run_rules(world.store, world.sessions, world.config, world.playbooks, base_url="http://yq", now=late) == 0
    with world.sessions() as session:
        assert session.scalars(select(Incident)).all() == []


def test_repost_of_same_event_attaches(world: World) -> None:
    first = world.post("1", *BULLYING)
    # Analysis groups copies into an event; simulate the event id it would give both copies.
    for post_id in ("1", "2"):
        if post_id == "2":
            world.post("2", "转：" + BULLYING[0], BULLYING[1])
        mention = world.store.get(f"demo-baixing:{post_id}")
        assert mention is not None and mention.analysis is not None
        analysis = mention.analysis
        world.store.save_analysis([(mention.id, type(analysis)(**{**analysis.__dict__, "event_id": "ev-1"}))])
    run_rules(world.store, world.sessions, world.config, world.playbooks, base_url="http://yq", now=first.discovered_at)
    with world.sessions() as session:
        incident = session.scalars(select(Incident)).one()
        assert incident.mention_count == 2
        assert session.scalar(select(func.count(Delivery.id))) == 5  # one alert per recipient, not per copy


def _run_clock(world: World, start: datetime, minutes: range, sessions: Any = None) -> dict[int, int]:
    """Tick once a minute like the scheduler does; returns {minute: steps sent} for minutes that sent any."""
    fired = {}
    for minute in minutes:
        sent = clock_tick(
            sessions or world.sessions, world.config, base_url="http://yq", now=start + timedelta(minutes=minute)
        )
        if sent:
            fired[minute] = sent
    return fired


def _deliveries_by_step(world: World) -> dict[str, set[str]]:
    with world.sessions() as session:
        rows = session.execute(select(Delivery.kind, Delivery.recipient)).all()
    out: dict[str, set[str]] = {}
    for kind, recipient in rows:
        out.setdefault(kind, set()).add(recipient)
    return out


def test_clock_fires_every_step_at_its_minute_once(world: World) -> None:
    mention = world.post("1", *BULLYING)
    start = mention.discovered_at
    run_rules(world.store, world.sessions, world.config, world.playbooks, base_url="http://yq", now=start)
    fired = _run_clock(world, start, range(0, 61))
    # major.yaml: escalation@5, reminder@10, escalation@15, reminder@20, reminder@25, breach@30.
    assert fired == {5: 1, 10: 1, 15: 1, 20: 1, 25: 1, 30: 1}
    steps = _deliveries_by_step(world)
    assert steps["escalation@5"] == {"school-no1:一中党支部书记"}
    assert steps["escalation@15"] == {"county-edu:教育局值班员", "county-edu:教育局党委书记"}
    assert steps["reminder@10"] == {"school-no1:一中党支部书记"}  # the school has no duty officer of its own
    assert steps["breach@30"] == steps["alert@0"]
    with world.sessions() as session:
        incident = session.scalars(select(Incident)).one()
        assert incident.breached_at == start + timedelta(minutes=30)
        assert session.scalar(select(func.count(TimelineEntry.id)).where(TimelineEntry.action == "breach")) == 1
        outcomes = dict(session.execute(select(ClockStepRow.step, ClockStepRow.outcome)).all())
        assert set(outcomes.values()) == {"sent"}
        tasks = session.scalars(select(IncidentTask).order_by(IncidentTask.id)).all()
        assert [t.stage for t in tasks][:2] == ["monitor", "monitor"] and len(tasks) == 10
        report_task = next(t for t in tasks if t.stage == "report")
        assert report_task.due_at == incident.report_due_at


def test_acknowledging_and_reporting_silence_the_clock(world: World) -> None:
    mention = world.post("1", *BULLYING)
    start = mention.discovered_at
    run_rules(world.store, world.sessions, world.config, world.playbooks, base_url="http://yq", now=start)
    fired = _run_clock(world, start, range(0, 3))
    with world.sessions.begin() as session:
        incident_id = session.scalars(select(Incident.id)).one()
        service.acknowledge(session, incident_id=incident_id, actor="值班员", now=start + timedelta(minutes=3))
    fired |= _run_clock(world, start, range(3, 12))
    with world.sessions.begin() as session:
        service.record_report(
            session,
            incident_id=incident_id,
            actor="王书记",
            reported_to="县委宣传部",
            channel="电话",
            summary="已报告",
            now=start + timedelta(minutes=12),
        )
    # Recorded at minute 12: the steps still to come are shown as the clock will treat them, never as 待触发.
    with world.sessions() as session:
        ahead = {
            r.step: outcome_name(r)
            for r in session.scalars(select(ClockStepRow).where(ClockStepRow.fired_at.is_(None)))
        }
    assert ahead == {
        "escalation@15": "不再触发（已确认）",
        "reminder@20": "不再触发（已报告）",
        "reminder@25": "不再触发（已报告）",
        "breach@30": "不再触发（已报告）",
    }
    fired |= _run_clock(world, start, range(12, 90))
    with world.sessions() as session:  # and the clock, by the same rule, skipped exactly those
        after = {r.step: outcome_name(r) for r in session.scalars(select(ClockStepRow))}
    assert {step: after[step] for step in ahead} == {s: n.replace("不再触发", "已跳过") for s, n in ahead.items()}
    assert fired == {10: 1}  # only the 10-minute reminder: acknowledged by 5, reported by 20
    with world.sessions() as session:
        outcomes = dict(session.execute(select(ClockStepRow.step, ClockStepRow.outcome)).all())
        incident = session.get(Incident, incident_id)
        assert incident is not None and incident.breached_at is None
    assert outcomes == {
        "alert@0": "sent",
        "escalation@5": "skipped: acknowledged",
        "reminder@10": "sent",
        "escalation@15": "skipped: acknowledged",
        "reminder@20": "skipped: reported",
        "reminder@25": "skipped: reported",
        "breach@30": "skipped: reported",
    }


def test_restart_mid_clock_loses_nothing_and_doubles_nothing(world: World, workflow_url: str) -> None:
    mention = world.post("1", *BULLYING)
    start = mention.discovered_at
    run_rules(world.store, world.sessions, world.config, world.playbooks, base_url="http://yq", now=start)
    before = _run_clock(world, start, range(0, 13))
    # The process dies; a new one (new engine, new sessions) starts 9 minutes later and catches up at once.
    restarted = make_session_factory(make_engine(workflow_url))
    late = clock_tick(restarted, world.config, base_url="http://yq", now=start + timedelta(minutes=22))
    after = _run_clock(world, start, range(22, 61), sessions=restarted)
    assert before == {5: 1, 10: 1}
    assert late == 2  # escalation@15 and reminder@20, each once, on the first tick after the restart
    assert after == {25: 1, 30: 1}
    with restarted() as session:
        assert session.scalar(select(func.count(ClockStepRow.id)).where(ClockStepRow.fired_at.is_(None))) == 0


def test_report_in_time_stops_the_clock(world: World) -> None:
    mention = world.post("1", *BULLYING)
    run_rules(
        world.store, world.sessions, world.config, world.playbooks, base_url="http://yq", now=mention.discovered_at
    )
    with world.sessions.begin() as session:
        incident_id = session.scalars(select(Incident.id)).one()
        service.acknowledge(session, incident_id=incident_id, actor="王书记", now=mention.discovered_at)
        service.record_report(
            session,
            incident_id=incident_id,
            actor="王书记",
            reported_to="县委宣传部",
            channel="电话",
            summary="已电话报告",
            now=mention.discovered_at + timedelta(minutes=12),
        )
    due = mention.discovered_at + timedelta(minutes=30)
    assert clock_tick(world.sessions, world.config, base_url="http://yq", now=due + timedelta(hours=1)) == 0
    with world.sessions() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        assert incident.breached_at is None and incident.stage == Stage.HANDLE
        actions = [t.action for t in session.scalars(select(TimelineEntry).order_by(TimelineEntry.id))]
        assert actions == ["discovered", "opened", "acknowledged", "reported", "task"]  # the report task ticked
        report_task = session.scalars(
            select(IncidentTask).where(IncidentTask.incident_id == incident_id, IncidentTask.stage == "report")
        ).first()
        assert report_task is not None and report_task.done_by == "王书记"


def test_late_report_is_kept_as_breach(world: World) -> None:
    mention = world.post("1", *BULLYING)
    run_rules(
        world.store, world.sessions, world.config, world.playbooks, base_url="http://yq", now=mention.discovered_at
    )
    with world.sessions.begin() as session:
        incident_id = session.scalars(select(Incident.id)).one()
        incident = service.record_report(
            session,
            incident_id=incident_id,
            actor="王书记",
            reported_to="县委宣传部",
            channel="短信",
            summary="迟报",
            now=mention.discovered_at + timedelta(minutes=41),
        )
        assert incident.breached_at == incident.report_due_at
    with world.sessions.begin() as session:
        try:
            service.record_report(
                session,
                incident_id=incident_id,
                actor="x",
                reported_to="y",
                channel="电话",
                summary="again",
                now=mention.discovered_at,
            )
            raise AssertionError("a second report must be refused")
        except service.IncidentError as exc:
            assert "已报告" in str(exc)


def test_unit_without_contacts_goes_up_or_is_raised(world: World) -> None:
    config = world.config.model_copy(update={"units": [u.model_copy(update={"duty": []}) for u in world.config.units]})
    mention = world.post("1", *BULLYING)
    run_rules(world.store, world.sessions, config, world.playbooks, base_url="http://yq", now=mention.discovered_at)
    with world.sessions() as session:
        assert session.scalar(select(func.count(Delivery.id))) == 0
        actions = set(session.scalars(select(TimelineEntry.action)))
        assert "undeliverable" in actions


def test_steps_reach_whoever_is_on_shift_when_they_fire(world: World) -> None:
    """The bureau's day officer gets the alert; its 10-minute reminder, fired after the 18:00 hand-over, goes
    to the night officer."""
    from datetime import time as clock_time
    from zoneinfo import ZoneInfo

    from config.models import DutyContact, Shift

    units = []
    for unit in world.config.units:
        if unit.id == "county-edu":
            night = DutyContact(name="夜班值班员", role="duty_officer", channels=["inbox-edu-duty"])
            unit = unit.model_copy(
                update={
                    "duty": [*unit.duty, night],
                    "roster": [
                        Shift(
                            days=list(range(1, 8)), start=clock_time(8), end=clock_time(18), on_duty=["教育局值班员"]
                        ),
                        Shift(days=list(range(1, 8)), start=clock_time(18), end=clock_time(8), on_duty=["夜班值班员"]),
                    ],
                }
            )
        units.append(unit)
    config = world.config.model_copy(update={"units": units})
    world.config = config
    mention = world.post("1", "学校食堂饭菜变质", "县教育局：食堂午餐变质，多名学生呕吐。")
    beijing = ZoneInfo("Asia/Shanghai")
    start = (
        mention.discovered_at.astimezone(beijing).replace(hour=17, minute=57).astimezone(mention.discovered_at.tzinfo)
    )
    with world.sessions.begin() as session:
        from alerting.clock import fire_due_steps, plan_incident
        from alerting.incidents.service import open_or_attach

        shifted = type(mention)(**{**mention.__dict__, "discovered_at": start})
        incident, _ = open_or_attach(session, mention=shifted, report_window=timedelta(minutes=30), now=start)
        plan_incident(session, incident=incident, playbook=world.playbooks.get("major"))
        fire_due_steps(session, config=config, base_url="http://yq", now=start, incident_id=incident.id)
    _run_clock(world, start, range(1, 6))
    steps = _deliveries_by_step(world)
    assert "county-edu:教育局值班员" in steps["alert@0"] and "county-edu:夜班值班员" not in steps["alert@0"]
    reminder = _run_clock(world, start, range(6, 11))
    assert reminder == {10: 1}
    steps = _deliveries_by_step(world)
    assert "county-edu:夜班值班员" in steps["reminder@10"] and "county-edu:教育局值班员" not in steps["reminder@10"]


def _with_period(world: World, *, days: int, level: str | None, window: int | None) -> Any:
    from zoneinfo import ZoneInfo

    from config.models import SensitivePeriod

    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    period = SensitivePeriod.model_validate(
        {
            "name": "全国两会",
            "start": today + timedelta(days=min(days, 0) - 1),
            "end": today + timedelta(days=days),
            "incident_level": level,
            "report_window_minutes": window,
        }
    )
    return world.config.model_copy(update={"calendar": [period]})


def test_sensitive_period_lowers_threshold_and_tightens_the_clock(world: World) -> None:
    world.config = _with_period(world, days=1, level="较大", window=20)
    mention = world.post("1", *FEES)  # 较大: below the usual threshold
    start = mention.discovered_at
    assert run_rules(world.store, world.sessions, world.config, world.playbooks, base_url="http://yq", now=start) == 1
    with world.sessions() as session:
        incident = session.scalars(select(Incident)).one()
        assert incident.report_due_at == start + timedelta(minutes=20)
        steps = {r.step: r.due_at - start for r in session.scalars(select(ClockStepRow))}
        assert steps["breach@20"] == timedelta(minutes=20)
        assert steps["reminder@6.67"] == timedelta(minutes=6.67)
        notes = session.scalars(select(TimelineEntry.detail).where(TimelineEntry.action == "sensitive_period")).all()
        assert notes == ["敏感时期「全国两会」：报告时限 20 分钟，较大及以上立案"]
    assert _run_clock(world, start, range(0, 25)).get(20) == 1  # the breach comes at 20 minutes


def test_period_that_has_ended_changes_nothing(world: World) -> None:
    world.config = _with_period(world, days=-3, level="较大", window=20)  # ended two days ago
    mention = world.post("1", *FEES)
    assert (
        run_rules(
            world.store, world.sessions, world.config, world.playbooks, base_url="http://yq", now=mention.discovered_at
        )
        == 0
    )


def test_notifications_drop_bidi_overrides_and_invisible_characters(world: World) -> None:
    spoof = "城关第一中学学生被殴打住院\u202e试测gnp.exe\u200b"
    major = world.post("1", spoof, BULLYING[1])
    run_rules(world.store, world.sessions, world.config, world.playbooks, base_url="http://yq", now=major.discovered_at)
    with world.sessions() as session:
        deliveries = session.scalars(select(Delivery)).all()
        incident = session.scalars(select(Incident)).one()
    assert deliveries and incident.title == spoof  # what was posted is kept as evidence
    for delivery in deliveries:
        assert "城关第一中学学生被殴打住院试测gnp.exe" in delivery.body
        assert not any(ch in delivery.title + delivery.body for ch in "\u202e\u200b")
    stored = world.store.get(major.id)
    assert stored is not None and stored.title == spoof


def test_closing_shows_every_step_to_come_as_no_longer_due(world: World) -> None:
    mention = world.post("1", *BULLYING)
    start = mention.discovered_at
    run_rules(world.store, world.sessions, world.config, world.playbooks, base_url="http://yq", now=start)
    with world.sessions.begin() as session:
        incident_id = session.scalars(select(Incident.id)).one()
        service.record_report(
            session,
            incident_id=incident_id,
            actor="王书记",
            reported_to="县委宣传部",
            channel="电话",
            summary="已报告",
            now=start + timedelta(minutes=2),
        )
        service.close_incident(
            session, incident_id=incident_id, summary="已处置", actor="王书记", now=start + timedelta(minutes=3)
        )
    with world.sessions() as session:
        names = {outcome_name(r) for r in session.scalars(select(ClockStepRow).where(ClockStepRow.fired_at.is_(None)))}
    assert names == {"不再触发（已结案）"}
    assert _run_clock(world, start, range(3, 40)) == {}
