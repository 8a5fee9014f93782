"""Operations alerts: a source that keeps failing, has gone quiet, or whose pages no longer parse (a board was
redesigned: what counts as each is sources/alerts.py). They go to the service's operators, never to the units'
duty contacts: opinion alerts say "people are complaining"; these say "we may be missing what they say".

One open alert per source and kind; a notice when it opens and when the source recovers, through the same
delivery outbox as every notification (retries, fallback, every attempt recorded).
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerting.delivery.models import Delivery
from config import Config, Source
from config.names import beijing_minute as beijing
from sources.alerts import KIND_NAMES, SourceAlert, findings_for
from store.workflow.audit import record_audit

log = logging.getLogger(__name__)


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
