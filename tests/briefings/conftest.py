"""Briefing fixtures: a real mention store and workflow database holding one Beijing day of posts, analysed by
the real analysis job (events included), with incidents opened by the real rules and handled through the
incident service — one reported in time, one never reported, one in another unit."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alerting.clock import clock_tick
from alerting.incidents import service
from alerting.incidents.models import Incident
from alerting.rules import run_rules
from analysis.analyser import Analyser
from analysis.job import analyse_pending
from config import Config
from store.mentions import NewMention
from store.mentions.sqlite import SqliteMentionStore

REPO = Path(__file__).resolve().parents[2]
BJ = ZoneInfo("Asia/Shanghai")
# Yesterday in Beijing: the analysis job prunes same-story bands by the wall clock (72 hours), so the posts
# must be recent for their copies to join one event.
DAY = datetime.combine(datetime.now(BJ).date() - timedelta(days=1), time(0), tzinfo=BJ)

BULLYING = ("城关第一中学学生被殴打住院", "城关一中初二学生被多名同学围殴，头部受伤住院，家长要求学校给说法。")
HOSTILE_TITLE = "<script>alert('x')</script>城关一中食堂饭菜变质"
HOSTILE_CONTENT = "城关一中食堂饭菜变质，学生呕吐腹泻。<img src=x onerror=alert(2)></td></tr></table><h1>伪造标题</h1>"
FIRE = ("城关镇居民楼发生火灾", "城关镇幸福小区一栋居民楼发生火灾，有人员重伤，消防正在救援。")
FEES = ("班主任收取资料费", "城关一中班主任强制收取资料费每人200元，家长很不满。")
QUIET = [
    ("城关镇举办文艺汇演", "城关镇文化站举办迎新文艺汇演，居民踊跃参加，现场气氛热烈。"),
    ("县教育局发布招生通知", "城关县教育局发布今年秋季招生工作安排。"),
]


@dataclass
class BriefingWorld:
    config: Config
    store: SqliteMentionStore
    sessions: sessionmaker[Session]
    day: date
    # mention ids by name, and where each is (for expected figures computed independently of the report)
    ids: dict[str, str] = field(default_factory=dict)
    incidents: dict[str, int] = field(default_factory=dict)
    root: Any = None  # the AppWorld (tests/conftest.py) the stores belong to: its `state()` is the API's view

    def post(self, name: str, source: str, title: str, content: str, at: datetime, unit: str = "county") -> str:
        post_id = f"{name}-{int(at.timestamp())}"
        self.store.upsert_many(
            [NewMention(source, post_id, f"http://board.example/t/{post_id}", title, content, unit=unit)], now=at
        )
        self.ids[name] = f"{source}:{post_id}"
        return self.ids[name]


def build_world(root: Any) -> BriefingWorld:
    """The day's posts in the order they appear, each crawled, analysed and put through the rules a minute
    later, as the running service would; the bullying case is acknowledged and reported in time, the
    canteen and fire cases never are, and the clock breaches them in the evening."""
    config, store, sessions = root.config, root.store, root.sessions
    world = BriefingWorld(config, store, sessions, DAY.date(), root=root)
    analyser, playbooks = Analyser(config), root.services.playbooks

    def at(hour: int, minute: int = 0) -> datetime:
        return DAY.replace(hour=hour, minute=minute)

    posts = [
        # The day before (for the change against the previous period).
        ("before", "demo-baixing", *QUIET[0], DAY - timedelta(hours=3)),
        ("bullying", "demo-baixing", *BULLYING, at(9)),
        ("bullying-copy1", "demo-tousu", *BULLYING, at(10)),
        ("fees", "demo-baixing", *FEES, at(10, 30)),
        ("bullying-copy2", "other-forum", *BULLYING, at(11)),
        ("quiet0", "demo-baixing", *QUIET[0], at(11, 10)),
        ("quiet1", "demo-baixing", *QUIET[1], at(12)),
        ("hostile", "demo-tousu", HOSTILE_TITLE, HOSTILE_CONTENT, at(14)),
        ("fire", "demo-baixing", *FIRE, at(16)),
        # The day after: outside the period.
        ("after", "demo-baixing", *QUIET[1], DAY + timedelta(days=1, hours=1)),
    ]
    for name, source, title, content, when in posts:
        world.post(name, source, title, content, when)
        analyse_pending(store, analyser, sessions=sessions)
        run_rules(store, sessions, config, playbooks, base_url="http://yq.example", now=when + timedelta(minutes=1))
        if name == "bullying":
            with sessions.begin() as session:
                incident_id = session.scalars(select(Incident.id)).one()
                world.incidents["bullying"] = incident_id
                service.acknowledge(session, incident_id=incident_id, actor="一中党支部书记", now=at(9, 4))
            clock_tick(sessions, config, base_url="http://yq.example", now=at(9, 10))
            with sessions.begin() as session:
                service.record_report(
                    session,
                    incident_id=incident_id,
                    actor="一中党支部书记",
                    reported_to="县委宣传部",
                    channel="电话",
                    summary="已电话报告<b>宣传部</b>",
                    now=at(9, 12),
                )
        if name == "fire":
            clock_tick(sessions, config, base_url="http://yq.example", now=at(20))
    with sessions() as session:
        for incident in session.scalars(select(Incident)):
            world.incidents[next(n for n, i in world.ids.items() if i == incident.first_mention_id)] = incident.id
    return world


@pytest.fixture(scope="module")
def briefing_world(module_app_world: Any) -> BriefingWorld:
    """Shared by a module's tests, which only read it (reports never write to the stores they read)."""
    return build_world(module_app_world())


@pytest.fixture
def fresh_world(app_world: Any) -> BriefingWorld:
    """A world of one's own, for tests that send briefings."""
    return build_world(app_world())
