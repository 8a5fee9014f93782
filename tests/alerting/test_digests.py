"""Digests: below-incident cases go out as one message per unit and period, never one per post, and wait
out quiet hours; major cases are not in them (they are incidents, never held back)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from alerting.delivery.models import Delivery
from alerting.digests import send_digests
from store.mentions import NewMention

World = Any  # the `world` fixture from conftest.py
BJ = ZoneInfo("Asia/Shanghai")
FEES = [
    ("班主任收取资料费", "城关一中班主任强制收取资料费每人200元。"),
    ("学校补课费", "县教育局：学校有偿补课，收取补课费。"),
]


def _post(world: World, post_id: str, title: str, content: str, at: datetime) -> None:
    world.store.upsert_many(
        [NewMention("demo-baixing", post_id, f"http://b/{post_id}", title, content, unit="county")], now=at
    )
    pending = world.store.pending_analysis(10)
    world.store.save_analysis(
        [(m.id, world.analyser.analyse(title=m.title, content=m.content, default_unit=m.unit)) for m in pending], now=at
    )


def _digests(world: World) -> list[Delivery]:
    with world.sessions() as session:
        return list(session.scalars(select(Delivery).where(Delivery.kind.startswith("digest@")).order_by(Delivery.id)))


def test_one_digest_per_unit_and_period(world: World) -> None:
    morning = datetime(2026, 11, 23, 9, 0, tzinfo=BJ)
    for n in range(5):
        _post(world, f"f{n}", f"{FEES[0][0]}{n}", FEES[0][1], morning)
    _post(world, "g", *FEES[1], morning)
    _post(world, "major", "城关第一中学学生被殴打住院", "城关一中学生被围殴受伤住院。", morning)
    assert send_digests(world.store, world.sessions, world.config, now=morning) > 0
    digests = _digests(world)
    by_unit: dict[str | None, set[str]] = {}
    for d in digests:
        by_unit.setdefault(d.unit, set()).add(d.recipient)
    assert by_unit == {
        "school-no1": {"school-no1:一中党支部书记"},
        "county-edu": {"county-edu:教育局值班员", "county-edu:教育局党委书记"},
    }
    school = next(d for d in digests if d.unit == "school-no1")
    assert school.title == "【舆情汇总】城关第一中学：5 条待关注" and school.body.count("· [较大]") == 5
    assert all("殴打" not in d.body for d in digests)  # the major case is an incident, not digest material
    # Within the period nothing more goes out, whatever arrives.
    _post(world, "h", f"{FEES[0][0]}再次", FEES[0][1], morning + timedelta(minutes=10))
    assert send_digests(world.store, world.sessions, world.config, now=morning + timedelta(minutes=30)) == 0
    # The next period carries only what is new.
    assert send_digests(world.store, world.sessions, world.config, now=morning + timedelta(minutes=61)) == 1
    assert _digests(world)[-1].title == "【舆情汇总】城关第一中学：1 条待关注"


def test_quiet_hours_hold_digests_until_morning(world: World) -> None:
    night = datetime(2026, 11, 23, 23, 30, tzinfo=BJ)
    _post(world, "n1", *FEES[0], night)
    for minutes in (0, 60, 180, 420):  # 23:30, 00:30, 02:30, 06:30: all quiet
        assert send_digests(world.store, world.sessions, world.config, now=night + timedelta(minutes=minutes)) == 0
    assert send_digests(world.store, world.sessions, world.config, now=night + timedelta(minutes=450)) == 1  # 07:00
