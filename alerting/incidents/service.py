"""Incident service functions (keyword-only): open or attach, acknowledge, record the report, close."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Integer, Row, Select, bindparam, select
from sqlalchemy.orm import Session, selectinload

from alerting.delivery.models import Delivery
from alerting.delivery.recipients import Recipient
from alerting.incidents.actors import actor_name
from alerting.incidents.models import Incident, IncidentMention, IncidentTask, Stage, TimelineEntry
from config import Level
from config.names import beijing_minute
from store.mentions import Mention
from store.workflow.audit import record_audit

SYSTEM = "系统"


class IncidentError(Exception):
    """An incident action that cannot be done; the message (Chinese) is shown to the user. Raise one of the
    typed subclasses: callers map the type, never the wording (api/errors.py gives each its HTTP status)."""


class NotFound(IncidentError):
    """The incident, or a task of it, does not exist."""


class Conflict(IncidentError):
    """The incident's state does not allow the step (already reported, closed, report missing...)."""


def _timeline(session: Session, incident: Incident, *, at: datetime, actor: str, action: str, detail: str) -> None:
    session.add(TimelineEntry(incident=incident, at=at, actor=actor, action=action, detail=detail))


def case_key(mention: Mention) -> str:
    analysis = mention.analysis
    return analysis.event_id if analysis and analysis.event_id else mention.id


def open_or_attach(
    session: Session, *, mention: Mention, report_window: timedelta, now: datetime, source_name: str | None = None
) -> tuple[Incident, bool]:
    """One incident per case. Returns (incident, created). A known case gains the mention and maybe a level.
    `source_name` is the source as the timeline names it (the configuration's name)."""
    assert mention.analysis is not None
    key = case_key(mention)
    incident = session.scalar(select(Incident).where(Incident.case_key == key))
    level = mention.analysis.level
    if incident is not None:
        linked = session.scalar(
            select(IncidentMention).where(
                IncidentMention.incident_id == incident.id, IncidentMention.mention_id == mention.id
            )
        )
        if linked is None:
            session.add(IncidentMention(incident=incident, mention_id=mention.id, linked_at=now))
            incident.mention_count += 1
            _timeline(session, incident, at=now, actor=SYSTEM, action="linked", detail=f"关联新帖：{mention.title}")
        if level > incident.level:
            _timeline(
                session,
                incident,
                at=now,
                actor=SYSTEM,
                action="level",
                detail=f"级别升至{Level(level).zh}（原为{Level(incident.level).zh}）",
            )
            incident.level = level
        return incident, False
    incident = Incident(
        case_key=key,
        first_mention_id=mention.id,
        title=mention.title[:500],
        url=mention.url,
        source=mention.source,
        unit=mention.analysis.unit,
        level=level,
        stage=Stage.ANALYSE.value,
        schemes=",".join(mention.analysis.schemes),
        explanation="\n".join(mention.analysis.explanation),
        # The clock starts when the system first discovered the post, not when analysis got to it.
        discovered_at=mention.discovered_at,
        report_due_at=mention.discovered_at + report_window,
        opened_at=now,
        mention_count=1,
    )
    session.add(incident)
    session.add(IncidentMention(incident=incident, mention_id=mention.id, linked_at=now))
    _timeline(
        session,
        incident,
        at=mention.discovered_at,
        actor=SYSTEM,
        action="discovered",
        detail=f"监测：在「{source_name or mention.source}」发现帖子",
    )
    _timeline(
        session,
        incident,
        at=now,
        actor=SYSTEM,
        action="opened",
        detail=f"研判：{Level(level).zh}舆情，须于 {beijing_minute(incident.report_due_at)}（北京时间）前报告宣传部",
    )
    session.flush()
    record_audit(
        session,
        actor=SYSTEM,
        action="incident.open",
        target=f"incident:{incident.id}",
        detail={"mention": mention.id, "level": level},
        at=now,
    )
    return incident, True


def queue_notifications(
    session: Session,
    *,
    incident: Incident,
    kind: str,
    recipients: list[Recipient],
    title: str,
    body: str,
    now: datetime,
    ack_link: Callable[[int, str], str] | None = None,
) -> int:
    """Write one outbox row per recipient; the unique key makes a repeat a no-op. Returns rows added."""
    existing = set(
        session.scalars(select(Delivery.recipient).where(Delivery.incident_id == incident.id, Delivery.kind == kind))
    )
    added = 0
    for recipient in recipients:
        if recipient.key in existing:
            continue
        session.add(
            Delivery(
                incident_id=incident.id,
                kind=kind,
                recipient=recipient.key,
                role=recipient.role,
                unit=recipient.unit,
                channels=",".join(recipient.channels),
                title=title,
                body=_with_ack_link(body, incident, recipient, ack_link),
                next_attempt_at=now,
                created_at=now,
            )
        )
        added += 1
    if not recipients:
        # Nobody to tell is itself an alarm: it shows on the incident and in the audit log.
        _timeline(
            session,
            incident,
            at=now,
            actor=SYSTEM,
            action="undeliverable",
            detail="无人可通知：该单位及上级单位均未配置值班联系人",
        )
        record_audit(session, actor=SYSTEM, action="delivery.no_recipient", target=f"incident:{incident.id}", at=now)
    return added


def _with_ack_link(
    body: str, incident: Incident, recipient: Recipient, ack_link: Callable[[int, str], str] | None
) -> str:
    if ack_link is None or incident.acknowledged_at is not None:
        return body
    return f"{body}\n一键确认收到：{ack_link(incident.id, recipient.key)}"


def get_incident(session: Session, *, incident_id: int) -> Incident | None:
    return session.scalar(
        select(Incident)
        .where(Incident.id == incident_id)
        .options(selectinload(Incident.timeline), selectinload(Incident.mentions))
    )


# What the incident list shows (IncidentOut): read as plain rows of the table's own columns, not ORM objects (a
# hundred of them cost milliseconds a request to build and track) and not through the ORM's statement layer.
_COLUMNS = Incident.__table__.c
LIST_COLUMNS = tuple(
    _COLUMNS[name]
    for name in (
        "id",
        "title",
        "url",
        "source",
        "unit",
        "level",
        "stage",
        "schemes",
        "discovered_at",
        "report_due_at",
        "acknowledged_at",
        "reported_at",
        "breached_at",
        "closed_at",
        "mention_count",
        "assigned_to",
    )
)


def list_incident_rows(
    connection: Connection,
    *,
    open_only: bool = False,
    unit: str | None = None,
    units: frozenset[str] | None = None,
    stage: str | None = None,
    min_level: int | None = None,
    assigned_to: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    breached: bool | None = None,
    limit: int = 100,
) -> Sequence[Row[Any]]:
    """Open incidents nearest deadline first (the duty board); all incidents newest first (history), as rows of
    LIST_COLUMNS. `units` limits to those units (a user's scope); `since`/`until` are on the discovery time."""
    params: dict[str, Any] = {
        "unit": unit or None,
        "units": sorted(units) if units is not None else None,
        "stage": stage or None,
        "min_level": min_level,
        "assigned_to": assigned_to or None,
        "since": since,
        "until": until,
    }
    params = {name: value for name, value in params.items() if value is not None}
    shape = frozenset(params) | ({"breached" if breached else "unbreached"} if breached is not None else set())
    params["limit"] = limit
    # A Core select on a connection: it needs none of Session.execute's ORM handling (~0.3 ms a list).
    return connection.execute(_list_statement(open_only, shape), params).all()


@functools.cache
def _list_statement(open_only: bool, shape: frozenset[str]) -> Select[Any]:
    """The list's statement for one combination of filters, built once: its values are bound parameters, so
    SQLAlchemy's cache key (which it computes once per statement object) is not worked out again per request."""
    query = select(*LIST_COLUMNS)
    if open_only:
        query = query.where(_COLUMNS.stage != Stage.CLOSED.value)
        query = query.order_by(_COLUMNS.report_due_at.asc(), _COLUMNS.id.asc())
    else:
        query = query.order_by(_COLUMNS.report_due_at.desc(), _COLUMNS.id.desc())
    if "unit" in shape:
        query = query.where(_COLUMNS.unit == bindparam("unit"))
    if "units" in shape:
        query = query.where(_COLUMNS.unit.in_(bindparam("units", expanding=True)))
    if "stage" in shape:
        query = query.where(_COLUMNS.stage == bindparam("stage"))
    if "min_level" in shape:
        query = query.where(_COLUMNS.level >= bindparam("min_level"))
    if "assigned_to" in shape:
        query = query.where(_COLUMNS.assigned_to == bindparam("assigned_to"))
    if "since" in shape:
        query = query.where(_COLUMNS.discovered_at >= bindparam("since"))
    if "until" in shape:
        query = query.where(_COLUMNS.discovered_at < bindparam("until"))
    if "breached" in shape:
        query = query.where(_COLUMNS.breached_at.is_not(None))
    if "unbreached" in shape:
        query = query.where(_COLUMNS.breached_at.is_(None))
    return query.limit(bindparam("limit", type_=Integer))


def assign(
    session: Session,
    *,
    incident_id: int,
    assignee: str | None,
    actor: str,
    now: datetime,
    assignee_name: str | None = None,
) -> Incident:
    """Name who handles the case (a user's login name; the timeline shows `assignee_name`), or clear it."""
    incident = _require(session, incident_id)
    if incident.assigned_to == assignee:
        return incident
    incident.assigned_to = assignee
    detail = f"指派给 {assignee_name or assignee}" if assignee else "取消指派"
    _timeline(session, incident, at=now, actor=actor, action="assigned", detail=detail)
    record_audit(
        session,
        actor=actor,
        action="incident.assign",
        target=f"incident:{incident_id}",
        detail={"assignee": assignee},
        at=now,
    )
    return incident


def add_note(session: Session, *, incident_id: int, text: str, actor: str, now: datetime) -> Incident:
    """A note on the timeline: what was done on the board, who was called. Notes are kept on closed cases too."""
    incident = _require(session, incident_id)
    _timeline(session, incident, at=now, actor=actor, action="note", detail=f"备注：{text}")
    record_audit(
        session,
        actor=actor,
        action="incident.note",
        target=f"incident:{incident_id}",
        detail={"chars": len(text)},
        at=now,
    )
    return incident


def acknowledge(session: Session, *, incident_id: int, actor: str, now: datetime) -> Incident:
    incident = _require(session, incident_id)
    if incident.acknowledged_at is None:
        incident.acknowledged_at = now
        _timeline(session, incident, at=now, actor=actor, action="acknowledged", detail="已确认收到")
        record_audit(session, actor=actor, action="incident.acknowledge", target=f"incident:{incident.id}", at=now)
    return incident


def record_report(
    session: Session,
    *,
    incident_id: int,
    actor: str,
    reported_to: str,
    channel: str,
    summary: str,
    now: datetime,
) -> Incident:
    """The report to the propaganda department stops the clock; a late one is kept as a breach."""
    incident = _require(session, incident_id)
    if incident.reported_at is not None:
        raise Conflict("该事件已报告")
    if incident.stage == Stage.CLOSED.value:
        raise Conflict("该事件已结案")
    incident.reported_at = now
    if incident.acknowledged_at is None:
        incident.acknowledged_at = now
    late = now > incident.report_due_at
    if late and incident.breached_at is None:
        incident.breached_at = incident.report_due_at
    incident.stage = Stage.HANDLE.value
    minutes = (now - incident.discovered_at).total_seconds() / 60
    lateness = "，已超时" if late else ""
    detail = (
        f"报送：{actor_name(actor)} 通过{channel}向{reported_to}报告（发现后 {minutes:.1f} 分钟{lateness}）：{summary}"
    )
    _timeline(session, incident, at=now, actor=actor, action="reported", detail=detail)
    record_audit(
        session,
        actor=actor,
        action="incident.report",
        target=f"incident:{incident.id}",
        detail={"to": reported_to, "channel": channel, "late": late, "minutes": round(minutes, 1)},
        at=now,
    )
    # The report stage's first task is the report itself (the playbooks' 30分钟内报告宣传部): recording the
    # report ticks it, so nobody ticks it by hand or leaves it open after reporting.
    report_task = session.scalars(
        select(IncidentTask)
        .where(IncidentTask.incident_id == incident.id, IncidentTask.stage == Stage.REPORT.value)
        .order_by(IncidentTask.position, IncidentTask.id)
        .limit(1)
    ).first()
    if report_task is not None and report_task.done_at is None:
        report_task.done_at = now
        report_task.done_by = actor
        _timeline(session, incident, at=now, actor=actor, action="task", detail=f"完成任务：{report_task.title}")
    return incident


class ReportMissing(Conflict):
    """A 重大 or higher case closed with neither a recorded report nor a written reason."""


def close_incident(
    session: Session,
    *,
    incident_id: int,
    actor: str,
    summary: str,
    now: datetime,
    no_report_reason: str | None = None,
) -> Incident:
    """Close, and tell everyone who got the first alert that the case is resolved. A 重大 or higher case must
    have been reported to the propaganda department; closing it unreported needs a written reason, audited."""
    incident = _require(session, incident_id)
    if incident.stage == Stage.CLOSED.value:
        raise Conflict("该事件已结案")
    reason = (no_report_reason or "").strip()
    unreported = incident.level >= Level.MAJOR and incident.reported_at is None
    if unreported and not reason:
        raise ReportMissing(f"{Level(incident.level).zh}事件尚未记录向宣传部的报告：请先记录报告，或写明未报告的原因")
    incident.stage = Stage.CLOSED.value
    incident.closed_at = now
    _timeline(session, incident, at=now, actor=actor, action="closed", detail=f"结案：{summary}")
    if unreported:
        _timeline(
            session, incident, at=now, actor=actor, action="unreported", detail=f"未报告宣传部即结案，原因：{reason}"
        )
    record_audit(
        session,
        actor=actor,
        action="incident.close",
        target=f"incident:{incident.id}",
        at=now,
        detail={"unreported_reason": reason} if unreported else None,
    )
    alerted = session.scalars(
        select(Delivery).where(Delivery.incident_id == incident.id, Delivery.kind == "alert@0")
    ).all()
    for first in alerted:
        session.add(
            Delivery(
                incident_id=incident.id,
                kind="resolved",
                recipient=first.recipient,
                role=first.role,
                unit=first.unit,
                channels=first.channels,
                title=f"【已结案】{incident.title[:40]}",
                body=f"事件「{incident.title}」已由 {actor_name(actor)} 结案：{summary}",
                next_attempt_at=now,
                created_at=now,
            )
        )
    return incident


# The secretary's own words for the 舆情专报 sent up: kept as timeline entries (history, who and when), the
# latest of each is what the 专报 prints.
OPINIONS = {"assessment": "研判意见", "advice": "处置建议"}


def set_opinions(
    session: Session, *, incident_id: int, actor: str, now: datetime, assessment: str | None, advice: str | None
) -> Incident:
    """Record the 研判意见 and/or 处置建议 (None: unchanged); each change is on the timeline and audited."""
    incident = _require(session, incident_id)
    current = latest_opinions(incident)
    for action, text in (("assessment", assessment), ("advice", advice)):
        if text is None or text.strip() == current.get(action, ("", None))[0]:
            continue
        detail = f"{OPINIONS[action]}：{text.strip()}"
        _timeline(session, incident, at=now, actor=actor, action=action, detail=detail)
        record_audit(
            session,
            actor=actor,
            action=f"incident.{action}",
            target=f"incident:{incident.id}",
            at=now,
            detail={"text": text.strip()},
        )
    return incident


def latest_opinions(incident: Incident) -> dict[str, tuple[str, TimelineEntry]]:
    """action → (text, the entry that set it), for the opinions given so far."""
    found: dict[str, tuple[str, TimelineEntry]] = {}
    for entry in sorted(incident.timeline, key=lambda e: (e.at, e.id or 0)):
        if entry.action in OPINIONS:
            found[entry.action] = (entry.detail.removeprefix(f"{OPINIONS[entry.action]}："), entry)
    return found


def complete_task(session: Session, *, incident_id: int, task_id: int, actor: str, now: datetime) -> IncidentTask:
    task = session.get(IncidentTask, task_id)
    if task is None or task.incident_id != incident_id:
        raise NotFound(f"任务 {task_id} 不存在")
    if task.done_at is None:
        task.done_at = now
        task.done_by = actor
        incident = _require(session, incident_id)
        _timeline(session, incident, at=now, actor=actor, action="task", detail=f"完成任务：{task.title}")
        record_audit(
            session,
            actor=actor,
            action="incident.task",
            target=f"incident:{incident_id}",
            at=now,
            detail={"task": task.title},
        )
    return task


def advance_stage(session: Session, *, incident_id: int, actor: str, now: datetime) -> Incident:
    """Move to the next playbook stage. 报送 is left only by recording the report; 处置 ends by closing."""
    incident = _require(session, incident_id)
    following = Stage(incident.stage).following
    if following is None:
        raise Conflict("处置阶段请填写结案总结后结案" if incident.stage == Stage.HANDLE.value else "该事件已结案")
    if incident.stage == Stage.REPORT.value and incident.reported_at is None:
        raise Conflict("报送阶段须先记录向宣传部的报告")
    previous = Stage(incident.stage).zh
    incident.stage = following.value
    _timeline(session, incident, at=now, actor=actor, action="stage", detail=f"阶段：{previous} → {following.zh}")
    record_audit(
        session,
        actor=actor,
        action="incident.stage",
        target=f"incident:{incident_id}",
        at=now,
        detail={"stage": following.value},
    )
    return incident


def tasks_of(session: Session, *, incident_id: int) -> list[IncidentTask]:
    return list(
        session.scalars(select(IncidentTask).where(IncidentTask.incident_id == incident_id).order_by(IncidentTask.id))
    )


def _require(session: Session, incident_id: int) -> Incident:
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise NotFound(f"事件 {incident_id} 不存在")
    return incident
