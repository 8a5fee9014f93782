"""The incidents' API shape (and its OpenAPI): an incident, its tasks, clock, timeline and deliveries; and the
bodies of the actions on a case."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
from sqlalchemy import Row

from alerting.delivery.models import Delivery
from alerting.incidents.actors import actor_name, shown_detail
from alerting.incidents.models import ClockStepRow, Incident, IncidentTask, Stage, TimelineEntry
from alerting.incidents.service import LIST_COLUMNS
from alerting.incidents.step_rule import outcome_name
from config import Config, Level, names


class TimelineOut(BaseModel):
    at: datetime
    actor: str
    action: str
    detail: str

    @classmethod
    def of(cls, t: TimelineEntry | Row[Any]) -> TimelineOut:
        return cls.model_validate(timeline_payload(t))


def timeline_payload(t: TimelineEntry | Row[Any]) -> dict[str, Any]:
    return {"at": t.at, "actor": actor_name(t.actor), "action": t.action, "detail": shown_detail(t.actor, t.detail)}


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


def delivery_payload(d: Delivery | Row[Any], *, config: Config) -> dict[str, Any]:
    return {
        "id": d.id,
        "kind": d.kind,
        "recipient": d.recipient,
        "recipient_name": names.recipient_name(config, d.recipient),
        "status": d.status,
        "attempts": d.attempts,
        "sent_at": d.sent_at,
        "sent_channel": d.sent_channel,
        "sent_channel_name": names.channel_name(config, d.sent_channel) if d.sent_channel else None,
        "last_error": d.last_error,
    }


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
    def of(cls, i: Listed, *, now: datetime, config: Config) -> IncidentOut:
        return cls.model_validate(incident_payload(i, now=now, config=config))


_names_of: list[tuple[Config, dict[str, str], dict[str, str]]] = []  # the last configuration's, built once


def _unit_and_source_names(config: Config) -> tuple[dict[str, str], dict[str, str]]:
    """Unit and source names by id (a list of a hundred incidents looked them up once per row)."""
    known = _names_of[-1] if _names_of else None
    if known is None or known[0] is not config:
        known = (config, {u.id: u.name for u in config.units}, {s.id: s.name for s in config.sources})
        _names_of[:] = [known]
    return known[1], known[2]


# An incident as the ORM loads it, or a row (or tuple) starting with alerting.incidents.service.LIST_COLUMNS.
Listed = Incident | Row[Any] | Sequence[Any]
_LISTED = tuple(column.key for column in LIST_COLUMNS)


def incident_payload(
    i: Listed, *, now: datetime, config: Config, assignees: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """IncidentOut's fields; `assigned_name` only when `assignees` is given. A row is unpacked by position
    (its attributes by name cost more than the rest of this function)."""
    units, sources = _unit_and_source_names(config)
    (
        id_,
        title,
        url,
        source,
        unit,
        level,
        stage,
        schemes,
        discovered_at,
        report_due_at,
        acknowledged_at,
        reported_at,
        breached_at,
        closed_at,
        mention_count,
        assigned_to,
    ) = (getattr(i, key) for key in _LISTED) if isinstance(i, Incident) else i[: len(_LISTED)]
    payload = {
        "id": id_,
        "title": title,
        "url": url,
        "source": source,
        "unit": unit,
        "unit_name": units.get(unit, unit) if unit else None,
        "source_name": sources.get(source, source),
        "level": level,
        "level_name": _LEVEL_NAMES.get(level) or Level(level).zh,
        "stage": stage,
        "stage_name": _STAGE_NAMES.get(stage) or Stage(stage).zh,
        "schemes": [s for s in schemes.split(",") if s],
        "discovered_at": discovered_at,
        "report_due_at": report_due_at,
        "seconds_to_deadline": (report_due_at - now).total_seconds(),
        "acknowledged_at": acknowledged_at,
        "reported_at": reported_at,
        "breached_at": breached_at,
        "closed_at": closed_at,
        "mention_count": mention_count,
        "assigned_to": assigned_to,
    }
    if assignees is not None and assigned_to:
        payload["assigned_name"] = assignees.get(assigned_to, assigned_to)
    return payload


def incident_list_json(
    incidents: Iterable[Listed], *, now: datetime, config: Config, assignees: Mapping[str, str]
) -> bytes:
    """A list of IncidentOut as JSON, byte for byte what validating it as list[IncidentOut] and dumping it gives
    (tests/api/test_incident_list.py compares them), without validating what the store wrote: the models'
    validation and FastAPI's dump of them were ~0.6 ms of a hundred-incident list's ~3.5 ms CPU. `assignees`:
    display names by login name (an assignee not in it is shown by login name)."""
    payloads = []
    for incident in incidents:
        payload = incident_payload(incident, now=now, config=config, assignees=assignees)
        payload.setdefault("assigned_name", None)  # the model's default, in its place (the last field)
        payloads.append(payload)
    return _plain_list.dump_json(payloads)


_LEVEL_NAMES = {int(level): level.zh for level in Level}
_STAGE_NAMES = {stage.value: stage.zh for stage in Stage}
# Plain values dumped by pydantic's serializer: datetimes and floats written as the models write them.
_plain_list = TypeAdapter(list[dict[str, Any]])


class TaskOut(BaseModel):
    id: int
    stage: str
    stage_name: str
    title: str
    role: str
    due_at: datetime
    done_at: datetime | None
    done_by: str | None


def task_payload(t: IncidentTask | Row[Any]) -> dict[str, Any]:
    return {
        "id": t.id,
        "stage": t.stage,
        "stage_name": _STAGE_NAMES.get(t.stage) or Stage(t.stage).zh,
        "title": t.title,
        "role": t.role,
        "due_at": t.due_at,
        "done_at": t.done_at,
        "done_by": actor_name(t.done_by) if t.done_by else None,
    }


class ClockStepOut(BaseModel):
    step: str
    kind: str
    audience: list[str]
    audience_name: str = Field(description="the audience in words: 值班员、书记、上级单位")
    due_at: datetime
    fired_at: datetime | None
    outcome: str | None
    outcome_name: str = Field(description="待触发, 不再触发（已报告）, 已发送, 已跳过（已确认）…")


def clock_payload(c: ClockStepRow | Row[Any], incident: Incident | Row[Any]) -> dict[str, Any]:
    """`incident`: the step's case (its stage, acknowledged_at and reported_at say whether a step not yet due will
    still fire)."""
    return {
        "step": c.step,
        "kind": c.kind,
        "audience": c.audience.split(","),
        "audience_name": names.audience_names(c.audience),
        "due_at": c.due_at,
        "fired_at": c.fired_at,
        "outcome": c.outcome,
        "outcome_name": outcome_name(c, incident),
    }


class IncidentDetailOut(IncidentOut):
    playbook: str
    tasks: list[TaskOut]
    clock: list[ClockStepOut]
    explanation: list[str]
    timeline: list[TimelineOut]
    mention_ids: list[str]
    deliveries: list[DeliveryOut]


def incident_detail_json(payload: dict[str, Any]) -> bytes:
    """IncidentDetailOut as JSON from incident_payload's fields followed by the page's own (playbook … deliveries,
    in the model's order, each part from its *_payload function), without validating what the store wrote; the
    same bytes as validating and dumping it (tests/api/test_incident_list.py compares them)."""
    # assigned_name is absent when nobody is assigned: the model's default, null, in its place.
    return _plain.dump_json(
        {name: payload.get(name) if name == "assigned_name" else payload[name] for name in _DETAIL_FIELDS}
    )


_DETAIL_FIELDS = tuple(IncidentDetailOut.model_fields)
_plain = TypeAdapter(dict[str, Any])


# --- the bodies of the actions on a case (alerting/incidents/routes.py) ---


class Body(BaseModel):
    # `actor` was the acting person's name before sign-in existed; it is accepted and ignored.
    model_config = ConfigDict(extra="ignore")


class ReportIn(Body):
    reported_to: str = Field(default="宣传部", min_length=1, max_length=100)
    channel: Literal["电话", "短信", "即时通讯", "公文"] = Field(description="电话, 短信, 即时通讯 or 公文")
    summary: str = Field(min_length=1, max_length=2000)


class CloseIn(Body):
    summary: str = Field(min_length=1, max_length=4000)
    no_report_reason: str | None = Field(
        default=None,
        max_length=2000,
        description="why a 重大 or higher case is closed without a recorded report (required then; audited)",
    )


class OpinionsIn(Body):
    assessment: str | None = Field(
        default=None, max_length=4000, description="研判意见 for the 舆情专报; null: unchanged"
    )
    advice: str | None = Field(default=None, max_length=4000, description="处置建议 for the 舆情专报; null: unchanged")


class NoteIn(Body):
    text: str = Field(min_length=1, max_length=4000)


class AssignIn(Body):
    user: str | None = Field(default=None, max_length=64, description="login name; null clears the assignment")


class AssigneeOut(BaseModel):
    """A person a case can be given to, as the page offers them: by name, role and unit, never the login."""

    name: str = Field(description="the login name, the value sent back to /assign")
    display_name: str
    role_name: str
    unit_name: str
