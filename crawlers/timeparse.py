"""Post times as boards print them: absolute, partial and relative Chinese forms, in the source's timezone."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

_FULL = re.compile(
    r"(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:\s*(?P<H>\d{1,2})\s*[:：时]\s*(?P<M>\d{1,2})(?:\s*[:：分]\s*(?P<S>\d{1,2}))?)?"
)
_MONTH_DAY = re.compile(r"(?P<m>\d{1,2})\s*[-/月]\s*(?P<d>\d{1,2})日?(?:\s*(?P<H>\d{1,2})\s*[:：]\s*(?P<M>\d{1,2}))?")
_AGO = re.compile(r"(?P<n>\d+|半)\s*个?\s*(?P<unit>秒|分钟|小时|天|周|星期)前")
_DAY_WORD = re.compile(r"(?P<word>今天|昨天|前天)\s*(?:(?P<H>\d{1,2})\s*[:：]\s*(?P<M>\d{1,2}))?")
_TIME_ONLY = re.compile(r"^\s*(?P<H>\d{1,2})\s*[:：]\s*(?P<M>\d{1,2})\s*$")
_AGO_UNITS = {"秒": "seconds", "分钟": "minutes", "小时": "hours", "天": "days", "周": "weeks", "星期": "weeks"}
_DAY_OFFSET = {"今天": 0, "昨天": 1, "前天": 2}


def parse_post_time(text: str | None, *, tz: str = "Asia/Shanghai", now: datetime | None = None) -> datetime | None:
    """Return an aware UTC datetime, or None when the text holds no time we can read."""
    if not text:
        return None
    zone = ZoneInfo(tz)
    local_now = (now or datetime.now(UTC)).astimezone(zone)
    text = text.strip()
    try:
        return _parse(text, zone, local_now)
    except ValueError:  # e.g. 2024-02-31: a time that does not exist is no time
        return None


def _parse(text: str, zone: ZoneInfo, local_now: datetime) -> datetime | None:
    if "刚刚" in text:
        return local_now.astimezone(UTC)
    if m := _AGO.search(text):
        amount = 0.5 if m["n"] == "半" else int(m["n"])  # 半小时前
        delta = timedelta(**{_AGO_UNITS[m["unit"]]: amount})
        return (local_now - delta).astimezone(UTC)
    if m := _FULL.search(text):
        return _at(zone, int(m["y"]), int(m["m"]), int(m["d"]), m["H"], m["M"], m["S"])
    if m := _DAY_WORD.search(text):
        day = local_now - timedelta(days=_DAY_OFFSET[m["word"]])
        return _at(zone, day.year, day.month, day.day, m["H"], m["M"], None)
    if m := _MONTH_DAY.search(text):
        year = local_now.year
        parsed = _at(zone, year, int(m["m"]), int(m["d"]), m["H"], m["M"], None)
        # A partial date later than now belongs to last year (a post from 12-30 read on 01-02).
        if parsed > local_now.astimezone(UTC) + timedelta(days=1):
            parsed = _at(zone, year - 1, int(m["m"]), int(m["d"]), m["H"], m["M"], None)
        return parsed
    if m := _TIME_ONLY.match(text):
        return _at(zone, local_now.year, local_now.month, local_now.day, m["H"], m["M"], None)
    return None


def _at(zone: ZoneInfo, y: int, mo: int, d: int, hh: str | None, mm: str | None, ss: str | None) -> datetime:
    local = datetime(y, mo, d, int(hh or 0), int(mm or 0), int(ss or 0), tzinfo=zone)
    return local.astimezone(UTC)
