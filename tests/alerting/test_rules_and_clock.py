"""Rules open one incident per case with its persisted deadline; the clock breaches exactly once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any as World  # the `world` fixture from conftest.py

from sqlalchemy import func, select

from alerting.deadlines import check_deadlines
from alerting.delivery.models import Delivery
from alerting.incidents import service
from alerting.incidents.models import Incident, Stage, TimelineEntry
from alerting.rules import run_rules
from config import Level

BULLYING = (
    "城关第一中学学生被殴打住院",
    "城关一中初二学生被多名同学围殴，头部受伤住院，家长要求学校给说法。",
)
FEES = ("班主任收取资料费", "城关一中班主任强制收取资料费每人200元。")


def test_major_case_opens_one_incident_with_30_minute_deadline(world: World) -> None:
    major = world.post("1", *BULLYING)
    world.post("2", *FEES)  # 较大: below the incident level
    now = major.discovered_at + timedelta(seconds=5)
    assert run_rules(world.store, world.sessions, world.config, base_url="http://yq", now=now) == 1
    # Running again over the same analyses opens nothing and queues nothing more.
    assert run_rules(world.store, world.sessions, world.config, base_url="http://yq", now=now) == 0
    with world.sessions() as session:
        incidents = session.scalars(select(Incident)).all()
        assert len(incidents) == 1
        incident = incidents[0]
        assert incident.level == Level.MAJOR
        assert incident.unit == "school-no1"
        assert incident.stage == Stage.ANALYSE
        assert incident.discovered_at == major.discovered_at
        assert incident.report_due_at == major.discovered_at + timedelta(minutes=30)
        recipients = set(session.scalars(select(Delivery.recipient).where(Delivery.kind == "alert")))
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
    run_rules(world.store, world.sessions, world.config, base_url="http://yq", now=first.discovered_at)
    with world.sessions() as session:
        incident = session.scalars(select(Incident)).one()
        assert incident.mention_count == 2
        assert session.scalar(select(func.count(Delivery.id))) == 5  # one alert per recipient, not per copy


def test_deadline_breach_recorded_and_notified_once(world: World) -> None:
    mention = world.post("1", *BULLYING)
    run_rules(world.store, world.sessions, world.config, base_url="http://yq", now=mention.discovered_at)
    due = mention.discovered_at + timedelta(minutes=30)
    assert check_deadlines(world.sessions, world.config, base_url="http://yq", now=due - timedelta(seconds=1)) == 0
    assert check_deadlines(world.sessions, world.config, base_url="http://yq", now=due) == 1
    assert check_deadlines(world.sessions, world.config, base_url="http://yq", now=due + timedelta(minutes=5)) == 0
    with world.sessions() as session:
        incident = session.scalars(select(Incident)).one()
        assert incident.breached_at == due
        assert session.scalar(select(func.count(Delivery.id)).where(Delivery.kind == "breach")) == 5
        assert session.scalar(select(func.count(TimelineEntry.id)).where(TimelineEntry.action == "breach")) == 1


def test_report_in_time_stops_the_clock(world: World) -> None:
    mention = world.post("1", *BULLYING)
    run_rules(world.store, world.sessions, world.config, base_url="http://yq", now=mention.discovered_at)
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
    assert check_deadlines(world.sessions, world.config, base_url="http://yq", now=due + timedelta(hours=1)) == 0
    with world.sessions() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        assert incident.breached_at is None and incident.stage == Stage.HANDLE
        actions = [t.action for t in session.scalars(select(TimelineEntry).order_by(TimelineEntry.id))]
        assert actions == ["discovered", "opened", "acknowledged", "reported"]


def test_late_report_is_kept_as_breach(world: World) -> None:
    mention = world.post("1", *BULLYING)
    run_rules(world.store, world.sessions, world.config, base_url="http://yq", now=mention.discovered_at)
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
    run_rules(world.store, world.sessions, config, base_url="http://yq", now=mention.discovered_at)
    with world.sessions() as session:
        assert session.scalar(select(func.count(Delivery.id))) == 0
        actions = set(session.scalars(select(TimelineEntry.action)))
        assert "undeliverable" in actions
