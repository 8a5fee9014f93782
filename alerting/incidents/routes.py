"""Incidents: the list with deadlines and filters, detail with timeline, and every action on a case.

Who may act is the role (web.access.roles); where is the user's units: an incident outside them is answered as
not found, so its existence does not leak. The actor recorded is the signed-in user, never a name in the body."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Response
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Integer, bindparam, select
from sqlalchemy.orm import Session

from alerting.delivery.models import Delivery
from alerting.incidents import service
from alerting.incidents.models import ClockStepRow, Incident, IncidentMention, IncidentTask, Stage, TimelineEntry
from alerting.incidents.schemas import (
    AssigneeOut,
    AssignIn,
    Body,
    CloseIn,
    IncidentDetailOut,
    IncidentOut,
    NoteIn,
    OpinionsIn,
    ReportIn,
    clock_payload,
    delivery_payload,
    incident_detail_json,
    incident_list_json,
    incident_payload,
    task_payload,
    timeline_payload,
)
from config import names
from web.access import service as access
from web.access.deps import Reader, require
from web.access.models import User
from web.access.roles import Perm, Role
from web.access.scope import Principal
from web.params import RowId, aware, invalid
from web.state import WebState, get_web_state, workflow_engine

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"])


Acknowledger = Annotated[Principal, Depends(require(Perm.ACKNOWLEDGE))]
Reporter = Annotated[Principal, Depends(require(Perm.REPORT))]
Closer = Annotated[Principal, Depends(require(Perm.CLOSE))]
TaskDoer = Annotated[Principal, Depends(require(Perm.TASK))]
Advancer = Annotated[Principal, Depends(require(Perm.ADVANCE))]
NoteTaker = Annotated[Principal, Depends(require(Perm.NOTE))]
Assigner = Annotated[Principal, Depends(require(Perm.ASSIGN))]


@router.get("", response_model=list[IncidentOut])
async def list_incidents(
    state: Annotated[WebState, Depends(get_web_state)],
    principal: Reader,
    open_only: bool = False,
    unit: Annotated[str | None, Query(max_length=100)] = None,
    stage: Stage | None = None,
    min_level: Annotated[int | None, Query(ge=1, le=4)] = None,
    assigned_to: Annotated[str | None, Query(max_length=64)] = None,
    since: Annotated[datetime | None, Query(description="discovered at or after (with timezone)")] = None,
    until: Annotated[datetime | None, Query(description="discovered before (with timezone)")] = None,
    breached: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Response:
    aware(since=since, until=until)
    if unit is not None and not principal.sees(unit):
        raise HTTPException(403, f"unit {unit!r} is outside your units")

    def load() -> Response:
        now = state.now()
        with workflow_engine(state).connect() as connection:
            rows = service.list_incident_rows(
                connection,
                open_only=open_only,
                unit=unit,
                units=principal.scope,
                stage=stage.value if stage else None,
                min_level=min_level,
                assigned_to=assigned_to,
                since=since,
                until=until,
                breached=breached,
                limit=limit,
            )
            assigned = sorted({row.assigned_to for row in rows if row.assigned_to})
            shown: dict[str, str] = (
                dict(
                    connection.execute(select(_USER.name, _USER.display_name).where(_USER.name.in_(assigned)))
                    .tuples()
                    .all()
                )
                if assigned
                else {}
            )
        body = incident_list_json(rows, now=now, config=state.config, assignees=shown)
        # The JSON itself: response_model stays for the OpenAPI schema, FastAPI does not validate it again.
        return Response(body, media_type="application/json")

    return await run_in_threadpool(load)


def _detail(state: WebState, incident_id: int, principal: Principal) -> Response:
    """The incident page: six Core reads of the columns it shows (the incident with its assignee's name, then
    timeline, mentions, tasks, clock, deliveries; the tables' own columns, not the ORM's), each statement built
    once (_DETAIL), on an engine connection, written as IncidentDetailOut's JSON (incident_detail_json)."""
    now = state.now()
    key = {"incident_id": incident_id}
    with workflow_engine(state).connect() as connection:
        read = connection.execute  # Core selects: none of Session.execute's ORM handling
        head = read(_DETAIL.head, key).first()
        if head is None or not principal.sees(head.unit):
            raise HTTPException(404, "incident not found")
        timeline = read(_DETAIL.timeline, key).all()
        mention_ids = read(_DETAIL.mentions, key).scalars().all()
        tasks = read(_DETAIL.tasks, key).all()
        clock = read(_DETAIL.clock, key).all()
        deliveries = read(_DETAIL.deliveries, key).all()
    config = state.config
    assignees = {head.assigned_to: head.display_name} if head.display_name is not None else {}
    payload = incident_payload(head, now=now, config=config, assignees=assignees)
    payload.update(
        playbook=head.playbook,
        tasks=[task_payload(t) for t in tasks],
        clock=[clock_payload(c, head) for c in clock],
        explanation=[line for line in head.explanation.splitlines() if line],
        timeline=[timeline_payload(t) for t in timeline],
        mention_ids=list(mention_ids),
        deliveries=[delivery_payload(d, config=config) for d in deliveries],
    )
    return Response(incident_detail_json(payload), media_type="application/json")


class _DetailStatements:
    """The incident page's statements, built once: SQLAlchemy works out a statement object's cache key once,
    so a request only binds its incident id."""

    def __init__(self) -> None:
        incident, user = Incident.__table__.c, User.__table__.c
        timeline, mention = TimelineEntry.__table__.c, IncidentMention.__table__.c
        task, clock, delivery = IncidentTask.__table__.c, ClockStepRow.__table__.c, Delivery.__table__.c
        incident_id = bindparam("incident_id", type_=Integer)
        self.head = (
            select(*service.LIST_COLUMNS, incident.playbook, incident.explanation, user.display_name)
            .select_from(Incident.__table__.outerjoin(User.__table__, user.name == incident.assigned_to))
            .where(incident.id == incident_id)
        )
        self.timeline = (
            select(timeline.at, timeline.actor, timeline.action, timeline.detail)
            .where(timeline.incident_id == incident_id)
            .order_by(timeline.id)
        )
        self.mentions = select(mention.mention_id).where(mention.incident_id == incident_id).order_by(mention.id)
        self.tasks = (
            select(task.id, task.stage, task.title, task.role, task.due_at, task.done_at, task.done_by)
            .where(task.incident_id == incident_id)
            .order_by(task.id)
        )
        self.clock = (
            select(clock.step, clock.kind, clock.audience, clock.unless, clock.due_at, clock.fired_at, clock.outcome)
            .where(clock.incident_id == incident_id)
            .order_by(clock.due_at, clock.id)
        )
        self.deliveries = (
            select(
                delivery.id,
                delivery.kind,
                delivery.recipient,
                delivery.status,
                delivery.attempts,
                delivery.sent_at,
                delivery.sent_channel,
                delivery.last_error,
            )
            .where(delivery.incident_id == incident_id)
            .order_by(delivery.id)
        )


_DETAIL = _DetailStatements()
_USER = User.__table__.c


@router.get("/{incident_id}", response_model=IncidentDetailOut)
async def get_incident(
    incident_id: RowId, state: Annotated[WebState, Depends(get_web_state)], principal: Reader
) -> Response:
    return await run_in_threadpool(_detail, state, incident_id, principal)


def _act(
    state: WebState, incident_id: int, principal: Principal, change: Callable[[Session, datetime], object]
) -> Response:
    """Apply one service call in its own transaction and return the incident as it now is. A refusal of the
    service (a typed IncidentError) rolls the transaction back and is answered by api/errors.py."""
    with state.sessions.begin() as session:
        incident = service.get_incident(session, incident_id=incident_id)
        if incident is None or not principal.sees(incident.unit):
            raise HTTPException(404, "incident not found")
        change(session, state.now())
    return _detail(state, incident_id, principal)


@router.post("/{incident_id}/acknowledge", response_model=IncidentDetailOut)
async def acknowledge(
    incident_id: RowId,
    state: Annotated[WebState, Depends(get_web_state)],
    principal: Acknowledger,
    body: Body | None = None,
) -> Response:
    def change(session: Session, now: datetime) -> object:
        return service.acknowledge(session, incident_id=incident_id, actor=principal.actor, now=now)

    return await run_in_threadpool(_act, state, incident_id, principal, change)


@router.post("/{incident_id}/report", response_model=IncidentDetailOut)
async def record_report(
    incident_id: RowId,
    body: ReportIn,
    state: Annotated[WebState, Depends(get_web_state)],
    principal: Reporter,
) -> Response:
    def change(session: Session, now: datetime) -> object:
        return service.record_report(
            session,
            incident_id=incident_id,
            actor=principal.actor,
            reported_to=body.reported_to,
            channel=body.channel,
            summary=body.summary,
            now=now,
        )

    return await run_in_threadpool(_act, state, incident_id, principal, change)


@router.post("/{incident_id}/close", response_model=IncidentDetailOut)
async def close(
    incident_id: RowId,
    body: CloseIn,
    state: Annotated[WebState, Depends(get_web_state)],
    principal: Closer,
) -> Response:
    def change(session: Session, now: datetime) -> object:
        return service.close_incident(
            session,
            incident_id=incident_id,
            actor=principal.actor,
            summary=body.summary,
            no_report_reason=body.no_report_reason,
            now=now,
        )

    return await run_in_threadpool(_act, state, incident_id, principal, change)


@router.post("/{incident_id}/opinions", response_model=IncidentDetailOut)
async def set_opinions(
    incident_id: RowId,
    body: OpinionsIn,
    state: Annotated[WebState, Depends(get_web_state)],
    principal: Reporter,
) -> Response:
    """The secretary's 研判意见 and 处置建议, printed in the 舆情专报 sent up (on the timeline, audited)."""

    def change(session: Session, now: datetime) -> object:
        return service.set_opinions(
            session,
            incident_id=incident_id,
            actor=principal.actor,
            now=now,
            assessment=body.assessment,
            advice=body.advice,
        )

    return await run_in_threadpool(_act, state, incident_id, principal, change)


@router.post("/{incident_id}/tasks/{task_id}/done", response_model=IncidentDetailOut)
async def complete_task(
    incident_id: RowId,
    task_id: RowId,
    state: Annotated[WebState, Depends(get_web_state)],
    principal: TaskDoer,
    body: Body | None = None,
) -> Response:
    def change(session: Session, now: datetime) -> object:
        task = session.get(IncidentTask, task_id)
        # A commentator ticks off the commentators' tasks; the secretary's tasks are the secretary's.
        if task is not None and principal.role == Role.COMMENTATOR and task.role != Role.COMMENTATOR.value:
            raise HTTPException(403, f"this task is for the role {task.role}")
        return service.complete_task(session, incident_id=incident_id, task_id=task_id, actor=principal.actor, now=now)

    return await run_in_threadpool(_act, state, incident_id, principal, change)


@router.post("/{incident_id}/advance", response_model=IncidentDetailOut)
async def advance(
    incident_id: RowId,
    state: Annotated[WebState, Depends(get_web_state)],
    principal: Advancer,
    body: Body | None = None,
) -> Response:
    def change(session: Session, now: datetime) -> object:
        return service.advance_stage(session, incident_id=incident_id, actor=principal.actor, now=now)

    return await run_in_threadpool(_act, state, incident_id, principal, change)


@router.post("/{incident_id}/notes", response_model=IncidentDetailOut)
async def add_note(
    incident_id: RowId,
    body: NoteIn,
    state: Annotated[WebState, Depends(get_web_state)],
    principal: NoteTaker,
) -> Response:
    def change(session: Session, now: datetime) -> object:
        return service.add_note(session, incident_id=incident_id, text=body.text, actor=principal.actor, now=now)

    return await run_in_threadpool(_act, state, incident_id, principal, change)


@router.get("/{incident_id}/assignees", response_model=list[AssigneeOut])
async def assignees(
    incident_id: RowId,
    state: Annotated[WebState, Depends(get_web_state)],
    principal: Assigner,
) -> list[AssigneeOut]:
    """The active users who may be given this case (they see its unit and may work on it): the same test the
    assignment itself applies, so the list offers nobody it would refuse."""

    def load() -> list[AssigneeOut]:
        with state.sessions() as session:
            incident = service.get_incident(session, incident_id=incident_id)
            if incident is None or not principal.sees(incident.unit):
                raise HTTPException(404, "incident not found")
            out = []
            for user in access.list_users(session):
                if user.disabled_at is not None:
                    continue
                person = access.principal_of(user, config=state.config, via="token")
                if not person.sees(incident.unit) or not person.can(Perm.NOTE):
                    continue
                out.append(
                    AssigneeOut(
                        name=user.name,
                        display_name=user.display_name,
                        role_name=Role(user.role).zh,
                        unit_name=names.unit_name(state.config, user.unit) if user.unit else "全部单位",
                    )
                )
            return out

    return await run_in_threadpool(load)


@router.post("/{incident_id}/assign", response_model=IncidentDetailOut)
async def assign(
    incident_id: RowId,
    body: AssignIn,
    state: Annotated[WebState, Depends(get_web_state)],
    principal: Assigner,
) -> Response:
    def change(session: Session, now: datetime) -> object:
        if body.user is not None:
            user = access.get_user(session, name=body.user)
            incident = service.get_incident(session, incident_id=incident_id)
            assert incident is not None  # _act checked it
            if user is None or user.disabled_at is not None:
                raise invalid(("body", "user"), f"no active user {body.user!r}", zh=f"没有名为“{body.user}”的在用账号")
            assignee = access.principal_of(user, config=state.config, via="token")
            if not assignee.sees(incident.unit) or not assignee.can(Perm.NOTE):
                raise invalid(
                    ("body", "user"),
                    f"user {body.user!r} cannot handle cases of this unit",
                    zh=f"账号“{body.user}”不能处理该单位的事件",
                )
            return service.assign(
                session,
                incident_id=incident_id,
                assignee=body.user,
                assignee_name=user.display_name,
                actor=principal.actor,
                now=now,
            )
        return service.assign(session, incident_id=incident_id, assignee=None, actor=principal.actor, now=now)

    return await run_in_threadpool(_act, state, incident_id, principal, change)
