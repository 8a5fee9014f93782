"""Who is told: the unit's duty contacts; for major cases also the superior unit (属地管理、分级负责)."""

from __future__ import annotations

from dataclasses import dataclass

from config import Config, Level, Unit


@dataclass(frozen=True)
class Recipient:
    unit: str
    name: str
    role: str
    channels: tuple[str, ...]

    @property
    def key(self) -> str:
        return f"{self.unit}:{self.name}"


def _contacts(unit: Unit, roles: set[str] | None = None) -> list[Recipient]:
    return [
        Recipient(unit.id, c.name, c.role, tuple(c.channels)) for c in unit.duty if roles is None or c.role in roles
    ]


def recipients_for(config: Config, *, unit_id: str | None, level: int) -> list[Recipient]:
    units = {u.id: u for u in config.units}
    chosen: list[Recipient] = []
    unit = units.get(unit_id) if unit_id else None
    if unit is not None:
        chosen.extend(_contacts(unit))
        # Superiors get what is major: walk up the chain, their secretaries and propaganda contacts.
        parent_id = unit.parent
        while level >= Level.MAJOR and parent_id and parent_id in units:
            parent = units[parent_id]
            chosen.extend(_contacts(parent, {"secretary", "propaganda", "duty_officer"}))
            parent_id = parent.parent
    if not chosen:
        # An unattributed case goes to the top of the tree rather than to nobody.
        for top in (u for u in config.units if u.parent is None):
            chosen.extend(_contacts(top))
    seen: set[str] = set()
    return [r for r in chosen if not (r.key in seen or seen.add(r.key))]  # type: ignore[func-returns-value]
