"""Post times as boards print them: absolute, partial and relative Chinese forms, in the source's timezone."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

# A clock time as boards write it: 14:20, 14:20:33, 下午2:05, 下午3点05分, 晚上8点. The part of day decides
# whether 3 means 03 or 15 — without it a 下午 time would be read twelve hours early.
_CLOCK = (
    r"(?:\s*(?P<part>凌晨|早上|早晨|上午|中午|下午|傍晚|晚上|夜里|夜间)?\s*(?P<H>\d{1,2})\s*[:：时点]\s*"
    r"(?:(?P<M>\d{1,2})\s*分?(?:\s*[:：]\s*(?P<S>\d{1,2})\s*秒?)?)?)?"
)
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$")
_FULL = re.compile(r"(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?(?:T|\s)*" + _CLOCK)
_MONTH_DAY = re.compile(r"(?P<m>\d{1,2})\s*[-/月]\s*(?P<d>\d{1,2})\s*日?" + _CLOCK)
_NUMERAL = r"\d+|半|[零一二两三四五六七八九十百]+"
_AGO = re.compile(rf"(?P<n>{_NUMERAL})\s*个?\s*(?P<unit>秒钟?|分钟|小时|钟头|天|日|周|星期|个?月)\s*(?:以前|之前|前)")
_DAY_WORD = re.compile(r"(?P<word>今天|今日|昨天|昨日|前天)" + _CLOCK)
_TIME_ONLY = re.compile(r"^" + _CLOCK + r"\s*$")
_AGO_UNITS = {
    "秒": "seconds",
    "秒钟": "seconds",
    "分钟": "minutes",
    "小时": "hours",
    "钟头": "hours",
    "天": "days",
    "日": "days",
    "周": "weeks",
    "星期": "weeks",
}
_DAY_OFFSET = {"今天": 0, "今日": 0, "昨天": 1, "昨日": 1, "前天": 2}
_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_AFTERNOON = {"下午", "傍晚", "晚上", "夜里", "夜间"}


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
    if _ISO.match(text):  # a <time datetime="…"> attribute carries its own offset
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
    if "刚刚" in text:
        return local_now.astimezone(UTC)
    if m := _AGO.search(text):
        return _ago(local_now, _number(m["n"]), m["unit"])
    if m := _FULL.search(text):
        return _at(zone, int(m["y"]), int(m["m"]), int(m["d"]), m)
    if m := _DAY_WORD.search(text):
        day = local_now - timedelta(days=_DAY_OFFSET[m["word"]])
        return _at(zone, day.year, day.month, day.day, m)
    if m := _MONTH_DAY.search(text):
        year = local_now.year
        parsed = _at(zone, year, int(m["m"]), int(m["d"]), m)
        # A partial date later than now belongs to last year (a post from 12-30 read on 01-02).
        if parsed > local_now.astimezone(UTC) + timedelta(days=1):
            parsed = _at(zone, year - 1, int(m["m"]), int(m["d"]), m)
        return parsed
    if (m := _TIME_ONLY.match(text)) and m["H"] is not None:
        return _at(zone, local_now.year, local_now.month, local_now.day, m)
    return None


def _ago(local_now: datetime, amount: float, unit: str) -> datetime:
    if unit.endswith("月"):  # 两个月前: a month is taken as 30 days, as boards round it anyway
        return (local_now - timedelta(days=30 * amount)).astimezone(UTC)
    return (local_now - timedelta(**{_AGO_UNITS[unit]: amount})).astimezone(UTC)


def _number(text: str) -> float:
    """5 / 半 / 三 / 十二 / 二十 / 两."""
    if text.isdigit():
        return int(text)
    if text == "半":
        return 0.5
    if "百" in text:
        hundreds, _, rest = text.partition("百")
        return _DIGITS.get(hundreds, 1) * 100 + (_number(rest) if rest else 0)
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (_DIGITS[tens] if tens else 1) * 10 + (_DIGITS[ones] if ones else 0)
    value = 0
    for char in text:  # 二五 is not a number boards write; read digit by digit
        value = value * 10 + _DIGITS[char]
    return value


def _at(zone: ZoneInfo, y: int, mo: int, d: int, clock: re.Match[str]) -> datetime:
    hour = int(clock["H"] or 0)
    part = clock["part"]
    if (part in _AFTERNOON and hour < 12) or (part == "中午" and hour < 11):
        hour += 12
    elif part == "凌晨" and hour == 12:
        hour = 0
    local = datetime(y, mo, d, hour, int(clock["M"] or 0), int(clock["S"] or 0), tzinfo=zone)
    return local.astimezone(UTC)
