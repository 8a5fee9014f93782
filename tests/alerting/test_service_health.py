"""The service's own health (alerting/service_health.py): each way the service goes blind or late is reported with
its reason in Chinese, and raised once as an operations alert to the operators, resolved once when it is gone."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from alerting.delivery.models import Delivery
from alerting.service_health import Health, assess, raise_service_alerts
from sources.health import SourceHealth
from store.mentions import NewMention
from store.mentions.sqlite import SqliteMentionStore

World = Any  # the `world` fixture from conftest.py


def _assess(world: World, data_dir: Path | None = None, *, mentions: Any = None, now: datetime | None = None) -> Health:
    return assess(
        sessions=world.sessions,
        mentions=world.store if mentions is None else mentions,
        config=world.config,
        data_dir=data_dir,
        heartbeat_limit_seconds=25.0,
        now=now or datetime.now(UTC),
    )


def _kinds(health: Health) -> list[tuple[str, str]]:
    return [(p.kind, p.severity) for p in health.problems]


def test_a_quiet_healthy_service_is_ok(world: World, tmp_path: Path) -> None:
    world.post("1", "幸福路积水", "下雨后幸福路积水。")
    health = _assess(world, tmp_path)
    assert health.status == "ok" and health.problems == [] and health.mentions == 1 and health.backlog == 0


def _corrupt(path: Path) -> None:
    """Overwrite pages in the middle of an SQLite file: it still opens, and a count may even answer."""
    with contextlib.closing(sqlite3.connect(path)) as conn:  # the posts into the main file, out of the WAL
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = path.stat().st_size
    with path.open("r+b") as f:
        for offset in range(size // 3, size - 4096, 4096 * 3):
            f.seek(offset)
            f.write(os.urandom(1024))


def test_a_corrupt_mention_store_is_failing(world: World, tmp_path: Path) -> None:
    path = tmp_path / "damaged.sqlite3"
    store = SqliteMentionStore(path)  # open, as the running service holds it, when its file gets damaged
    try:
        posts = [
            NewMention(
                source="demo-baixing", post_id=str(n), url=f"http://b/t/{n}", title=f"帖{n}", content="内容" * 200
            )
            for n in range(600)
        ]
        store.upsert_many(posts)
        _corrupt(path)
        health = _assess(world, tmp_path, mentions=store)
    finally:
        store.close()
    assert _kinds(health) == [("store", "failing")] and health.status == "failing"
    assert "舆情库" in health.problems[0].reason and str(path) in health.problems[0].reason, health.problems


def test_a_store_that_cannot_even_be_opened_is_failing(world: World, tmp_path: Path) -> None:
    path = tmp_path / "garbage.sqlite3"
    path.write_bytes(b"not a database " * 500)
    health = _assess(world, tmp_path, mentions=lambda: SqliteMentionStore(path))
    assert _kinds(health) == [("store", "failing")]
    assert "舆情库无法读取" in health.problems[0].reason and "not a database" in health.problems[0].reason


def test_no_space_left_on_write_is_failing(world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full(self: Path, data: bytes) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))

    monkeypatch.setattr(Path, "write_bytes", full)
    health = _assess(world, tmp_path)
    assert _kinds(health) == [("disk", "failing")]
    assert "无法写入" in health.problems[0].reason and "No space left on device" in health.problems[0].reason


@pytest.fixture
def full_filesystem(tmp_path: Path) -> Iterator[Path]:
    """A real 1 MB tmpfs filled to the last byte (needs root to mount; CI runs as root)."""
    mount = tmp_path / "small"
    mount.mkdir()
    if shutil.which("mount") is None or os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace').strip()}")
    try:
        with contextlib.suppress(OSError), (mount / "filler").open("wb") as f:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_small_filesystem_is_failing(world: World, full_filesystem: Path) -> None:
    health = _assess(world, full_filesystem)
    assert _kinds(health) == [("disk", "failing")]
    assert str(full_filesystem) in health.problems[0].reason


def test_backlog_sources_heartbeat_and_outbox(world: World, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    world.store.upsert_many(
        [NewMention(source="demo-baixing", post_id="9", url="http://b/t/9", title="等分析", content="没人分析")],
        now=now - timedelta(minutes=40),
    )
    with world.sessions.begin() as session:
        session.add(SourceHealth(source="demo-baixing", consecutive_failures=3, last_error="HTTP 500"))
        session.add(
            Delivery(
                incident_id=None,
                kind="alert",
                recipient="contact:x",
                role="duty",
                unit=None,
                channels="inbox-county-duty",
                title="t",
                body="b",
                next_attempt_at=now - timedelta(minutes=30),
                created_at=now - timedelta(minutes=30),
            )
        )
    beat = tmp_path / f"scheduler-{socket.gethostname()}.heartbeat"
    beat.write_text(json.dumps({"role": "leader", "pid": 1, "at": time.time() - 600}), encoding="utf-8")
    health = _assess(world, tmp_path, now=now)
    assert health.status == "degraded"
    assert sorted(_kinds(health)) == [
        ("backlog", "degraded"),
        ("heartbeat", "degraded"),
        ("outbox", "degraded"),
        ("sources", "degraded"),
    ]
    reasons = {p.kind: p.reason for p in health.problems}
    assert reasons["backlog"].startswith("分析积压 1 条，最早一条已等待 40 分钟")
    assert "「百姓呼声（示例）」" in reasons["sources"]
    assert "调度器心跳已 600 秒未更新" in reasons["heartbeat"]
    assert reasons["outbox"].startswith("1 条通知逾期未发出")

    with world.sessions.begin() as session:  # every enabled source failing: the service is blind
        for source in world.config.sources:
            if source.enabled and session.get(SourceHealth, source.id) is None:
                session.add(SourceHealth(source=source.id, consecutive_failures=5))
    assert ("sources", "failing") in _kinds(_assess(world, tmp_path, now=now))


def test_each_problem_is_raised_once_and_resolved_once(world: World, tmp_path: Path) -> None:
    config = world.config
    alerting = config.alerting.model_copy(update={"operations_channels": ["inbox-operations"]})
    world.config = config.model_copy(update={"alerting": alerting})
    now = datetime.now(UTC)
    broken = Health()
    broken.add("disk", "failing", "数据目录 /data 所在磁盘仅剩 3 MB 可用")
    broken.add("outbox", "degraded", "2 条通知逾期未发出")
    for step, (health, expected) in enumerate([(broken, (2, 0)), (broken, (0, 0)), (Health(), (0, 2))]):
        with world.sessions.begin() as session:
            assert raise_service_alerts(session, world.config, health, now=now + timedelta(minutes=step)) == expected
    with world.sessions() as session:
        titles = [d.title for d in session.scalars(select(Delivery).order_by(Delivery.id))]
    assert titles == [
        "【运维告警】舆情系统磁盘空间不足",
        "【运维告警】舆情系统通知发送积压",
        "【运维恢复】舆情系统已恢复（磁盘空间不足）",
        "【运维恢复】舆情系统已恢复（通知发送积压）",
    ]
