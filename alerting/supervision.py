"""Supervision (督查考核): per unit and period, how fast cases were acknowledged, reported and closed, and
how many were reported within their window."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerting.incidents.models import Incident


def report_in_time(incident: Incident, now: datetime) -> bool | None:
    """Was the report to the propaganda department made within the window? None while the window is still open
    and nothing was reported: such a case counts neither for nor against."""
    if incident.reported_at is not None:
        return incident.reported_at <= incident.report_due_at
    return False if now > incident.report_due_at else None


def in_time_share(verdicts: Iterable[bool | None]) -> float | None:
    """按时报告率: reported in time over the cases decided (reported, or past their window) — the one formula
    for the briefing's headline, its per-unit table and the supervision API."""
    decided = [v for v in verdicts if v is not None]
    return sum(decided) / len(decided) if decided else None


@dataclass(frozen=True)
class UnitRecord:
    unit: str | None
    cases: int
    acknowledged: int
    reported: int
    reported_in_time: int
    breaches: int
    closed: int
    median_minutes_to_acknowledge: float | None
    median_minutes_to_report: float | None
    median_minutes_to_close: float | None
    decided: int = 0  # reported, or past the window: the cases the in-time share is over

    @property
    def share_reported_in_time(self) -> float | None:
        return self.reported_in_time / self.decided if self.decided else None


def _median_minutes(starts_and_ends: list[tuple[datetime, datetime | None]]) -> float | None:
    spans = [(end - start).total_seconds() / 60 for start, end in starts_and_ends if end is not None]
    return round(statistics.median(spans), 1) if spans else None


def supervision(
    session: Session, *, since: datetime, until: datetime, unit: str | None = None, now: datetime | None = None
) -> list[UnitRecord]:
    """Cases discovered in [since, until), grouped by unit, worst compliance first."""
    now = now or datetime.now(UTC)
    query = select(Incident).where(Incident.discovered_at >= since, Incident.discovered_at < until)
    if unit is not None:
        query = query.where(Incident.unit == unit)
    by_unit: dict[str | None, list[Incident]] = {}
    for incident in session.scalars(query):
        by_unit.setdefault(incident.unit, []).append(incident)
    records = []
    for unit_id, cases in by_unit.items():
        records.append(
            UnitRecord(
                unit=unit_id,
                cases=len(cases),
                acknowledged=sum(1 for c in cases if c.acknowledged_at),
                reported=sum(1 for c in cases if c.reported_at),
                reported_in_time=sum(1 for c in cases if report_in_time(c, now)),
                decided=sum(1 for c in cases if report_in_time(c, now) is not None),
                breaches=sum(1 for c in cases if c.breached_at),
                closed=sum(1 for c in cases if c.closed_at),
                median_minutes_to_acknowledge=_median_minutes([(c.discovered_at, c.acknowledged_at) for c in cases]),
                median_minutes_to_report=_median_minutes([(c.discovered_at, c.reported_at) for c in cases]),
                median_minutes_to_close=_median_minutes([(c.discovered_at, c.closed_at) for c in cases]),
            )
        )
    return sorted(records, key=lambda r: (r.share_reported_in_time or 0.0, -r.cases))
