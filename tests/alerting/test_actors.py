"""Who acted is shown by name (issue 15): the stored 「姓名（登录名）」 is for the audit log only."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from alerting.incidents.actors import actor_name, shown_detail
from alerting.incidents.models import TimelineEntry
from alerting.incidents.schemas import TimelineOut
from web.access.roles import Role
from web.access.scope import Principal


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("演示管理员（demo）", "演示管理员"),
        ("王书记（wang.li@county）", "王书记"),
        ("宣传部（值班）（xcb）", "宣传部（值班）"),  # a display name with brackets of its own keeps them
        ("系统", "系统"),
        ("一中党支部书记（通知链接）", "一中党支部书记（通知链接）"),  # acknowledged by a notification's link
        ("张三丰（张三）", "张三丰"),  # a login may be Chinese (users.py: ^[\w.@-]+$)
        ("命令行", "命令行"),
        ("wang", "wang"),  # a user whose display name is the login: nothing else to show
    ],
)
def test_actor_name(stored: str, shown: str) -> None:
    assert actor_name(stored) == shown


def test_actor_name_reads_what_principal_writes() -> None:
    def principal(name: str, display: str) -> Principal:
        return Principal(1, name, display, Role.SECRETARY, None, None, "session")

    assert principal("wang", "王书记").actor == "王书记（wang）"
    assert actor_name(principal("wang", "王书记").actor) == "王书记"
    assert actor_name(principal("wang", "wang").actor) == "wang"


def test_an_old_row_with_the_login_in_its_text_shows_the_name() -> None:
    """Rows recorded before names were shown alone carry 「姓名（登录名）」 inside the text too."""
    at = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
    old = TimelineEntry(
        incident_id=1,
        at=at,
        actor="演示管理员（demo）",
        action="reported",
        detail="报送：演示管理员（demo） 通过电话向县委宣传部报告（发现后 17.0 分钟）：已电话报告",
    )
    shown = TimelineOut.of(old)
    assert shown.actor == "演示管理员"
    assert shown.detail == "报送：演示管理员 通过电话向县委宣传部报告（发现后 17.0 分钟）：已电话报告"
    # Another person's login in the text is theirs to keep: only the actor's own stored form is replaced.
    assert shown_detail("演示管理员（demo）", "备注：已转 李书记（li）") == "备注：已转 李书记（li）"
