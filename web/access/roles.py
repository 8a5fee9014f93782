"""Roles and what each may do. One table, so a reviewer reads every grant in one place."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    COMMENTATOR = "commentator"  # 网评员: watch the feed, acknowledge, note
    SECRETARY = "secretary"  # 书记: plus report, advance, close, assign — for their own units
    ANALYST = "analyst"  # search, aggregations, export, schemes backtest; incidents read-only
    ADMIN = "admin"  # everything, including users and scheme editing

    @property
    def zh(self) -> str:
        return {"commentator": "网评员", "secretary": "书记", "analyst": "分析员", "admin": "管理员"}[self.value]


class Perm(StrEnum):
    READ = "read"  # feed, mentions, incidents, events, sources, hot topics, aggregations
    ACKNOWLEDGE = "incident.acknowledge"
    NOTE = "incident.note"
    TASK = "incident.task"
    REPORT = "incident.report"
    ADVANCE = "incident.advance"
    CLOSE = "incident.close"
    ASSIGN = "incident.assign"
    EXPORT = "mentions.export"
    SCHEMES_READ = "schemes.read"  # list, validate, backtest
    SCHEMES_EDIT = "schemes.edit"
    AUDIT = "audit.read"  # admins see all; secretaries the entries about their units' incidents
    SUPERVISION = "supervision.read"
    USERS = "users.manage"


_COMMENTATOR = {Perm.READ, Perm.ACKNOWLEDGE, Perm.NOTE, Perm.TASK}
_SECRETARY = _COMMENTATOR | {Perm.REPORT, Perm.ADVANCE, Perm.CLOSE, Perm.ASSIGN, Perm.AUDIT, Perm.SUPERVISION}
_ANALYST = {Perm.READ, Perm.EXPORT, Perm.SCHEMES_READ, Perm.SUPERVISION}

GRANTS: dict[Role, frozenset[Perm]] = {
    Role.COMMENTATOR: frozenset(_COMMENTATOR),
    Role.SECRETARY: frozenset(_SECRETARY),
    Role.ANALYST: frozenset(_ANALYST),
    Role.ADMIN: frozenset(Perm),
}


def can(role: Role, perm: Perm) -> bool:
    return perm in GRANTS[role]
