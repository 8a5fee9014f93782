"""The report-window clock: a tick compares persisted due times with now, so a restart loses no deadline
and a breach is recorded and notified exactly once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alerting.delivery.recipients import recipients_for
from alerting.delivery.templates import breach_message
from alerting.incidents.models import Incident, Stage, TimelineEntry
from config import Config
from store.workflow.audit import record_audit


def check_deadlines(sessions: sessionmaker[Session], config: Config, *, base_url: str, now: datetime) -> int:
    from alerting.incidents.service import queue_notifications

    breached = 0
    with sessions.begin() as session:
        overdue = session.scalars(
            select(Incident).where(
                Incident.reported_at.is_(None),
                Incident.breached_at.is_(None),
                Incident.stage != Stage.CLOSED.value,
                Incident.report_due_at <= now,
            )
        ).all()
        for incident in overdue:
            incident.breached_at = now
            session.add(
                TimelineEntry(
                    incident=incident,
                    at=now,
                    actor="系统",
                    action="breach",
                    detail="超时：报告时限已过，尚未记录向宣传部的报告",
                )
            )
            record_audit(session, actor="系统", action="incident.breach", target=f"incident:{incident.id}", at=now)
            title, body = breach_message(config, incident, base_url=base_url)
            queue_notifications(
                session,
                incident=incident,
                kind="breach",
                recipients=recipients_for(config, unit_id=incident.unit, level=incident.level),
                title=title,
                body=body,
                now=now,
            )
            breached += 1
    return breached
