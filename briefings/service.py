"""Build a briefing document (HTML or PDF) for a period and unit, or for one incident. Keyword-only service
functions shared by the API, the CLI and the scheduled job."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Literal

from sqlalchemy.orm import Session, sessionmaker

from briefings import periods
from briefings.figures import PeriodFigures, period_figures, scope_of
from briefings.incident_report import incident_figures
from briefings.pdf import html_to_pdf
from briefings.periods import Period
from briefings.render import incident_html, period_html
from config import Config
from store.mentions import MentionSearch

Format = Literal["html", "pdf"]
MEDIA_TYPES = {"html": "text/html; charset=utf-8", "pdf": "application/pdf"}


@dataclass(frozen=True)
class Document:
    filename: str  # ASCII: safe in a Content-Disposition header and on any file system
    media_type: str
    content: bytes
    empty: bool = False  # a period briefing with no post and no incident: worth saying so


def today_so_far(now: datetime) -> Period:
    """The 日报 of today (Beijing), covering what has come in up to now."""
    return periods.daily(periods.beijing_date(now))


def _document(stem: str, html: str, fmt: Format) -> Document:
    content = html_to_pdf(html) if fmt == "pdf" else html.encode("utf-8")
    return Document(f"{stem}.{fmt}", MEDIA_TYPES[fmt], content)


def default_period(kind: periods.Kind, config: Config, now: datetime) -> Period:
    """What a secretary asks for without naming a period (the API, the briefings page and `yuqing briefing`):
    today so far, this week so far, or the last 30 days up to yesterday. The 周报 follows the 日报: on a
    Wednesday 「本周周报」 means Monday to now, not last week — that one the schedule already sent on Monday
    (periods.latest_due), and on a fresh installation it is empty. The document says 截至 when the period is
    still running."""
    if kind == "daily":
        return today_so_far(now)
    if kind == "weekly":
        return periods.this_week(config.briefings, now)
    today = periods.beijing_date(now)
    return periods.analysis(today - timedelta(days=30), today)


def make_period(kind: periods.Kind, first: date, last: date | None = None) -> Period:
    """ValueError for an empty or over-long period."""
    if kind == "daily":
        return periods.daily(first)
    if kind == "weekly":
        return periods.weekly(first)
    if last is None:
        raise ValueError("an analysis report needs its last day")
    return periods.analysis(first, last + timedelta(days=1))


def figures_for(
    store: MentionSearch,
    sessions: sessionmaker[Session],
    config: Config,
    *,
    period: Period,
    unit_id: str | None,
    now: datetime,
) -> PeriodFigures:
    """KeyError for a unit not in the configuration."""
    scope = scope_of(config, unit_id)
    return period_figures(store, sessions, config, period=period, scope=scope, now=now, top=config.briefings.top)


def period_document(
    store: MentionSearch,
    sessions: sessionmaker[Session],
    config: Config,
    *,
    period: Period,
    unit_id: str | None,
    now: datetime,
    fmt: Format,
) -> Document:
    figures = figures_for(store, sessions, config, period=period, unit_id=unit_id, now=now)
    stem = f"briefing-{period.kind}-{period.first:%Y%m%d}"
    if period.kind == "analysis":
        stem += f"-{period.last:%Y%m%d}"
    document = _document(f"{stem}-{unit_id or 'all'}", period_html(figures), fmt)
    return replace(document, empty=figures.total == 0 and not figures.incidents)


def incident_document(
    store: MentionSearch,
    sessions: sessionmaker[Session],
    config: Config,
    *,
    incident_id: int,
    now: datetime,
    fmt: Format,
) -> Document:
    """IncidentNotFound for an unknown incident."""
    figures = incident_figures(store, sessions, config, incident_id=incident_id, now=now)
    return _document(f"incident-report-{incident_id}", incident_html(figures), fmt)
