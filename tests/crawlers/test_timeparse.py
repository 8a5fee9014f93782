"""Post times as boards print them (table-driven)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crawlers.timeparse import parse_post_time

NOW = datetime(2026, 3, 10, 4, 0, tzinfo=UTC)  # 12:00 in Asia/Shanghai

CASES = [
    ("2024-03-05 14:20", datetime(2024, 3, 5, 6, 20, tzinfo=UTC)),
    ("2024-03-05 14:20:33", datetime(2024, 3, 5, 6, 20, 33, tzinfo=UTC)),
    ("2024/3/5 09:05", datetime(2024, 3, 5, 1, 5, tzinfo=UTC)),
    ("2024年3月5日", datetime(2024, 3, 4, 16, 0, tzinfo=UTC)),
    ("2024年3月5日 14:20", datetime(2024, 3, 5, 6, 20, tzinfo=UTC)),
    ("发表于 2024-03-05 14:20", datetime(2024, 3, 5, 6, 20, tzinfo=UTC)),
    ("刚刚", NOW),
    ("5分钟前", datetime(2026, 3, 10, 3, 55, tzinfo=UTC)),
    ("3小时前", datetime(2026, 3, 10, 1, 0, tzinfo=UTC)),
    ("2天前", datetime(2026, 3, 8, 4, 0, tzinfo=UTC)),
    ("昨天 10:21", datetime(2026, 3, 9, 2, 21, tzinfo=UTC)),
    ("今天 08:00", datetime(2026, 3, 10, 0, 0, tzinfo=UTC)),
    ("前天", datetime(2026, 3, 7, 16, 0, tzinfo=UTC)),
    ("03-05 14:20", datetime(2026, 3, 5, 6, 20, tzinfo=UTC)),
    ("12-30 08:00", datetime(2025, 12, 30, 0, 0, tzinfo=UTC)),  # later than now: last year
    ("10:30", datetime(2026, 3, 10, 2, 30, tzinfo=UTC)),
    ("", None),
    (None, None),
    ("不久以前", None),
    ("2024-02-31 10:00", None),
    # A part of day before the clock: 下午 3 is 15:00, not 03:00 and not midnight.
    ("昨天下午3:05", datetime(2026, 3, 9, 7, 5, tzinfo=UTC)),
    ("昨天 上午9:05", datetime(2026, 3, 9, 1, 5, tzinfo=UTC)),
    ("今天晚上8点", datetime(2026, 3, 10, 12, 0, tzinfo=UTC)),
    ("昨日 凌晨1:30", datetime(2026, 3, 8, 17, 30, tzinfo=UTC)),
    ("中午12:10", datetime(2026, 3, 10, 4, 10, tzinfo=UTC)),
    ("中午1点", datetime(2026, 3, 10, 5, 0, tzinfo=UTC)),
    ("2024年3月5日 下午2:05", datetime(2024, 3, 5, 6, 5, tzinfo=UTC)),
    ("2024年3月5日下午2点05分", datetime(2024, 3, 5, 6, 5, tzinfo=UTC)),
    ("2024年3月5日 上午10:15", datetime(2024, 3, 5, 2, 15, tzinfo=UTC)),
    ("2024年3月5日 14时20分", datetime(2024, 3, 5, 6, 20, tzinfo=UTC)),
    ("3月5日 下午2:05", datetime(2026, 3, 5, 6, 5, tzinfo=UTC)),
    ("下午2:05", datetime(2026, 3, 10, 6, 5, tzinfo=UTC)),
    # Numbers written in characters.
    ("三天前", datetime(2026, 3, 7, 4, 0, tzinfo=UTC)),
    ("两小时前", datetime(2026, 3, 10, 2, 0, tzinfo=UTC)),
    ("十分钟前", datetime(2026, 3, 10, 3, 50, tzinfo=UTC)),
    ("二十五分钟前", datetime(2026, 3, 10, 3, 35, tzinfo=UTC)),
    ("半小时前", datetime(2026, 3, 10, 3, 30, tzinfo=UTC)),
    ("一个星期前", datetime(2026, 3, 3, 4, 0, tzinfo=UTC)),
    ("两个月前", datetime(2026, 1, 9, 4, 0, tzinfo=UTC)),
    ("3 天之前", datetime(2026, 3, 7, 4, 0, tzinfo=UTC)),
    # A <time datetime="…"> attribute: ISO 8601 with its own offset.
    ("2024-03-05T14:20:00+08:00", datetime(2024, 3, 5, 6, 20, tzinfo=UTC)),
    ("2024-03-05T06:20:00Z", datetime(2024, 3, 5, 6, 20, tzinfo=UTC)),
    ("2024-03-05T14:20", datetime(2024, 3, 5, 6, 20, tzinfo=UTC)),  # no offset: the source's zone
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_parse_post_time(text: str | None, expected: datetime | None) -> None:
    assert parse_post_time(text, now=NOW) == expected


def test_other_timezone() -> None:
    assert parse_post_time("2024-03-05 14:20", tz="UTC", now=NOW) == datetime(2024, 3, 5, 14, 20, tzinfo=UTC)
