"""Scheduled briefings: each due daily and weekly briefing is generated once, archived as HTML, and queued in
the delivery outbox for the configured units' duty contacts (the alerting tick sends it through Apprise).

A cursor per kind names the last period sent; it moves in the same transaction as the outbox rows, so a
restart neither loses a briefing nor sends one twice, and briefings missed while the service was down go out
on the next tick (within `catch_up_days`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Literal
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alerting.delivery.models import Delivery
from alerting.delivery.recipients import Recipient
from briefings.figures import PeriodFigures
from briefings.periods import KIND_ZH, Period, due_since, latest_due, missed
from briefings.render import period_html
from briefings.service import figures_for
from config import Config
from store.mentions import MentionSearch
from store.workflow.cursors import read_cursor, write_cursor

log = logging.getLogger(__name__)
CURSORS = {"daily": "briefings.daily", "weekly": "briefings.weekly"}  # the first day of the last period sent
ScheduledKind = Literal["daily", "weekly"]


def delivery_kind(period: Period) -> str:
    return f"briefing-{period.kind}@{period.first:%Y%m%d}"


def recipients(config: Config, *, unit_id: str, roles: list[str]) -> list[Recipient]:
    """Every duty contact of the unit with one of the roles (a briefing is not urgent: no roster)."""
    unit = config.unit(unit_id)
    return [Recipient(unit.id, c.name, c.role, tuple(c.channels)) for c in unit.duty if c.role in roles]


def link(base_url: str, period: Period, unit_id: str, fmt: str = "html") -> str:
    params = {"start" if period.kind == "weekly" else "date": period.first.isoformat(), "unit": unit_id}
    if fmt != "html":
        params["format"] = fmt
    return f"{base_url}/api/v1/briefings/{period.kind}?{urlencode(params)}"


def message(figures: PeriodFigures, *, base_url: str) -> tuple[str, str]:
    period, scope = figures.period, figures.scope
    assert scope.unit_id is not None
    title = f"【{KIND_ZH[period.kind]}】{scope.name} {period.label}"
    lines = [*figures.findings]
    lines.append(f"全文：{link(base_url, period, scope.unit_id)}")
    lines.append(f"PDF：{link(base_url, period, scope.unit_id, 'pdf')}")
    return title, "\n".join(lines)


@dataclass(frozen=True)
class _Prepared:
    unit_id: str
    roles: list[str]
    title: str
    body: str


def briefing_tick(
    store: MentionSearch,
    sessions: sessionmaker[Session],
    config: Config,
    *,
    base_url: str,
    archive_dir: Path,
    now: datetime,
) -> int:
    """Queue every briefing due at `now`. Returns how many messages were queued. Safe to run at any time."""
    queued = 0
    for kind in ("daily", "weekly"):
        queued += _tick_kind(kind, store, sessions, config, base_url=base_url, archive_dir=archive_dir, now=now)
    return queued


def _tick_kind(
    kind: ScheduledKind,
    store: MentionSearch,
    sessions: sessionmaker[Session],
    config: Config,
    *,
    base_url: str,
    archive_dir: Path,
    now: datetime,
) -> int:
    settings = config.briefings
    latest = latest_due(kind, settings, now)
    with sessions() as session:
        last = read_cursor(session, CURSORS[kind])
    if last >= latest.first.toordinal():
        return 0
    queued = 0
    due = due_since(kind, settings, after=date.fromordinal(last) if last else None, now=now)
    for period in due:
        # Generate outside the write transaction: reading the stores can take a while.
        prepared = _prepare(period, store, sessions, config, base_url=base_url, archive_dir=archive_dir, now=now)
        with sessions.begin() as session:
            if read_cursor(session, CURSORS[kind]) >= period.first.toordinal():
                continue  # already queued (another tick got there first)
            queued += _queue(session, config, period, prepared, now=now)
            write_cursor(session, CURSORS[kind], period.first.toordinal())
        log.info("简报 %s 已排队发送给 %d 个单位", period.key, len(prepared))
    if last and len(due) < missed(kind, after=date.fromordinal(last), latest=latest):
        log.warning("%s 之前有%s到期已超过 catch_up_days：不再补发", latest.first, KIND_ZH.get(kind, kind))
    with sessions.begin() as session:
        # A new deployment starts from the latest period.
        if read_cursor(session, CURSORS[kind]) < latest.first.toordinal():
            write_cursor(session, CURSORS[kind], latest.first.toordinal())
    return queued


def _prepare(
    period: Period,
    store: MentionSearch,
    sessions: sessionmaker[Session],
    config: Config,
    *,
    base_url: str,
    archive_dir: Path,
    now: datetime,
) -> list[_Prepared]:
    out: list[_Prepared] = []
    for audience in config.briefings.send:
        if period.kind not in audience.kinds:
            continue
        figures = figures_for(store, sessions, config, period=period, unit_id=audience.unit, now=now)
        archive_dir.mkdir(parents=True, exist_ok=True)
        # The briefing as it was sent: later analysis may change the live figures, not this record.
        (archive_dir / f"{period.kind}-{period.first:%Y%m%d}-{audience.unit}.html").write_text(
            period_html(figures), encoding="utf-8"
        )
        title, body = message(figures, base_url=base_url)
        out.append(_Prepared(audience.unit, list(audience.roles), title, body))
    return out


def _queue(session: Session, config: Config, period: Period, prepared: list[_Prepared], *, now: datetime) -> int:
    kind = delivery_kind(period)
    existing = set(
        session.scalars(select(Delivery.recipient).where(Delivery.incident_id.is_(None), Delivery.kind == kind))
    )
    added = 0
    for item in prepared:
        for recipient in recipients(config, unit_id=item.unit_id, roles=item.roles):
            if recipient.key in existing:
                continue
            existing.add(recipient.key)
            session.add(
                Delivery(
                    incident_id=None,
                    kind=kind,
                    recipient=recipient.key,
                    role=recipient.role,
                    unit=recipient.unit,
                    channels=",".join(recipient.channels),
                    title=item.title,
                    body=item.body,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
            added += 1
    return added
