"""A simulated working day under a controllable clock: posts all day, incidents at different levels, people
acknowledging and reporting (or not), one channel down all day, and the service restarted mid-day with a
gap. Every clock step must fire at the first tick at or after its due time, exactly once, or be skipped
exactly when its condition was met; every notification reaches its recipient once, by the fallback channel
where the first is down."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from alerting.clock import clock_tick
from alerting.delivery.models import Delivery, DeliveryAttempt, DeliveryStatus
from alerting.delivery.sender import SendResult, deliver_pending
from alerting.incidents import service
from alerting.incidents.models import ClockStepRow, Incident
from alerting.rules import run_rules
from analysis.analyser import Analyser
from analysis.job import analyse_pending
from config import Channel, Level, Scheme
from store.mentions import NewMention
from store.mentions.sqlite import SqliteMentionStore
from store.workflow import make_engine, make_session_factory

World = Any  # the `world` fixture from conftest.py
START = datetime(2026, 11, 23, 0, 30, tzinfo=UTC)  # Monday 08:30 in Beijing
DOWN = "edu-sms"


@dataclass(frozen=True)
class Case:
    minute: int
    post_id: str
    title: str
    content: str
    unit: str
    level: Level
    ack_after: int | None  # minutes after discovery, None: never
    report_after: int | None


CASES = [
    Case(
        0,
        "a",
        "城关第一中学学生被殴打住院",
        "城关一中初二学生被多名同学围殴，头部受伤住院。",
        "school-no1",
        Level.MAJOR,
        4,
        12,
    ),
    Case(
        30,
        "b",
        "县教育局食堂饭菜变质",
        "县教育局机关食堂午餐变质，多名职工呕吐。",
        "county-edu",
        Level.MAJOR,
        None,
        None,
    ),
    Case(
        95, "c", "城关镇发生群体性事件", "城关镇政府门前上百人聚集，发生冲突。", "town-chengguan", Level.CRITICAL, 2, 20
    ),
    Case(140, "d", "县一中宿舍楼坍塌", "县一中宿舍楼部分坍塌，有学生受伤。", "school-no1", Level.MAJOR, 20, 28),
    Case(
        300,
        "e",
        "城关镇学生溺水送医",
        "城关镇河边一名学生溺水，被路人救起后送医院治疗，家长质疑学校管理。",
        "town-chengguan",
        Level.MAJOR,
        16,
        40,
    ),
]
ORDINARY = [
    ("班主任收取资料费", "城关一中班主任强制收取资料费。"),  # 较大: no incident
    ("路灯不亮", "城关镇幸福路路灯坏了。"),
    ("感谢教育局", "县教育局及时解决校车问题，点赞。"),
]
RESTART_AT, RESTART_GAP = 150, 7  # the service is down from minute 150 to 156 and starts again at 157
DAY_MINUTES = 420


class Channels:
    """Every send recorded; the bureau's SMS channel is down all day."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send(self, channel_id: str, *, title: str, body: str) -> SendResult:
        if channel_id == DOWN:
            return SendResult(False, "HTTP 503 from the SMS gateway")
        self.sent.append((channel_id, title))
        return SendResult(True)


def _config(world: World) -> Any:
    units = []
    for unit in world.config.units:
        if unit.id == "county-edu":
            duty = [
                c.model_copy(update={"channels": [DOWN, *c.channels]}) if c.role == "duty_officer" else c
                for c in unit.duty
            ]
            unit = unit.model_copy(update={"duty": duty})
        units.append(unit)
    schemes = [
        *world.config.schemes,
        Scheme(id="mass-incident", name="群体性事件", severity=Level.CRITICAL, event=["群体性事件", "上百人聚集"]),
    ]
    channels = [*world.config.channels, Channel(id=DOWN, url=world.config.channels[0].url)]
    return world.config.model_copy(update={"units": units, "schemes": schemes, "channels": channels})


def test_a_working_day(world: World, workflow_url: str, tmp_path: Path) -> None:
    config = _config(world)
    analyser = Analyser(config)
    store = world.store
    sessions = world.sessions
    channels = Channels()
    discovered: dict[str, datetime] = {}
    incident_of: dict[str, int] = {}

    for minute in range(DAY_MINUTES):
        if RESTART_AT <= minute < RESTART_AT + RESTART_GAP:
            if minute == RESTART_AT:  # the process dies: nothing in memory survives
                store.close()
                sessions.kw["bind"].dispose()
            continue
        if minute == RESTART_AT + RESTART_GAP:
            store = SqliteMentionStore(tmp_path / "mentions.sqlite3")
            sessions = make_session_factory(make_engine(workflow_url))
            analyser = Analyser(config)
        now = START + timedelta(minutes=minute)
        # People act first in a minute: acknowledging and reporting as the cases say.
        for case in CASES:
            if case.post_id not in incident_of:
                continue
            with sessions.begin() as session:
                since = (now - discovered[case.post_id]).total_seconds() / 60
                if case.ack_after is not None and since == case.ack_after:
                    service.acknowledge(session, incident_id=incident_of[case.post_id], actor="值班员", now=now)
                if case.report_after is not None and since == case.report_after:
                    service.record_report(
                        session,
                        incident_id=incident_of[case.post_id],
                        actor="书记",
                        reported_to="县委宣传部",
                        channel="电话",
                        summary="已报告",
                        now=now,
                    )
        posts = [
            NewMention("demo-baixing", c.post_id, f"http://b/{c.post_id}", c.title, c.content, unit="county")
            for c in CASES
            if c.minute == minute
        ]
        if minute % 45 == 7:
            title, content = ORDINARY[(minute // 45) % len(ORDINARY)]
            posts.append(NewMention("demo-tousu", f"o{minute}", f"http://t/{minute}", title, content, unit="county"))
        if posts:
            store.upsert_many(posts, now=now)
            for post in posts:
                discovered.setdefault(post.post_id, now)
        # The scheduler's jobs, in order, each tick.
        pending = store.pending_analysis(100)
        if pending:
            store.save_analysis(
                [(m.id, analyser.analyse(title=m.title, content=m.content, default_unit=m.unit)) for m in pending],
                now=now,
            )
        assert analyse_pending(store, analyser) == 0
        run_rules(store, sessions, config, world.playbooks, base_url="http://yq", now=now)
        clock_tick(sessions, config, base_url="http://yq", now=now)
        deliver_pending(sessions, channels, max_attempts=3, now=now)
        with sessions() as session:
            for incident in session.scalars(select(Incident)):
                incident_of.setdefault(incident.first_mention_id.split(":")[1], incident.id)

    resumed = START + timedelta(minutes=RESTART_AT + RESTART_GAP)
    with sessions() as session:
        incidents = {i.first_mention_id.split(":")[1]: i for i in session.scalars(select(Incident))}
        assert set(incidents) == {c.post_id for c in CASES}  # ordinary posts opened nothing
        for case in CASES:
            incident = incidents[case.post_id]
            assert incident.level == case.level and incident.unit == case.unit, case
            playbook = world.playbooks.for_level(case.level)
            assert incident.playbook == playbook.id
            rows = {
                r.step: r for r in session.scalars(select(ClockStepRow).where(ClockStepRow.incident_id == incident.id))
            }
            assert set(rows) == {step.key for step in playbook.clock}
            for step in playbook.clock:
                row = rows[step.key]
                due = discovered[case.post_id] + timedelta(minutes=step.at_minutes)
                # The first tick at or after the due time; none ran while the service was down.
                tick = START + timedelta(minutes=math.ceil((due - START).total_seconds() / 60))
                if START + timedelta(minutes=RESTART_AT) <= tick < resumed:
                    tick = resumed
                assert row.fired_at == tick, (case.post_id, step.key, row.fired_at, tick)
                acted = {"acknowledged": case.ack_after, "reported": case.report_after}.get(step.unless or "")
                skipped = acted is not None and acted <= step.at_minutes
                assert row.outcome == (f"skipped: {step.unless}" if skipped else "sent"), (case.post_id, step.key)
                sent = session.scalars(
                    select(Delivery.recipient).where(Delivery.incident_id == incident.id, Delivery.kind == step.key)
                ).all()
                assert (len(sent) > 0) == (not skipped) and len(sent) == len(set(sent))
            assert (incident.breached_at is not None) == (case.report_after is None or case.report_after > 30)
        # Nothing left undelivered, and the bureau's duty officer was always reached by the fallback channel.
        deliveries = session.scalars(select(Delivery)).all()
        assert {d.status for d in deliveries} == {DeliveryStatus.SENT}
        bureau = [d for d in deliveries if d.recipient == "county-edu:教育局值班员"]
        assert bureau and all(d.sent_channel == "inbox-edu-duty" for d in bureau)
        for delivery in bureau:
            attempts = session.scalars(select(DeliveryAttempt).where(DeliveryAttempt.delivery_id == delivery.id)).all()
            assert [(a.channel, a.ok) for a in attempts] == [(DOWN, False), ("inbox-edu-duty", True)]
    assert len(channels.sent) == len(deliveries)  # each notification went out once
    store.close()
