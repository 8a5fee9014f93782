"""Operations alerts: a source failing, gone quiet or no longer parsing is raised once to the operators (not to
the units' duty contacts), resolved once when it recovers, and sent through the real outbox and Apprise."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from alerting.delivery.models import Delivery
from alerting.delivery.sender import AppriseSender, deliver_pending
from alerting.operations import check_sources
from config import Channel
from sources.alerts import SourceAlert
from sources.runs import CrawlRun, record_run
from store.workflow.audit import AuditEntry

World = Any  # the `world` fixture from conftest.py
T0 = datetime.fromisoformat("2026-11-30T02:00:00+00:00")


def _run(world: World, at: datetime, *, ok: bool = True, new: int = 0, items: int = 0, parse_failures: int = 0) -> None:
    with world.sessions.begin() as session:
        record_run(
            session,
            CrawlRun(
                source="demo-baixing",
                started_at=at - timedelta(seconds=5),
                finished_at=at,
                ok=ok,
                finish_reason="finished" if ok else "finished: no list page read (1 errors)",
                pages=2 if ok else 0,
                items=items,
                new_items=new,
                errors=0 if ok else 1,
                parse_failures=parse_failures,
            ),
        )


def _check(world: World, now: datetime) -> tuple[int, int]:
    with world.sessions.begin() as session:
        result: tuple[int, int] = check_sources(session, world.config, now=now)
        return result


def _ops_config(world: World, receiver: Any) -> Any:
    channels = [*world.config.channels, Channel(id="ops-im", url=receiver.json_url("/ops"))]
    alerting = world.config.alerting.model_copy(update={"operations_channels": ["ops-im"]})
    return world.config.model_copy(update={"channels": channels, "alerting": alerting})


def test_failing_source_is_raised_once_and_resolved_once(world: World, receiver: Any) -> None:
    world.config = _ops_config(world, receiver)
    _run(world, T0, new=3, items=3)
    assert _check(world, T0) == (0, 0)
    for minutes in (10, 20):
        _run(world, T0 + timedelta(minutes=minutes), ok=False)
    assert _check(world, T0 + timedelta(minutes=21)) == (0, 0)  # two failures: the source allows three
    _run(world, T0 + timedelta(minutes=30), ok=False)
    assert _check(world, T0 + timedelta(minutes=31)) == (1, 0)
    assert _check(world, T0 + timedelta(minutes=32)) == (0, 0)  # still failing: not raised again
    _run(world, T0 + timedelta(minutes=40), new=1, items=1)
    assert _check(world, T0 + timedelta(minutes=41)) == (0, 1)

    sender = AppriseSender(world.config, timeout_seconds=5)
    assert deliver_pending(world.sessions, sender, max_attempts=3, now=T0 + timedelta(minutes=42)) == 2
    got = receiver.wait_for(2, timeout=10)
    assert [m["title"] for m in got] == [
        "【运维告警】信息源「百姓呼声（示例）」连续抓取失败",
        "【运维恢复】信息源「百姓呼声（示例）」已恢复（连续抓取失败）",
    ]
    assert "连续 3 次抓取失败" in got[0]["message"] and "yuqing source try demo-baixing" in got[0]["message"]
    with world.sessions() as session:
        deliveries = session.scalars(select(Delivery)).all()
        assert {d.recipient for d in deliveries} == {"operations"}  # never the units' duty contacts
        actions = [e.action for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
        assert actions == ["source_alert", "source_alert_resolved"]


def test_quiet_and_unparsable_sources(world: World) -> None:
    alerting = world.config.alerting.model_copy(update={"operations_channels": []})
    world.config = world.config.model_copy(update={"alerting": alerting})
    _run(world, T0, new=5, items=5)
    assert _check(world, T0 + timedelta(hours=71)) == (0, 0)  # quiet_after_hours defaults to 72
    _run(world, T0 + timedelta(hours=72), new=0, items=0)
    assert _check(world, T0 + timedelta(hours=72, minutes=1)) == (1, 0)
    _run(world, T0 + timedelta(hours=73), new=0, items=1, parse_failures=9)  # the board was redesigned
    assert _check(world, T0 + timedelta(hours=73, minutes=1)) == (1, 0)
    with world.sessions() as session:
        kinds = {a.kind: a for a in session.scalars(select(SourceAlert).where(SourceAlert.resolved_at.is_(None)))}
        assert set(kinds) == {"quiet", "parsing"}
        assert "已 72 小时没有新帖" in kinds["quiet"].detail and "9 处解析失败（占 90%）" in kinds["parsing"].detail
        # No operations channel configured: recorded and shown with the source's health, nothing queued.
        assert session.scalars(select(Delivery)).all() == []
    _run(world, T0 + timedelta(hours=74), new=2, items=2)
    assert _check(world, T0 + timedelta(hours=74, minutes=1)) == (0, 2)


def test_operations_channel_must_exist(example_config_copy: Any) -> None:
    import pytest

    from config import ConfigError, load_config

    path = example_config_copy / "alerting.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "  operations_channels: [ops-nowhere]\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(example_config_copy)
    assert any(
        i.field == "alerting.operations_channels[0]" and "未知的通知渠道" in i.message for i in caught.value.issues
    )
