"""The incidents' API shape (and its OpenAPI): an incident, its tasks, clock, timeline and deliveries."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, TypeAdapter

from alerting.delivery.models import Delivery
from alerting.incidents.actors import actor_name, shown_detail
from alerting.incidents.models import ClockStepRow, Incident, IncidentTask, Stage, TimelineEntry
from alerting.incidents.step_rule import outcome_name
from config import Config, Level, names


class TimelineOut(BaseModel):
    at: datetime
    actor: str
    action: str
    detail: str

    @classmethod
    def of(cls, t: TimelineEntry) -> TimelineOut:
        return cls(at=t.at, actor=actor_name(t.actor), action=t.action, detail=shown_detail(t.actor, t.detail))


class DeliveryOut(BaseModel):
    id: int
    kind: str
    recipient: str
    recipient_name: str = Field(description="单位 联系人, from the configuration")
    status: str
    attempts: int
    sent_at: datetime | None
    sent_channel: str | None
    sent_channel_name: str | None = Field(description="the channel's name from the configuration")
    last_error: str | None

    @classmethod
    def of(cls, d: Delivery, *, config: Config) -> DeliveryOut:
        return cls(
            id=d.id,
            kind=d.kind,
            recipient=d.recipient,
            recipient_name=names.recipient_name(config, d.recipient),
            status=d.status,
            attempts=d.attempts,
            sent_at=d.sent_at,
            sent_channel=d.sent_channel,
            sent_channel_name=names.channel_name(config, d.sent_channel) if d.sent_channel else None,
            last_error=d.last_error,
        )


class IncidentOut(BaseModel):
    id: int
    title: str
    url: str
    source: str
    unit: str | None
    unit_name: str | None
    source_name: str
    level: int
    level_name: str
    stage: str
    stage_name: str
    schemes: list[str]
    discovered_at: datetime
    report_due_at: datetime
    seconds_to_deadline: float
    acknowledged_at: datetime | None
    reported_at: datetime | None
    breached_at: datetime | None
    closed_at: datetime | None
    mention_count: int
    assigned_to: str | None = None
    assigned_name: str | None = Field(default=None, description="the assignee's display name")

    @classmethod
    def of(cls, i: Incident, *, now: datetime, config: Config) -> IncidentOut:
        return cls.model_validate(incident_payload(i, now=now, config=config))

    @classmethod
    def many(cls, incidents: Iterable[Incident], *, now: datetime, config: Config) -> list[IncidentOut]:
        """A list validated in one pass (a hundred rows model by model cost a millisecond more)."""
        return _incident_list.validate_python([incident_payload(i, now=now, config=config) for i in incidents])


_names_of: list[tuple[Config, dict[str, str], dict[str, str]]] = []  # the last configuration's, built once


def _unit_and_source_names(config: Config) -> tuple[dict[str, str], dict[str, str]]:
    """Unit and source names by id (a list of a hundred incidents looked them up once per row)."""
    known = _names_of[-1] if _names_of else None
    if known is None or known[0] is not config:
        known = (config, {u.id: u.name for u in config.units}, {s.id: s.name for s in config.sources})
        _names_of[:] = [known]
    return known[1], known[2]


def incident_payload(i: Incident, *, now: datetime, config: Config) -> dict[str, Any]:
    units, sources = _unit_and_source_names(config)
    return {
        "id": i.id,
        "title": i.title,
        "url": i.url,
        "source": i.source,
        "unit": i.unit,
        "unit_name": units.get(i.unit, i.unit) if i.unit else None,
        "source_name": sources.get(i.source, i.source),
        "level": i.level,
        "level_name": _LEVEL_NAMES.get(i.level) or Level(i.level).zh,
        "stage": i.stage,
        "stage_name": _STAGE_NAMES.get(i.stage) or Stage(i.stage).zh,
        "schemes": [s for s in i.schemes.split(",") if s],
        "discovered_at": i.discovered_at,
        "report_due_at": i.report_due_at,
        "seconds_to_deadline": (i.report_due_at - now).total_seconds(),
        "acknowledged_at": i.acknowledged_at,
        "reported_at": i.reported_at,
        "breached_at": i.breached_at,
        "closed_at": i.closed_at,
        "mention_count": i.mention_count,
        "assigned_to": i.assigned_to,
    }


_LEVEL_NAMES = {int(level): level.zh for level in Level}
_STAGE_NAMES = {stage.value: stage.zh for stage in Stage}
_incident_list = TypeAdapter(list[IncidentOut])


class TaskOut(BaseModel):
    id: int
    stage: str
    stage_name: str
    title: str
    role: str
    due_at: datetime
    done_at: datetime | None
    done_by: str | None

    @classmethod
    def of(cls, t: IncidentTask) -> TaskOut:
        return cls(
            id=t.id,
            stage=t.stage,
            stage_name=Stage(t.stage).zh,
            title=t.title,
            role=t.role,
            due_at=t.due_at,
            done_at=t.done_at,
            done_by=actor_name(t.done_by) if t.done_by else None,
        )


class ClockStepOut(BaseModel):
    step: str
    kind: str
    audience: list[str]
    audience_name: str = Field(description="the audience in words: 值班员、书记、上级单位")
    due_at: datetime
    fired_at: datetime | None
    outcome: str | None
    outcome_name: str = Field(description="待触发, 不再触发（已报告）, 已发送, 已跳过（已确认）…")

    @classmethod
    def of(cls, c: ClockStepRow) -> ClockStepOut:
        return cls(
            step=c.step,
            kind=c.kind,
            audience=c.audience.split(","),
            audience_name=names.audience_names(c.audience),
            due_at=c.due_at,
            fired_at=c.fired_at,
            outcome=c.outcome,
            outcome_name=outcome_name(c),
        )


class IncidentDetailOut(IncidentOut):
    playbook: str
    tasks: list[TaskOut]
    clock: list[ClockStepOut]
    explanation: list[str]
    timeline: list[TimelineOut]
    mention_ids: list[str]
    deliveries: list[DeliveryOut]
