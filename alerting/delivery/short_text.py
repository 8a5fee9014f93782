"""The short texts of SMS and voice: a few variables (level, unit short name, minutes left, case code, time)
that an approved template turns into one 70-character message; the full text goes to IM and email.

The case code names an incident in the fixed link /a/CODE under the public host (a template's fixed text):
base-32 of the id, so a code never reveals more than the id and fits the providers' 6-character variables."""

from __future__ import annotations

from datetime import datetime

from alerting.incidents.models import Incident
from config import Config, Level
from config.models import BEIJING

_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O or 1/I: read out on the phone without mistakes


def case_code(incident_id: int) -> str:
    if incident_id <= 0:
        raise ValueError("incident ids start at 1")
    out = ""
    n = incident_id
    while n:
        n, digit = divmod(n, 32)
        out = _ALPHABET[digit] + out
    return out


def incident_of_code(code: str) -> int | None:
    """The incident id of a case code, None when it is not one (case-insensitive)."""
    n = 0
    for char in code.upper():
        digit = _ALPHABET.find(char)
        if digit < 0:
            return None
        n = n * 32 + digit
    return n if 0 < n < 2**31 else None


def short_variables(config: Config, incident: Incident, *, now: datetime) -> dict[str, str]:
    unit = next((u for u in config.units if u.id == incident.unit), None)
    left = max(0, round((incident.report_due_at - now).total_seconds() / 60))
    return {
        "level": Level(incident.level).zh,
        "unit": unit.short if unit else "未归属",
        "left": str(min(left, 999)),
        "code": case_code(incident.id),
        "time": incident.discovered_at.astimezone(BEIJING).strftime("%H:%M"),
    }
