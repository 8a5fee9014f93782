"""The incident clock. At opening, a playbook's steps and tasks are written with their due times; a tick fires
every due step exactly once — sent, or skipped because its condition was met — in the same transaction as
the notifications it queues. A restart therefore loses no step and fires none twice."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alerting.delivery.recipients import recipients_for_audience, voice_channels
from alerting.delivery.templates import step_message
from alerting.incidents.models import ClockStepRow, Incident, IncidentTask, TimelineEntry
from alerting.incidents.service import queue_notifications
from alerting.incidents.step_rule import skip_reason
from alerting.playbooks import Playbook, Playbooks
from config import Config
from config.names import audience_names
from store.workflow.audit import record_audit

_UNLESS_ZH = {"acknowledged": "确认", "reported": "报告"}


def step_detail(*, kind: str, minutes: float, unless: str | None, audience: str, call: bool = False) -> str:
    """A fired step as the timeline says it, e.g. 15分钟未确认，升级通知上级单位 (电话通知 when it phones)."""
    who = audience_names(audience)
    after = f"{minutes:g}分钟" + (f"未{_UNLESS_ZH[unless]}" if unless in _UNLESS_ZH else "")
    how = "电话通知" if call else "通知"
    if kind == "escalation":
        return f"{after}，升级{how}{who}"
    if kind == "reminder":
        return f"{after}，{'电话' if call else ''}提醒{who}"
    return f"{after}，{how}{who}"


def plan_incident(session: Session, *, incident: Incident, playbook: Playbook, scale: float = 1.0) -> None:
    """Write the playbook's clock steps and stage tasks for a new incident (flushed, same transaction).

    `scale` < 1 shortens the whole clock, as a sensitive period's shorter report window does."""
    incident.playbook = playbook.id
    for step in playbook.clock:
        at = round(step.at_minutes * scale, 2)
        session.add(
            ClockStepRow(
                incident=incident,
                step=f"{step.kind}@{at:g}",
                kind=step.kind,
                audience=",".join(step.to),
                unless=step.unless,
                due_at=incident.discovered_at + timedelta(minutes=at),
            )
        )
    for stage in playbook.stages:
        for position, title in enumerate(stage.tasks):
            session.add(
                IncidentTask(
                    incident_id=incident.id,
                    stage=stage.id.value,
                    position=position,
                    title=title,
                    role=stage.role,
                    due_at=incident.discovered_at + timedelta(minutes=stage.deadline_minutes * scale),
                )
            )
    session.flush()


def fire_due_steps(
    session: Session,
    *,
    config: Config,
    base_url: str,
    now: datetime,
    incident_id: int | None = None,
    ack_link: Callable[[int, str], str] | None = None,
    playbooks: Playbooks | None = None,
) -> int:
    """Fire every step due by `now` (of one incident, or all). Returns how many were sent. With `playbooks`, a
    step marked `call` phones first."""
    query = (
        select(ClockStepRow)
        .where(ClockStepRow.fired_at.is_(None), ClockStepRow.due_at <= now)
        .order_by(ClockStepRow.due_at, ClockStepRow.id)
        .with_for_update(skip_locked=True)
    )
    if incident_id is not None:
        query = query.where(ClockStepRow.incident_id == incident_id)
    sent = 0
    for row in session.scalars(query).all():
        incident = row.incident
        phones = _phones(session, row, playbooks)
        row.fired_at = now
        reason = skip_reason(incident, row.unless)
        if reason is not None:
            row.outcome = f"skipped: {reason}"
            continue
        recipients = recipients_for_audience(
            config,
            unit_id=incident.unit,
            audience=row.audience.split(","),
            at=now,
            call=phones,
        )
        # The timeline says 电话 only when someone is really phoned first (a contact with a voice channel).
        voice = voice_channels(config) if phones else set()
        phoned = any(r.channels and r.channels[0] in voice for r in recipients)
        if row.kind == "breach":
            incident.breached_at = row.due_at
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
        elif row.kind in {"reminder", "escalation"}:
            session.add(
                TimelineEntry(
                    incident=incident,
                    at=now,
                    actor="系统",
                    action=row.kind,
                    detail=step_detail(
                        kind=row.kind,
                        minutes=(row.due_at - incident.discovered_at).total_seconds() / 60,
                        unless=row.unless,
                        audience=row.audience,
                        call=phoned,
                    ),
                )
            )
        title, body = step_message(config, incident, kind=row.kind, base_url=base_url, now=now)
        queue_notifications(
            session,
            incident=incident,
            kind=row.step,
            recipients=recipients,
            title=title,
            body=body,
            now=now,
            ack_link=ack_link,
        )
        row.outcome = "sent"
        sent += 1
    return sent


def _phones(session: Session, row: ClockStepRow, playbooks: Playbooks | None) -> bool:
    """Whether the playbook step of `row` phones: rows are written in the playbook's clock order."""
    if playbooks is None or row.incident.playbook not in playbooks.by_id:
        return False
    clock = playbooks.get(row.incident.playbook).clock
    ids = list(
        session.scalars(
            select(ClockStepRow.id).where(ClockStepRow.incident_id == row.incident_id).order_by(ClockStepRow.id)
        )
    )
    index = ids.index(row.id)
    return index < len(clock) and clock[index].kind == row.kind and clock[index].call


def clock_tick(
    sessions: sessionmaker[Session],
    config: Config,
    *,
    base_url: str,
    now: datetime,
    ack_link: Callable[[int, str], str] | None = None,
    playbooks: Playbooks | None = None,
) -> int:
    with sessions.begin() as session:
        return fire_due_steps(
            session, config=config, base_url=base_url, now=now, ack_link=ack_link, playbooks=playbooks
        )
