"""Checks on query parameters shared by several routes, each failing as a clear 422."""

from __future__ import annotations

from datetime import datetime

from fastapi import HTTPException


def aware(**values: datetime | None) -> None:
    """Times must carry a timezone (Beijing and UTC are both common: a naive time would be a guess)."""
    for name, value in values.items():
        if value is not None and value.tzinfo is None:
            raise HTTPException(422, f"{name} needs a timezone, e.g. 2026-11-22T08:00:00+08:00")
    present = [v for v in values.values() if v is not None]
    if len(present) == 2 and present[1] <= present[0]:
        names = list(values)
        raise HTTPException(422, f"{names[1]} must be after {names[0]}")
