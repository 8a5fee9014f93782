"""Who is told: the unit's duty contacts; for major cases also the superior unit (属地管理、分级负责)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from channels import plugin_for
from config import Config, Unit


@dataclass(frozen=True)
class Recipient:
    unit: str
    name: str
    role: str
    channels: tuple[str, ...]

    @property
    def key(self) -> str:
        return f"{self.unit}:{self.name}"


def _contacts(unit: Unit, roles: set[str] | None = None, at: datetime | None = None) -> list[Recipient]:
    people = unit.on_duty(at) if at is not None else unit.duty
    return [Recipient(unit.id, c.name, c.role, tuple(c.channels)) for c in people if roles is None or c.role in roles]


def voice_channels(config: Config) -> set[str]:
    plugins = {c.id: plugin_for(c.url.get_secret_value()) for c in config.channels}
    return {channel for channel, plugin in plugins.items() if plugin is not None and plugin.medium == "voice"}


def order_channels(channels: tuple[str, ...], voice: set[str], *, call: bool) -> tuple[str, ...]:
    """A step that phones tries the voice channels first, then the rest (an unanswered call falls back to SMS);
    any other step leaves the phone out."""
    rest = tuple(c for c in channels if c not in voice)
    return tuple(c for c in channels if c in voice) + rest if call else rest


def _ancestors(units: dict[str, Unit], unit: Unit) -> list[Unit]:
    chain: list[Unit] = []
    parent_id = unit.parent
    while parent_id and parent_id in units and units[parent_id] not in chain:
        chain.append(units[parent_id])
        parent_id = units[parent_id].parent
    return chain


SUPERIOR_ROLES = {"secretary", "propaganda", "duty_officer"}


def recipients_for_audience(
    config: Config, *, unit_id: str | None, audience: list[str], at: datetime | None = None, call: bool = False
) -> list[Recipient]:
    """The people a clock step reaches: roles of the incident's unit, `superior` (the parent unit's duty,
    secretary and propaganda contacts), `superiors` (every unit up the chain)."""
    units = {u.id: u for u in config.units}
    unit = units.get(unit_id) if unit_id else None
    chosen: list[Recipient] = []
    if unit is not None:
        roles = {a for a in audience if a not in {"superior", "superiors"}}
        chosen.extend(_contacts(unit, roles, at))
        chain = _ancestors(units, unit)
        if "superiors" in audience:
            for parent in chain:
                chosen.extend(_contacts(parent, SUPERIOR_ROLES, at))
        elif "superior" in audience and chain:
            chosen.extend(_contacts(chain[0], SUPERIOR_ROLES, at))
    if not chosen:
        # An unattributed case, or a unit with nobody on duty, goes to the top of the tree rather than to nobody.
        for top in (u for u in config.units if u.parent is None):
            chosen.extend(_contacts(top, None, at))
    seen: set[str] = set()
    unique = [r for r in chosen if not (r.key in seen or seen.add(r.key))]  # type: ignore[func-returns-value]
    voice = voice_channels(config)
    if not voice:
        return unique
    return [replace(r, channels=order_channels(r.channels, voice, call=call)) for r in unique]
