"""When a clock step is skipped, and how its outcome reads: one rule for the clock that fires it and for every
page and briefing that lists it (a step that will be skipped is never shown as 待触发)."""

from __future__ import annotations

from typing import Any

from alerting.incidents.models import ClockStepRow, Incident, Stage

# A step's `unless` and the incident field that, once set, meets it. Neither is ever cleared again, so a step met
# before it is due is certain to be skipped when it comes due.
_MET_BY = {"acknowledged": "acknowledged_at", "reported": "reported_at"}
_REASON_ZH = {"acknowledged": "已确认", "reported": "已报告", "closed": "已结案"}


def skip_reason(incident: Incident | Any, unless: str | None) -> str | None:
    """Why a step of `incident` is (or will be) skipped now — closed, acknowledged or reported — or None."""
    if incident.stage == Stage.CLOSED.value:
        return "closed"
    met = _MET_BY.get(unless or "")
    if met and getattr(incident, met) is not None:
        return unless
    return None


def outcome_name(row: ClockStepRow | Any, incident: Incident | Any = None) -> str:
    """已发送, 已跳过（已确认）, 不再触发（已报告） for a step not yet due whose condition is met, or 待触发. `row` and
    `incident` may be ORM objects or rows with those columns (the incident page's Core reads); `incident` defaults
    to the step's own."""
    if row.fired_at is None:
        reason = skip_reason(row.incident if incident is None else incident, row.unless)
        return f"不再触发（{_REASON_ZH[reason]}）" if reason else "待触发"
    outcome = row.outcome or ""
    if outcome == "sent":
        return "已发送"
    reason = outcome.split(":", 1)[-1].strip() if outcome.startswith("skipped") else ""
    return f"已跳过（{_REASON_ZH[reason]}）" if reason in _REASON_ZH else "已跳过"
