"""Operations alerts: a source that keeps failing, has gone quiet, or whose pages no longer parse (a board was
redesigned). They go to the service's operators, never to the units' duty contacts: opinion alerts say "people
are complaining"; these say "we may be missing what they say".

One open alert per source and kind; a notice when it opens and when the source recovers, through the same
delivery outbox as every notification (retries, fallback, every attempt recorded).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Integer, String, Text, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from alerting.delivery.models import Delivery
from alerting.delivery.templates import beijing_minute as beijing
from config import Config, Source
from sources.health import CrawlRun, SourceHealth
from store.workflow.audit import record_audit
from store.workflow.db import Base, UtcDateTime

log = logging.getLogger(__name__)

# A run whose share of parse failures is this high, with at least this many, means the selectors broke.
PARSE_FAILURE_SHARE = 0.5
PARSE_FAILURE_MIN = 3
KIND_NAMES = {"failing": "连续抓取失败", "quiet": "长时间无新帖", "parsing": "页面解析大量失败"}


class SourceAlert(Base):
    __tablename__ = "source_alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(100), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # failing, quiet, parsing
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    detail: Mapped[str] = mapped_column(Text, default="")


@dataclass(frozen=True)
class Finding:
    kind: str
    detail: str


def findings_for(session: Session, source: Source, *, now: datetime) -> list[Finding]:
    """What is wrong with `source` now, from its health row and its recorded runs."""
    health = session.get(SourceHealth, source.id)
    if health is None or health.last_run_at is None:
        return []  # never crawled yet: nothing to say
    found: list[Finding] = []
    if health.consecutive_failures >= source.failing_after:
        found.append(
            Finding(
                "failing", f"连续 {health.consecutive_failures} 次抓取失败，最近一次：{health.last_error or '未知'}"
            )
        )
    if source.quiet_after_hours is not None:
        last_new = session.scalar(
            select(func.max(CrawlRun.finished_at)).where(CrawlRun.source == source.id, CrawlRun.new_items > 0)
        )
        since = last_new or session.scalar(select(func.min(CrawlRun.started_at)).where(CrawlRun.source == source.id))
        if since is not None and now - since >= timedelta(hours=source.quiet_after_hours):
            hours = (now - since) / timedelta(hours=1)
            when = f"上次发现新帖：{beijing(last_new)}" if last_new else "从未发现新帖"
            found.append(Finding("quiet", f"已 {hours:.0f} 小时没有新帖（{when}）"))
    last_ok = session.scalars(
        select(CrawlRun).where(CrawlRun.source == source.id, CrawlRun.ok.is_(True)).order_by(CrawlRun.id.desc())
    ).first()
    if last_ok is not None and last_ok.parse_failures >= PARSE_FAILURE_MIN:
        share = last_ok.parse_failures / max(1, last_ok.items + last_ok.parse_failures)
        if share >= PARSE_FAILURE_SHARE:
            found.append(
                Finding(
                    "parsing", f"最近一次抓取 {last_ok.parse_failures} 处解析失败（占 {share:.0%}），页面结构可能已改版"
                )
            )
    return found


def check_sources(session: Session, config: Config, *, now: datetime) -> tuple[int, int]:
    """Open alerts for what is newly wrong, resolve those that are right again; returns (opened, resolved)."""
    open_alerts = {
        (a.source, a.kind): a for a in session.scalars(select(SourceAlert).where(SourceAlert.resolved_at.is_(None)))
    }
    opened = resolved = 0
    for source in config.sources:
        if not source.enabled:
            continue
        current = {f.kind: f for f in findings_for(session, source, now=now)}
        for kind, finding in current.items():
            if (source.id, kind) in open_alerts:
                continue
            alert = SourceAlert(source=source.id, kind=kind, opened_at=now, detail=finding.detail)
            session.add(alert)
            session.flush()
            _announce(session, config, source, alert, opening=True, now=now)
            opened += 1
        for (source_id, kind), alert in open_alerts.items():
            if source_id == source.id and kind not in current:
                alert.resolved_at = now
                _announce(session, config, source, alert, opening=False, now=now)
                resolved += 1
    return opened, resolved


def _announce(
    session: Session, config: Config, source: Source, alert: SourceAlert, *, opening: bool, now: datetime
) -> None:
    """The operators' notice and the audit entry of an alert opening or resolving."""
    _notify(session, config, source, alert, opening=opening, now=now)
    record_audit(
        session,
        actor="system",
        action="source_alert" if opening else "source_alert_resolved",
        target=f"source:{source.id}",
        detail={"kind": alert.kind, "detail": alert.detail},
        at=now,
    )


def _notify(
    session: Session, config: Config, source: Source, alert: SourceAlert, *, opening: bool, now: datetime
) -> None:
    what = KIND_NAMES.get(alert.kind, alert.kind)
    if opening:
        title = f"【运维告警】信息源「{source.name}」{what}"
        body = (
            f"{title}\n{alert.detail}\n发现时间：{beijing(now)}\n"
            f"请检查该信息源的网址、选择器与网络（yuqing source try {source.id}）。"
        )
    else:
        title = f"【运维恢复】信息源「{source.name}」已恢复（{what}）"
        body = f"{title}\n告警时间：{beijing(alert.opened_at)}，恢复时间：{beijing(now)}。"
    channels = config.alerting.operations_channels
    if not channels:
        # Still recorded and shown with the source's health (/api/v1/sources); say so in the log too.
        log.warning("%s（未配置 alerting.operations_channels，无人接收）", title)
        return
    queue_operations_notice(session, alert, channels, opening=opening, title=title, body=body, now=now)


def queue_operations_notice(
    session: Session,
    alert: SourceAlert,
    channels: list[str],
    *,
    opening: bool,
    title: str,
    body: str,
    now: datetime,
) -> None:
    """The operators' notice of an alert opening or resolving, into the outbox (sources and the service alike)."""
    session.add(
        Delivery(
            incident_id=None,
            kind=f"ops-{'open' if opening else 'resolved'}@{alert.id}",
            recipient="operations",
            role="operator",
            unit=None,
            channels=",".join(channels),
            title=title,
            body=body,
            next_attempt_at=now,
            created_at=now,
        )
    )
