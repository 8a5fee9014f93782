"""Names for ids: the units a user sees, the sources, and the effective monitoring schemes (schemes.yaml with
the API's edits), so every role's dashboard can label filters, charts and "why flagged" in words. Listing the
schemes' full definitions stays with schemes.read (api/routes/schemes.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from analysis import scheme_store
from api.state import ApiState, get_state
from web.access.deps import Reader

router = APIRouter(prefix="/api/v1/labels", tags=["labels"])


class UnitLabel(BaseModel):
    id: str
    name: str
    parent: str | None


class Label(BaseModel):
    id: str
    name: str


class LabelsOut(BaseModel):
    units: list[UnitLabel]
    sources: list[Label]
    schemes: list[Label]


@router.get("", response_model=LabelsOut)
async def labels(state: Annotated[ApiState, Depends(get_state)], principal: Reader) -> LabelsOut:
    def load() -> LabelsOut:
        with state.sessions() as session:
            schemes = scheme_store.effective_schemes(state.config.schemes, scheme_store.overrides(session))
        return LabelsOut(
            units=[
                UnitLabel(id=u.id, name=u.name, parent=u.parent) for u in state.config.units if principal.sees(u.id)
            ],
            sources=[Label(id=s.id, name=s.name) for s in state.config.sources],
            schemes=[Label(id=s.id, name=s.name) for s in schemes],
        )

    return await run_in_threadpool(load)
