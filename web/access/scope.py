"""Who is asking: a user's role and the units they see (their unit and every unit below it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from config import Config
from web.access.roles import Perm, Role, can


def unit_scope(config: Config, unit: str | None) -> frozenset[str] | None:
    """The unit and its descendants (the bureau sees its schools); None means every unit."""
    if unit is None:
        return None
    children: dict[str, list[str]] = {}
    for u in config.units:
        if u.parent:
            children.setdefault(u.parent, []).append(u.id)
    seen = {unit}
    stack = [unit]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in seen:  # the loader does not forbid cycles; never loop on one
                seen.add(child)
                stack.append(child)
    return frozenset(seen)


@dataclass(frozen=True)
class Principal:
    user_id: int
    name: str
    display_name: str
    role: Role
    unit: str | None
    scope: frozenset[str] | None  # None: every unit, including cases attributed to no unit
    via: Literal["session", "token"]
    session_id: int | None = None
    csrf_token: str | None = None

    def can(self, perm: Perm) -> bool:
        return can(self.role, perm)

    def sees(self, unit: str | None) -> bool:
        return self.scope is None or (unit is not None and unit in self.scope)

    @property
    def actor(self) -> str:
        """How this user appears in timelines and the audit log."""
        return self.display_name if self.display_name == self.name else f"{self.display_name}（{self.name}）"
