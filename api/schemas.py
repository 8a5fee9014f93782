"""Response models: the API's public shape (and its OpenAPI)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, TypeAdapter

from alerting.delivery.models import Delivery
from alerting.incidents.models import ClockStepRow, Incident, IncidentTask, Stage, TimelineEntry
from api.search import flag_spans
from config import Config, Level, names
from store.mentions import Mention


class SpanOut(BaseModel):
    """Where a word occurs: character offsets [start, end) in the mention's title or content."""

    field: str
    start: int
    end: int


class SchemeFlagOut(BaseModel):
    scheme: str
    words: list[str]
    spans: list[SpanOut] = Field(default_factory=list, description="where the words are: why it was flagged")


class OfficialReplyOut(BaseModel):
    """What the board published in answer (网上信访, 百姓呼声): what the public was told."""

    text: str
    unit: str | None = Field(description="the replying office as the board names it")
    replied_at: datetime | None


class MentionOut(BaseModel):
    id: str
    source: str
    url: str
    title: str
    content: str
    author: str | None
    published_at: datetime | None
    discovered_at: datetime
    reply_count: int | None
    view_count: int | None
    up_votes: int | None = Field(default=None, description="点赞/支持, where the board shows votes")
    down_votes: int | None = Field(default=None, description="反对")
    unit: str | None
    sentiment: float | None
    sentiment_label: str | None
    level: int | None
    level_name: str | None
    post_type: str | None = Field(default=None, description="帖子类型：投诉、举报、求助、咨询、建议、表扬、其他")
    flags: list[SchemeFlagOut]
    explanation: list[str]
    event_id: str | None = None
    official_reply: OfficialReplyOut | None = None

    @classmethod
    def of(cls, m: Mention) -> MentionOut:
        return cls.model_validate(mention_payload(m))


def mention_payload(m: Mention) -> dict[str, Any]:
    """MentionOut's fields as plain values: a page of hits is validated once, in one pass, not model by model."""
    a = m.analysis
    fields = {"title": m.title, "content": m.content}
    return {
        "id": m.id,
        "source": m.source,
        "url": m.url,
        "title": m.title,
        "content": m.content,
        "author": m.author,
        "published_at": m.published_at,
        "discovered_at": m.discovered_at,
        "reply_count": m.reply_count,
        "view_count": m.view_count,
        "up_votes": m.up_votes,
        "down_votes": m.down_votes,
        "official_reply": asdict(m.official_reply) if m.official_reply else None,
        "unit": a.unit if a else m.unit,
        "sentiment": a.sentiment if a else None,
        "sentiment_label": a.sentiment_label if a else None,
        "level": a.level if a else None,
        "level_name": Level(a.level).zh if a and a.level else None,
        "post_type": a.post_type if a else None,
        "flags": [
            {
                "scheme": f.scheme,
                "words": f.words,
                "spans": [
                    {"field": field, "start": start, "end": end} for field, start, end in flag_spans(f.words, fields)
                ],
            }
            for f in a.flags
        ]
        if a
        else [],
        "explanation": a.explanation if a else [],
        "event_id": a.event_id if a else None,
    }


class BucketOut(BaseModel):
    key: str
    count: int


class SearchHitOut(MentionOut):
    highlights: list[SpanOut]


class SearchOut(BaseModel):
    total: int
    hits: list[SearchHitOut]
    next_cursor: str | None
    aggregations: dict[str, list[BucketOut]]


class TimelineOut(BaseModel):
    at: datetime
    actor: str
    action: str
    detail: str

    @classmethod
    def of(cls, t: TimelineEntry) -> TimelineOut:
        return cls(at=t.at, actor=t.actor, action=t.action, detail=t.detail)


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


_names_of: list[tuple[Config, dict[str, str], dict[str, str]]] = []  # the last configuration's, built once


def _unit_and_source_names(config: Config) -> tuple[dict[str, str], dict[str, str]]:
    """Unit and source names by id (a list of a hundred incidents looked them up once per row)."""
    known = _names_of[-1] if _names_of else None
    if known is None or known[0] is not config:
        known = (config, {u.id: u.name for u in config.units}, {s.id: s.name for s in config.sources})
        _names_of[:] = [known]
    return known[1], known[2]


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
            done_by=t.done_by,
        )


_OUTCOME_ZH = {
    "sent": "已发送",
    "skipped: acknowledged": "已跳过（已确认）",
    "skipped: reported": "已跳过（已报告）",
    "skipped: closed": "已跳过（已结案）",
}


class ClockStepOut(BaseModel):
    step: str
    kind: str
    audience: list[str]
    audience_name: str = Field(description="the audience in words: 值班员、书记、上级单位")
    due_at: datetime
    fired_at: datetime | None
    outcome: str | None
    outcome_name: str = Field(description="待触发, 已发送, 已跳过（已确认）…")

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
            outcome_name="待触发" if c.fired_at is None else _OUTCOME_ZH.get(c.outcome or "", "已跳过"),
        )


class UnitRecordOut(BaseModel):
    unit: str | None
    unit_name: str | None
    cases: int
    acknowledged: int
    reported: int
    reported_in_time: int
    share_reported_in_time: float | None
    breaches: int
    closed: int
    median_minutes_to_acknowledge: float | None
    median_minutes_to_report: float | None
    median_minutes_to_close: float | None


class IncidentDetailOut(IncidentOut):
    playbook: str
    tasks: list[TaskOut]
    clock: list[ClockStepOut]
    explanation: list[str]
    timeline: list[TimelineOut]
    mention_ids: list[str]
    deliveries: list[DeliveryOut]


class SourceAlertOut(BaseModel):
    kind: str = Field(description="failing, quiet or parsing")
    opened_at: datetime
    detail: str


class SourceHealthOut(BaseModel):
    source: str
    name: str
    enabled: bool
    last_run_at: datetime | None
    last_success_at: datetime | None
    last_items: int
    last_new_items: int
    total_items: int
    total_errors: int
    total_parse_failures: int
    consecutive_failures: int
    last_error: str | None
    last_parse_failure_rate: float | None = Field(
        default=None, description="share of the last run's posts and list items that failed to parse"
    )
    alerts: list[SourceAlertOut] = Field(default_factory=list, description="open operations alerts")
