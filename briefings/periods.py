"""Briefing periods in Beijing time: a day, a week, or any span of whole days, with when each falls due."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from config import BriefingSettings
from config.models import BEIJING

Kind = Literal["daily", "weekly", "analysis"]
KIND_ZH = {"daily": "舆情日报", "weekly": "舆情周报", "analysis": "舆情分析研判报告"}


@dataclass(frozen=True)
class Period:
    """Beijing days [first, end): `end` is the day after the last one covered."""

    kind: Kind
    first: date
    end: date

    def __post_init__(self) -> None:
        if self.end <= self.first:
            raise ValueError("a period needs at least one day")
        if (self.end - self.first).days > 366:
            raise ValueError("a period covers at most 366 days")

    @property
    def since(self) -> datetime:
        return _beijing_midnight(self.first)

    @property
    def until(self) -> datetime:
        return _beijing_midnight(self.end)

    @property
    def days(self) -> int:
        return (self.end - self.first).days

    @property
    def last(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def label(self) -> str:
        """How the period reads in Chinese: 2026年11月29日, or 2026年11月23日至11月29日."""
        if self.days == 1:
            return f"{self.first.year}年{self.first.month}月{self.first.day}日"
        last = self.last
        tail = (
            f"{last.month}月{last.day}日"
            if last.year == self.first.year
            else f"{last.year}年{last.month}月{last.day}日"
        )
        return f"{self.first.year}年{self.first.month}月{self.first.day}日至{tail}"

    @property
    def key(self) -> str:
        """Names the period in delivery kinds and file names: daily@20261129."""
        return f"{self.kind}@{self.first:%Y%m%d}"

    def previous(self) -> Period:
        """The period of the same length just before, for the change against it (环比)."""
        return Period(self.kind, self.first - timedelta(days=self.days), self.first)


def _beijing_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=BEIJING).astimezone(UTC)


def beijing_date(at: datetime) -> date:
    return at.astimezone(BEIJING).date()


def daily(day: date) -> Period:
    return Period("daily", day, day + timedelta(days=1))


def weekly(first: date) -> Period:
    return Period("weekly", first, first + timedelta(days=7))


def analysis(first: date, end: date) -> Period:
    return Period("analysis", first, end)


def due_at(period: Period, settings: BriefingSettings) -> datetime:
    """When a scheduled briefing goes out: the daily one the next day at `daily_at`, the weekly one on the day
    after its last day (a `weekly_on` weekday) at `weekly_at`."""
    at = settings.daily_at if period.kind == "daily" else settings.weekly_at
    return datetime.combine(period.end, at, tzinfo=BEIJING).astimezone(UTC)


def this_week(settings: BriefingSettings, now: datetime) -> Period:
    """The week `now` is in (Beijing), as the schedule counts weeks: from the last `weekly_on` weekday (today
    included) for seven days — the week whose scheduled 周报 goes out next."""
    today = beijing_date(now)
    return weekly(today - timedelta(days=(today.isoweekday() - settings.weekly_on) % 7))


def latest_due(kind: Literal["daily", "weekly"], settings: BriefingSettings, now: datetime) -> Period:
    """The most recent scheduled period whose briefing is due at `now`."""
    today = beijing_date(now)
    if kind == "daily":
        period = daily(today - timedelta(days=1))
        return period if due_at(period, settings) <= now else daily(today - timedelta(days=2))
    # The week ends the day before the most recent `weekly_on` weekday (today included).
    back = (today.isoweekday() - settings.weekly_on) % 7
    period = weekly(today - timedelta(days=back + 7))
    return period if due_at(period, settings) <= now else weekly(period.first - timedelta(days=7))


def due_since(
    kind: Literal["daily", "weekly"], settings: BriefingSettings, *, after: date | None, now: datetime
) -> list[Period]:
    """Scheduled periods due at `now` that start after `after` (the last one sent), oldest first: the latest
    always, earlier ones missed while the service was down only if they fell due within `catch_up_days`.
    With nothing sent yet: none — a new deployment starts with the next period instead of reporting on days
    it did not watch."""
    if after is None:
        return []
    step = timedelta(days=1 if kind == "daily" else 7)
    horizon = now - timedelta(days=settings.catch_up_days)
    latest = latest_due(kind, settings, now)
    periods: list[Period] = []
    period = latest
    while period.first > after:
        if period == latest or due_at(period, settings) >= horizon:
            periods.append(period)
        period = Period(kind, period.first - step, period.end - step)
    return list(reversed(periods))


def missed(kind: Literal["daily", "weekly"], *, after: date, latest: Period) -> int:
    """How many periods after `after` up to and including `latest`."""
    return max(0, (latest.first - after).days // (1 if kind == "daily" else 7))
