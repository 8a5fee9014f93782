"""The service's own health: what `/healthz` and `yuqing health` report, and what the operations tick raises as an
operations alert. Each finding says in Chinese what is wrong; "failing" means the service cannot do its job
(a store unreadable, the disk full), "degraded" that it does it late or partly (a backlog, failing sources, a
stale scheduler, a stuck outbox).

Service alerts use the source alerts' table under the pseudo-source "service" (one open alert per kind), and go to
the operators through the same outbox, with an audit entry, as the sources' operations alerts.
"""

from __future__ import annotations

import json
import logging
import shutil
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from alerting.delivery.models import Delivery, DeliveryStatus
from alerting.operations import queue_operations_notice
from config import Config
from config.names import beijing_minute as beijing
from sources.alerts import SourceAlert
from sources.health import SourceHealth
from store.mentions import MentionSearch
from store.workflow.audit import record_audit

log = logging.getLogger(__name__)

SERVICE = "service"  # the pseudo-source of service alerts in source_alerts
MIN_FREE_BYTES = 200 * 1024 * 1024  # below this the data directory is as good as full
BACKLOG_MINUTES = 15.0  # a post waiting longer than this for analysis: analysis is falling behind
OUTBOX_MINUTES = 10.0  # a notification due this long ago and still not sent: the outbox is stuck
KIND_NAMES = {
    "workflow": "工作流数据库异常",
    "store": "舆情库异常",
    "disk": "磁盘空间不足",
    "backlog": "分析积压",
    "sources": "信息源抓取失败",
    "heartbeat": "调度器心跳超时",
    "outbox": "通知发送积压",
}
Severity = Literal["degraded", "failing"]
DAMAGE_CHECK_SECONDS = 600.0  # a store file is checked page by page at most this often
_DAMAGE_CHECKED: dict[Path, tuple[float, str | None]] = {}


@dataclass(frozen=True)
class Problem:
    kind: str
    severity: Severity
    reason: str  # Chinese, for operators


@dataclass
class Health:
    problems: list[Problem] = field(default_factory=list)
    mentions: int | None = None
    backlog: int | None = None

    @property
    def status(self) -> str:
        if any(p.severity == "failing" for p in self.problems):
            return "failing"
        return "degraded" if self.problems else "ok"

    def add(self, kind: str, severity: Severity, reason: str) -> None:
        self.problems.append(Problem(kind, severity, reason))


def assess(
    *,
    sessions: sessionmaker[Session],
    mentions: MentionSearch | Callable[[], MentionSearch],
    config: Config,
    data_dir: Path | None,
    heartbeat_limit_seconds: float | None,
    now: datetime,
) -> Health:
    """Everything that can make the service blind or late, checked now. Never raises. `mentions` may be a function
    opening the store (a store that cannot even be opened is a finding, not an error)."""
    health = Health()
    workflow_ok = _check_workflow(health, sessions)
    _check_mentions(health, mentions, now=now)
    if data_dir is not None:
        _check_disk(health, data_dir)
        if heartbeat_limit_seconds is not None:
            _check_heartbeat(health, data_dir, heartbeat_limit_seconds)
    if workflow_ok:
        with sessions() as session:
            _check_sources(health, session, config)
            _check_outbox(health, session, now=now)
    return health


def _check_workflow(health: Health, sessions: sessionmaker[Session]) -> bool:
    try:
        with sessions() as session:
            session.execute(text("SELECT 1"))
    except Exception as exc:
        health.add("workflow", "failing", f"工作流数据库无法访问：{_brief(exc)}")
        return False
    return True


def _check_mentions(health: Health, opener: MentionSearch | Callable[[], MentionSearch], *, now: datetime) -> None:
    mentions: MentionSearch | None = None
    try:
        mentions = opener() if callable(opener) else opener
        health.mentions = mentions.count()
        health.backlog = mentions.backlog()
        oldest = mentions.pending_analysis(1)
    except Exception as exc:
        where = getattr(mentions, "path", None)
        health.add("store", "failing", f"舆情库{f'（{where}）' if where else ''}无法读取：{_brief(exc)}")
        return
    path = getattr(mentions, "path", None)
    if isinstance(path, Path):  # the embedded store: a damaged page reads fine until a search or export hits it
        damage = _sqlite_damage(path)
        if damage:
            health.add("store", "failing", f"舆情库文件损坏（{path}）：{damage}")
            return
    if oldest and oldest[0].discovered_at is not None:
        waited = (now - oldest[0].discovered_at) / timedelta(minutes=1)
        if waited >= BACKLOG_MINUTES:
            health.add("backlog", "degraded", f"分析积压 {health.backlog} 条，最早一条已等待 {waited:.0f} 分钟")


def _sqlite_damage(path: Path) -> str | None:
    """PRAGMA quick_check reads every page: on a large store it takes seconds, so its answer is kept a while."""
    checked = _DAMAGE_CHECKED.get(path)
    if checked is not None and time.monotonic() - checked[0] < DAMAGE_CHECK_SECONDS:
        return checked[1]
    damage = _quick_check(path)
    _DAMAGE_CHECKED[path] = (time.monotonic(), damage)
    return damage


def _quick_check(path: Path) -> str | None:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            rows = [r[0] for r in conn.execute("PRAGMA quick_check(3)")]
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return str(exc)
    return None if rows == ["ok"] else "；".join(str(r) for r in rows)


def _check_disk(health: Health, data_dir: Path) -> None:
    probe = data_dir / ".health-probe"
    try:
        free = shutil.disk_usage(data_dir).free
        probe.write_bytes(b"x" * 4096)
        probe.unlink()
    except OSError as exc:
        probe.unlink(missing_ok=True)
        health.add("disk", "failing", f"数据目录 {data_dir} 无法写入：{exc.strerror or exc}")
        return
    if free < MIN_FREE_BYTES:
        health.add("disk", "failing", f"数据目录 {data_dir} 所在磁盘仅剩 {free / 1024 / 1024:.0f} MB 可用")


def _check_heartbeat(health: Health, data_dir: Path, limit: float) -> None:
    """The freshest scheduler heartbeat in the data directory; none at all says nothing (the scheduler may run on
    another machine)."""
    ages = []
    for beat in data_dir.glob("scheduler-*.heartbeat"):
        try:
            ages.append(time.time() - float(json.loads(beat.read_text(encoding="utf-8"))["at"]))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    if ages and min(ages) > limit:
        health.add("heartbeat", "degraded", f"调度器心跳已 {min(ages):.0f} 秒未更新（上限 {limit:.0f} 秒）")


def _check_sources(health: Health, session: Session, config: Config) -> None:
    enabled = [s for s in config.sources if s.enabled]
    rows = {h.source: h for h in session.scalars(select(SourceHealth))}
    failing = [s for s in enabled if (h := rows.get(s.id)) is not None and h.consecutive_failures >= s.failing_after]
    if not failing:
        return
    names = "、".join(f"「{s.name}」" for s in failing[:5]) + (" 等" if len(failing) > 5 else "")
    severity: Severity = "failing" if len(failing) == len(enabled) else "degraded"
    health.add("sources", severity, f"{len(failing)}/{len(enabled)} 个信息源连续抓取失败：{names}")


def _check_outbox(health: Health, session: Session, *, now: datetime) -> None:
    late = now - timedelta(minutes=OUTBOX_MINUTES)
    count, oldest = session.execute(
        select(func.count(), func.min(Delivery.next_attempt_at)).where(
            Delivery.status == DeliveryStatus.PENDING.value, Delivery.next_attempt_at <= late
        )
    ).one()
    if count:
        health.add("outbox", "degraded", f"{count} 条通知逾期未发出，最早一条应于 {beijing(oldest)} 发出")


def _brief(exc: Exception) -> str:
    first = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {first[0][:300]}" if first else type(exc).__name__


def raise_service_alerts(session: Session, config: Config, health: Health, *, now: datetime) -> tuple[int, int]:
    """Open an operations alert for each kind of problem newly found, resolve those gone; (opened, resolved)."""
    open_alerts = {
        a.kind: a
        for a in session.scalars(
            select(SourceAlert).where(SourceAlert.source == SERVICE, SourceAlert.resolved_at.is_(None))
        )
    }
    current: dict[str, Problem] = {}
    for problem in health.problems:
        current.setdefault(problem.kind, problem)
    opened = resolved = 0
    for kind, problem in current.items():
        if kind in open_alerts:
            continue
        alert = SourceAlert(source=SERVICE, kind=kind, opened_at=now, detail=problem.reason)
        session.add(alert)
        session.flush()
        _announce(session, config, alert, opening=True, now=now)
        opened += 1
    for kind, alert in open_alerts.items():
        if kind not in current:
            alert.resolved_at = now
            _announce(session, config, alert, opening=False, now=now)
            resolved += 1
    return opened, resolved


def _announce(session: Session, config: Config, alert: SourceAlert, *, opening: bool, now: datetime) -> None:
    what = KIND_NAMES.get(alert.kind, alert.kind)
    if opening:
        title = f"【运维告警】舆情系统{what}"
        body = f"{title}\n{alert.detail}\n发现时间：{beijing(now)}\n请检查服务状态（yuqing health）。"
    else:
        title = f"【运维恢复】舆情系统已恢复（{what}）"
        body = f"{title}\n告警时间：{beijing(alert.opened_at)}，恢复时间：{beijing(now)}。"
    record_audit(
        session,
        actor="system",
        action="service_alert" if opening else "service_alert_resolved",
        target=f"service:{alert.kind}",
        detail={"kind": alert.kind, "detail": alert.detail},
        at=now,
    )
    channels = config.alerting.operations_channels
    (log.error if opening else log.warning)("%s: %s", title, alert.detail)
    if not channels:
        return
    queue_operations_notice(session, alert, channels, opening=opening, title=title, body=body, now=now)
