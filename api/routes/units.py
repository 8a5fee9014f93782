"""The units a user sees (names for filters and labels on the dashboard)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from api.access.deps import Reader
from api.state import ApiState, get_state

router = APIRouter(prefix="/api/v1/units", tags=["units"])


class UnitOut(BaseModel):
    id: str
    name: str
    parent: str | None


@router.get("", response_model=list[UnitOut])
async def list_units(state: Annotated[ApiState, Depends(get_state)], principal: Reader) -> list[UnitOut]:
    return [UnitOut(id=u.id, name=u.name, parent=u.parent) for u in state.config.units if principal.sees(u.id)]
