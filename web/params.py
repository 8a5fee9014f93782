"""Clear 422s in FastAPI's own error shape (so every 422 matches the OpenAPI document), and checks on
parameters shared by several routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import HTTPException, Path


def invalid(loc: tuple[str | int, ...], message: str, *, kind: str = "value_error", **extra: Any) -> HTTPException:
    """A 422 whose detail is a list of {loc, msg, type} like FastAPI's validation errors; `extra` adds fields
    (e.g. the position of a query syntax error)."""
    return HTTPException(422, [{"loc": list(loc), "msg": message, "type": kind, **extra}])


def aware(**values: datetime | None) -> None:
    """Times must carry a timezone (Beijing and UTC are both common: a naive time would be a guess)."""
    for name, value in values.items():
        if value is not None and value.tzinfo is None:
            raise invalid(("query", name), f"{name} needs a timezone, e.g. 2026-11-22T08:00:00+08:00")
    present = [v for v in values.values() if v is not None]
    if len(present) == 2 and present[1] <= present[0]:
        names = list(values)
        raise invalid(("query", names[1]), f"{names[1]} must be after {names[0]}")


MAX_ID = 2**31 - 1  # ids are 32-bit on PostgreSQL (and a bigger number would overflow SQLite's integer)
RowId = Annotated[int, Path(ge=1, le=MAX_ID)]
