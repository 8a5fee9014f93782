"""Duty rosters: who is on duty at a given Beijing time, overnight shifts, and never nobody."""

from __future__ import annotations

from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from config import ConfigError, load_config
from config.models import DutyContact, Shift, Unit

BJ = ZoneInfo("Asia/Shanghai")
UNIT = Unit(
    id="edu",
    name="教育局",
    duty=[
        DutyContact(name="日班", role="duty_officer", channels=["c"]),
        DutyContact(name="夜班", role="duty_officer", channels=["c"]),
        DutyContact(name="书记", role="secretary", channels=["c"]),
    ],
    roster=[
        Shift(days=[1, 2, 3, 4, 5], start=time(8), end=time(18), on_duty=["日班"]),
        Shift(days=[1, 2, 3, 4, 5, 7], start=time(18), end=time(8), on_duty=["夜班"]),
    ],
)

# 2026-11-23 is a Monday.
CASES = [
    (datetime(2026, 11, 23, 9, 0, tzinfo=BJ), {"日班", "书记"}),
    (datetime(2026, 11, 23, 17, 59, tzinfo=BJ), {"日班", "书记"}),
    (datetime(2026, 11, 23, 18, 0, tzinfo=BJ), {"夜班", "书记"}),
    (datetime(2026, 11, 24, 3, 0, tzinfo=BJ), {"夜班", "书记"}),  # Monday's night shift runs into Tuesday
    (datetime(2026, 11, 23, 3, 0, tzinfo=BJ), {"夜班", "书记"}),  # Sunday's night shift runs into Monday
    (datetime(2026, 11, 28, 12, 0, tzinfo=BJ), {"日班", "夜班", "书记"}),  # Saturday noon: no shift, so all of them
    (datetime(2026, 11, 23, 1, 0, tzinfo=ZoneInfo("UTC")), {"日班", "书记"}),  # 09:00 in Beijing
]


@pytest.mark.parametrize(("at", "names"), CASES)
def test_on_duty(at: datetime, names: set[str]) -> None:
    assert {c.name for c in UNIT.on_duty(at)} == names


def test_unit_without_roster_is_always_on() -> None:
    unit = UNIT.model_copy(update={"roster": []})
    assert len(unit.on_duty(datetime(2026, 11, 28, 12, tzinfo=BJ))) == 3


def test_roster_names_must_be_duty_contacts(example_config_copy: Path) -> None:
    path = example_config_copy / "units.yaml"
    text = path.read_text(encoding="utf-8").replace(
        "        channels: [inbox-edu-secretary]\n",
        "        channels: [inbox-edu-secretary]\n    roster:\n"
        "      - {days: [1, 2, 3, 4, 5], start: '08:00', end: '18:00', on_duty: [不存在的人]}\n"
        "      - {days: [8], start: '18:00', end: '08:00', on_duty: [教育局值班员]}\n",
    )
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(example_config_copy)
    messages = [str(i) for i in caught.value.issues]
    wrong_days = "units.yaml: units[1].roster[1].days"
    assert any(wrong_days in m and "1（星期一）到 7（星期日）" in m for m in messages), messages
    text = text.replace("days: [8]", "days: [7]")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(example_config_copy)
    assert [str(i) for i in caught.value.issues] == [
        f"{path}: units[1].roster[0].on_duty[0]: '不存在的人' 不在该单位的值班联系人中"
    ]
