"""The audit log (督查考核、问责): global admins read all of it; a secretary reads what was done on their units'
incidents; an admin with a unit reads that plus what was done to the users of its units (itself included).
Newest first; page with before_id."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel
from sqlalchemy import String, cast, literal, or_, select

from alerting.incidents.models import Incident
from api.state import ApiState, get_state
from store.workflow.audit import AuditEntry
from web.access.deps import require
from web.access.models import User
from web.access.roles import Perm
from web.access.scope import Principal
from web.params import aware

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


class AuditOut(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    target: str
    detail: dict[str, Any]


def _detail(raw: str) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except ValueError:
        return {"text": raw}
    return value if isinstance(value, dict) else {"value": value}


@router.get("", response_model=list[AuditOut])
async def audit_log(
    state: Annotated[ApiState, Depends(get_state)],
    principal: Annotated[Principal, Depends(require(Perm.AUDIT))],
    since: datetime | None = None,
    until: datetime | None = None,
    actor: Annotated[str | None, Query(max_length=100)] = None,
    action: Annotated[str | None, Query(max_length=100, description="exact, or a prefix ending in '.'")] = None,
    target: Annotated[
        str | None, Query(max_length=200, description="e.g. incident:12, user:li, scheme:canteen")
    ] = None,
    before_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[AuditOut]:
    aware(since=since, until=until)

    def load() -> list[AuditOut]:
        query = select(AuditEntry)
        if principal.scope is not None or not principal.can(Perm.USERS):
            # Only entries about incidents of the user's units — and, for a user manager, about its units' users.
            incidents = select(literal("incident:").concat(cast(Incident.id, String)))
            units = sorted(principal.scope) if principal.scope is not None else None
            if units is not None:
                incidents = incidents.where(Incident.unit.in_(units))
            about = [AuditEntry.target.in_(incidents)]
            if units is not None and principal.can(Perm.USERS):
                about.append(
                    AuditEntry.target.in_(select(literal("user:").concat(User.name)).where(User.unit.in_(units)))
                )
            query = query.where(or_(*about))
        if since is not None:
            query = query.where(AuditEntry.at >= since)
        if until is not None:
            query = query.where(AuditEntry.at < until)
        if actor:
            query = query.where(AuditEntry.actor == actor)
        if action:
            query = query.where(
                AuditEntry.action.startswith(action, autoescape=True)
                if action.endswith(".")
                else AuditEntry.action == action
            )
        if target:
            query = query.where(AuditEntry.target == target)
        if before_id is not None:
            query = query.where(AuditEntry.id < before_id)
        with state.sessions() as session:
            rows = session.scalars(query.order_by(AuditEntry.id.desc()).limit(limit)).all()
            return [
                AuditOut(id=r.id, at=r.at, actor=r.actor, action=r.action, target=r.target, detail=_detail(r.detail))
                for r in rows
            ]

    return await run_in_threadpool(load)
