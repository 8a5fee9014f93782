"""Supervision (督查考核) figures per unit and period."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.concurrency import run_in_threadpool

from alerting.supervision import supervision
from api.schemas import UnitRecordOut
from api.state import ApiState, get_state
from web.access.deps import require
from web.access.roles import Perm
from web.access.scope import Principal
from web.params import aware

router = APIRouter(prefix="/api/v1/supervision", tags=["supervision"])


@router.get("", response_model=list[UnitRecordOut])
async def unit_records(
    state: Annotated[ApiState, Depends(get_state)],
    principal: Annotated[Principal, Depends(require(Perm.SUPERVISION))],
    since: datetime,
    until: datetime,
    unit: Annotated[str | None, Query(max_length=100)] = None,
) -> list[UnitRecordOut]:
    aware(since=since, until=until)
    names = {u.id: u.name for u in state.config.units}

    def load() -> list[UnitRecordOut]:
        with state.sessions() as session:
            return [
                UnitRecordOut(
                    unit_name=names.get(r.unit, r.unit) if r.unit else None,
                    share_reported_in_time=r.share_reported_in_time,
                    **{k: v for k, v in r.__dict__.items()},
                )
                for r in supervision(session, since=since, until=until, unit=unit, now=state.now())
                if principal.sees(r.unit)
            ]

    return await run_in_threadpool(load)
