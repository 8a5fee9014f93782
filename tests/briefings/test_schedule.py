"""Scheduled briefings: due periods in Beijing time, and delivery through real Apprise to a json:// receiver on
127.0.0.1 exactly once per period — across a restart, with missed briefings sent on the next start."""

from __future__ import annotations

import time as time_module
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Literal

import pytest
from sqlalchemy import select

from alerting.delivery.models import Delivery
from alerting.delivery.sender import AppriseSender, deliver_pending
from briefings import periods
from briefings.schedule import briefing_tick
from config import BriefingSettings, Settings, load_config
from config.models import BEIJING
from store.mentions.sqlite import SqliteMentionStore
from store.workflow import make_engine, make_session_factory
from store.workflow.cursors import read_cursor
from yuqing.scheduler import Pipeline
from yuqing.services import Services

World = Any  # the `fresh_world` fixture from conftest.py


def bj(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=BEIJING)


MONDAY = date(2026, 11, 23)
SETTINGS = BriefingSettings(daily_at=time(8, 0), weekly_on=1, weekly_at=time(8, 30), catch_up_days=2)

# (now, kind, expected latest due period's first day)
LATEST = [
    (bj(MONDAY, 7, 59), "daily", MONDAY - timedelta(days=2)),
    (bj(MONDAY, 8, 0), "daily", MONDAY - timedelta(days=1)),
    (bj(MONDAY, 23, 59), "daily", MONDAY - timedelta(days=1)),
    (bj(MONDAY, 8, 29), "weekly", MONDAY - timedelta(days=14)),
    (bj(MONDAY, 8, 30), "weekly", MONDAY - timedelta(days=7)),
    (bj(MONDAY + timedelta(days=6), 23, 0), "weekly", MONDAY - timedelta(days=7)),  # Sunday
    (bj(MONDAY + timedelta(days=7), 9, 0), "weekly", MONDAY),
]


@pytest.mark.parametrize(
    ("now", "weekly_on", "first"),
    [
        (bj(MONDAY, 0, 0), 1, MONDAY),
        (bj(MONDAY + timedelta(days=2), 15, 0), 1, MONDAY),  # Wednesday: this week so far
        (bj(MONDAY + timedelta(days=6), 23, 59), 1, MONDAY),  # Sunday night
        (bj(MONDAY + timedelta(days=7), 0, 0), 1, MONDAY + timedelta(days=7)),
        (bj(MONDAY - timedelta(days=1), 0, 0), 1, MONDAY - timedelta(days=7)),  # the Sunday before
        (bj(MONDAY + timedelta(days=2), 9, 0), 5, MONDAY - timedelta(days=3)),  # weeks from Friday
    ],
)
def test_this_week_is_the_week_whose_briefing_goes_out_next(now: datetime, weekly_on: int, first: date) -> None:
    settings = SETTINGS.model_copy(update={"weekly_on": weekly_on})
    week = periods.this_week(settings, now)
    assert (week.first, week.days) == (first, 7)
    assert week.since <= now < week.until
    assert periods.latest_due("weekly", settings, week.until + timedelta(hours=23)).first == week.first


@pytest.mark.parametrize(("now", "kind", "first"), LATEST)
def test_latest_due_period(now: datetime, kind: Literal["daily", "weekly"], first: date) -> None:
    period = periods.latest_due(kind, SETTINGS, now)
    assert period.first == first
    assert period.days == (1 if kind == "daily" else 7)
    assert periods.due_at(period, SETTINGS) <= now


def test_periods_are_beijing_days() -> None:
    period = periods.daily(MONDAY)
    assert period.since.isoformat() == "2026-11-22T16:00:00+00:00"
    assert period.until.isoformat() == "2026-11-23T16:00:00+00:00"
    assert period.label == "2026年11月23日"
    assert periods.weekly(MONDAY).label == "2026年11月23日至11月29日"
    with pytest.raises(ValueError):
        periods.analysis(MONDAY, MONDAY)


def test_missed_periods_within_catch_up() -> None:
    # Down since the briefing of the 18th; back on the 23rd at 09:00 with catch_up_days = 2.
    due = periods.due_since("daily", SETTINGS, after=MONDAY - timedelta(days=5), now=bj(MONDAY, 9))
    assert [p.first for p in due] == [MONDAY - timedelta(days=2), MONDAY - timedelta(days=1)]
    assert periods.due_since("daily", SETTINGS, after=None, now=bj(MONDAY, 9)) == []
    # The briefing due now is never "too late", whatever catch_up_days says.
    none_back = SETTINGS.model_copy(update={"catch_up_days": 0})
    due = periods.due_since("daily", none_back, after=MONDAY - timedelta(days=5), now=bj(MONDAY, 9))
    assert [p.first for p in due] == [MONDAY - timedelta(days=1)]


def _config(tmp_path: Path, receiver: Any, make_config: Any, weekday: int) -> Any:
    briefings = (
        "briefings:\n"
        '  daily_at: "08:00"\n'
        f"  weekly_on: {weekday}\n"
        '  weekly_at: "08:30"\n'
        "  catch_up_days: 2\n"
        "  send:\n"
        "    - {unit: county, roles: [propaganda], kinds: [daily, weekly]}\n"
        "    - {unit: county-edu, roles: [secretary], kinds: [weekly]}\n"
    )
    directory = make_config(
        tmp_path / "config", board_url="http://127.0.0.1:9", receiver=receiver, extra={"briefings.yaml": briefings}
    )
    return load_config(directory)


def test_scheduled_briefings_are_sent_once_per_period(
    fresh_world: World, receiver: Any, make_config: Any, tmp_path: Path
) -> None:
    world = fresh_world
    day = world.day
    config = _config(tmp_path, receiver, make_config, weekday=(day + timedelta(days=1)).isoweekday())
    archive = tmp_path / "archive"
    sender = AppriseSender(config, timeout_seconds=5)
    store, sessions = world.store, world.sessions
    with sessions.begin() as session:  # the incidents' own alerts are another test's business
        for delivery in session.scalars(select(Delivery)):
            delivery.status = "sent"

    def tick(now: datetime) -> int:
        queued = briefing_tick(store, sessions, config, base_url="http://yq.example", archive_dir=archive, now=now)
        deliver_pending(sessions, sender, max_attempts=3, now=now)
        return queued

    # First start, before the morning's briefings are due: nothing is sent for days before it ran.
    assert tick(bj(day + timedelta(days=1), 7)) == 0
    # 08:40: yesterday's daily briefing and last week's weekly one.
    assert tick(bj(day + timedelta(days=1), 8, 40)) == 3
    messages = receiver.wait_for(3, timeout=10)
    assert len(messages) == 3
    by_path = sorted((m["path"], m["title"]) for m in messages)
    label = periods.daily(day).label
    week = periods.weekly(day - timedelta(days=6)).label
    assert by_path == sorted(
        [
            ("/inbox/propaganda", f"【舆情日报】城关县人民政府 {label}"),
            ("/inbox/propaganda", f"【舆情周报】城关县人民政府 {week}"),
            ("/inbox/edu-secretary", f"【舆情周报】城关县教育局 {week}"),
        ]
    )
    daily = next(m for m in messages if "日报" in m["title"])
    assert "本期共监测到涉及城关县人民政府的网络信息 8 条" in daily["message"]
    assert f"http://yq.example/api/v1/briefings/daily?date={day.isoformat()}&unit=county" in daily["message"]
    assert "format=pdf" in daily["message"]
    archived = archive / f"daily-{day:%Y%m%d}-county.html"
    assert "舆情日报" in archived.read_text(encoding="utf-8")

    # A restart: new engine, sessions and store objects on the same files. Nothing is sent again.
    store.close()
    store = SqliteMentionStore(store.path)
    sessions = make_session_factory(make_engine(str(world.sessions.kw["bind"].url)))
    assert tick(bj(day + timedelta(days=1), 8, 41)) == 0
    assert tick(bj(day + timedelta(days=1), 12)) == 0
    assert len(receiver.wait_for(4, timeout=1.5)) == 3

    # Down for three days; back on day+5 at 08:10 with catch_up_days = 2: the dailies of day+3 and day+4
    # go out (due within two days), those of day+1 and day+2 do not.
    assert tick(bj(day + timedelta(days=5), 8, 10)) == 2
    later = receiver.wait_for(5, timeout=10)[3:]
    assert sorted(m["title"] for m in later) == sorted(
        f"【舆情日报】城关县人民政府 {periods.daily(day + timedelta(days=n)).label}" for n in (3, 4)
    )
    assert tick(bj(day + timedelta(days=5), 8, 11)) == 0
    with sessions() as session:
        kinds = list(session.scalars(select(Delivery.kind).where(Delivery.kind.startswith("briefing-"))))
    assert len(kinds) == len(set(kinds)) + 1  # the weekly went to two people; every other kind once
    assert len(receiver.wait_for(6, timeout=1.5)) == 5
    store.close()


def test_nobody_configured_sends_nothing_but_keeps_the_cursor(fresh_world: World, tmp_path: Path) -> None:
    world = fresh_world
    config = world.config.model_copy(update={"briefings": BriefingSettings()})
    now = bj(world.day + timedelta(days=1), 9)
    args: dict[str, Any] = {"base_url": "http://yq", "archive_dir": tmp_path / "a"}
    assert briefing_tick(world.store, world.sessions, config, now=now - timedelta(days=1), **args) == 0
    assert briefing_tick(world.store, world.sessions, config, now=now, **args) == 0
    assert not (tmp_path / "a").exists()


def test_the_scheduler_runs_the_briefings_job(tmp_path: Path, make_config: Any) -> None:
    config = make_config(tmp_path / "config", board_url="http://127.0.0.1:9")
    (config / "sources.yaml").write_text("sources: []\n", encoding="utf-8")
    services = Services.load(Settings(config_dir=config, data_dir=tmp_path / "data"))
    pipeline = Pipeline(services)
    pipeline.start()
    try:
        assert pipeline.scheduler.get_job("briefings") is not None
        deadline = datetime.now().timestamp() + 30
        while datetime.now().timestamp() < deadline:
            with services.sessions() as session:
                if read_cursor(session, "briefings.daily") and read_cursor(session, "briefings.weekly"):
                    break
            time_module.sleep(0.2)
        with services.sessions() as session:
            # The first run marks where a new deployment starts: the latest due periods, nothing sent for them.
            now = datetime.now(BEIJING)
            expected = periods.latest_due("daily", services.config.briefings, now).first.toordinal()
            assert read_cursor(session, "briefings.daily") == expected
            assert not session.scalars(select(Delivery).where(Delivery.kind.startswith("briefing-"))).all()
    finally:
        pipeline.stop()
