"""Incidents: the list with deadlines, detail with timeline, acknowledge, record the report, close."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from alerting.delivery.models import Delivery
from alerting.incidents import service
from alerting.incidents.models import ClockStepRow
from alerting.incidents.service import IncidentError
from api.schemas import ClockStepOut, DeliveryOut, IncidentDetailOut, IncidentOut, TaskOut, TimelineOut
from api.state import ApiState, get_state

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"])


class ActorIn(BaseModel):
    actor: str = Field(min_length=1, max_length=100)


class ReportIn(ActorIn):
    reported_to: str = Field(default="宣传部", min_length=1, max_length=100)
    channel: str = Field(pattern="^(电话|短信|即时通讯|公文)$", description="电话, 短信, 即时通讯 or 公文")
    summary: str = Field(min_length=1, max_length=2000)


class CloseIn(ActorIn):
    summary: str = Field(min_length=1, max_length=4000)


@router.get("", response_model=list[IncidentOut])
async def list_incidents(
    state: Annotated[ApiState, Depends(get_state)],
    open_only: bool = False,
    unit: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[IncidentOut]:
    def load() -> list[IncidentOut]:
        now = state.now()
        with state.sessions() as session:
            rows = service.list_incidents(session, open_only=open_only, unit=unit, limit=limit)
            return [IncidentOut.of(i, now=now, config=state.config) for i in rows]

    return await run_in_threadpool(load)


def _detail(state: ApiState, incident_id: int) -> IncidentDetailOut:
    now = state.now()
    with state.sessions() as session:
        incident = service.get_incident(session, incident_id=incident_id)
        if incident is None:
            raise HTTPException(404, "incident not found")
        deliveries = session.scalars(
            select(Delivery).where(Delivery.incident_id == incident_id).order_by(Delivery.id)
        ).all()
        base = IncidentOut.of(incident, now=now, config=state.config)
        clock = session.scalars(
            select(ClockStepRow).where(ClockStepRow.incident_id == incident_id).order_by(ClockStepRow.due_at)
        ).all()
        return IncidentDetailOut(
            **base.model_dump(),
            playbook=incident.playbook,
            tasks=[TaskOut.of(t) for t in service.tasks_of(session, incident_id=incident_id)],
            clock=[ClockStepOut.of(c) for c in clock],
            explanation=[line for line in incident.explanation.splitlines() if line],
            timeline=[TimelineOut.of(t) for t in incident.timeline],
            mention_ids=[m.mention_id for m in incident.mentions],
            deliveries=[DeliveryOut.of(d) for d in deliveries],
        )


@router.get("/{incident_id}", response_model=IncidentDetailOut)
async def get_incident(incident_id: int, state: Annotated[ApiState, Depends(get_state)]) -> IncidentDetailOut:
    return await run_in_threadpool(_detail, state, incident_id)


def _act(state: ApiState, incident_id: int, change: Callable[[Session, datetime], object]) -> IncidentDetailOut:
    """Apply one service call in its own transaction and return the incident as it now is."""
    try:
        with state.sessions.begin() as session:
            change(session, state.now())
    except IncidentError as exc:
        status = 404 if "不存在" in str(exc) else 409  # a missing thing, or a step the state does not allow
        raise HTTPException(status, str(exc)) from None
    return _detail(state, incident_id)


@router.post("/{incident_id}/acknowledge", response_model=IncidentDetailOut)
async def acknowledge(
    incident_id: int, body: ActorIn, state: Annotated[ApiState, Depends(get_state)]
) -> IncidentDetailOut:
    def change(session: Session, now: datetime) -> object:
        return service.acknowledge(session, incident_id=incident_id, actor=body.actor, now=now)

    return await run_in_threadpool(_act, state, incident_id, change)


@router.post("/{incident_id}/report", response_model=IncidentDetailOut)
async def record_report(
    incident_id: int, body: ReportIn, state: Annotated[ApiState, Depends(get_state)]
) -> IncidentDetailOut:
    def change(session: Session, now: datetime) -> object:
        return service.record_report(
            session,
            incident_id=incident_id,
            actor=body.actor,
            reported_to=body.reported_to,
            channel=body.channel,
            summary=body.summary,
            now=now,
        )

    return await run_in_threadpool(_act, state, incident_id, change)


@router.post("/{incident_id}/close", response_model=IncidentDetailOut)
async def close(incident_id: int, body: CloseIn, state: Annotated[ApiState, Depends(get_state)]) -> IncidentDetailOut:
    def change(session: Session, now: datetime) -> object:
        return service.close_incident(session, incident_id=incident_id, actor=body.actor, summary=body.summary, now=now)

    return await run_in_threadpool(_act, state, incident_id, change)


@router.post("/{incident_id}/tasks/{task_id}/done", response_model=IncidentDetailOut)
async def complete_task(
    incident_id: int, task_id: int, body: ActorIn, state: Annotated[ApiState, Depends(get_state)]
) -> IncidentDetailOut:
    def change(session: Session, now: datetime) -> object:
        return service.complete_task(session, incident_id=incident_id, task_id=task_id, actor=body.actor, now=now)

    return await run_in_threadpool(_act, state, incident_id, change)


@router.post("/{incident_id}/advance", response_model=IncidentDetailOut)
async def advance(incident_id: int, body: ActorIn, state: Annotated[ApiState, Depends(get_state)]) -> IncidentDetailOut:
    def change(session: Session, now: datetime) -> object:
        return service.advance_stage(session, incident_id=incident_id, actor=body.actor, now=now)

    return await run_in_threadpool(_act, state, incident_id, change)
