"""Times in the embedded store: integer microseconds since the Unix epoch, UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def us(at: datetime) -> int:
    """Exact integer microseconds (no float rounding), so a stored time reads back equal."""
    if at.tzinfo is None:
        raise ValueError("naive datetime given to the mention store; use a timezone-aware one")
    return (at - _EPOCH) // _MICROSECOND


def us_or_none(at: datetime | None) -> int | None:
    return None if at is None else us(at)


def dt(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


def dt_or_none(micros: int | None) -> datetime | None:
    return None if micros is None else dt(micros)
