"""Who acted, as a person reads it: the display name, never the login.

The timeline and the audit log store the actor as 「姓名（登录名）」 (web.access.scope.Principal.actor) so that an
administrator can tell two people of one name apart; everything else shows the name alone. The stored form is
kept, not a name alone, because old rows have it and the audit page needs it; this module is the one place that
turns it into what a user reads."""

from __future__ import annotations

import re

# A login (api/routes/users.py: ^[\w.@-]+$) in full-width brackets at the end, after a display name.
_WITH_LOGIN = re.compile(r"^(?P<name>.+?)（(?P<login>[\w.@-]+)）$")


# Someone who acknowledged through a notification's one-click link, not signed in: the bracket says how, and stays.
_BY_LINK = "通知链接"


def by_link(recipient_name: str) -> str:
    """The actor of an acknowledgement through a notification's link: 「一中党支部书记（通知链接）」."""
    return f"{recipient_name}（{_BY_LINK}）"


def actor_name(actor: str) -> str:
    """「演示管理员（demo）」 → 「演示管理员」; an actor without a login (系统, a user whose display name is the
    login, one who acknowledged by link) unchanged."""
    found = _WITH_LOGIN.match(actor)
    return found["name"] if found and found["login"] != _BY_LINK else actor


def shown_detail(actor: str, detail: str) -> str:
    """A recorded text with the actor's login taken out where the text names the actor as stored (rows written
    before names were shown alone: 「报送：演示管理员（demo） 通过电话…」)."""
    name = actor_name(actor)
    return detail.replace(actor, name) if name != actor else detail
