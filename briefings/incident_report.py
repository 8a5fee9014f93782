"""The figures of an incident report (舆情专报): what happened, the linked posts, the timeline, the clock and
its compliance, the report record and who was notified. Message bodies are never shown: they carry the
recipients' signed acknowledgement links."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alerting.delivery.models import Delivery
from alerting.incidents.actors import actor_name, shown_detail
from alerting.incidents.models import ClockStepRow, Incident, IncidentTask, Stage, TimelineEntry
from alerting.incidents.service import get_incident, latest_opinions
from alerting.incidents.step_rule import outcome_name
from briefings.figures import compliance_of, minutes_between, unit_names
from config import Config, Level, names
from config.models import CLOCK_STEP_ZH
from store.mentions import Mention, MentionSearch

_STAGES = {stage.value: stage.zh for stage in Stage}
STATUS_ZH = {"pending": "待发送", "sent": "已送达", "failed": "未送达", "merged": "已合并发送"}


@dataclass(frozen=True)
class StepRow:
    name: str
    due_at: datetime
    fired_at: datetime | None
    outcome: str


@dataclass(frozen=True)
class NoticeRow:
    recipient: str
    kind: str
    status: str
    sent_at: datetime | None
    channel: str | None


@dataclass(frozen=True)
class TaskRow:
    stage: str
    title: str
    due_at: datetime
    done_at: datetime | None
    done_by: str | None


@dataclass(frozen=True)
class TimelineRow:
    """A timeline entry as the 专报 prints it: who acted by name (alerting.incidents.actors)."""

    at: datetime
    actor: str
    action: str
    detail: str

    @classmethod
    def of(cls, e: TimelineEntry) -> TimelineRow:
        return cls(e.at, actor_name(e.actor), e.action, shown_detail(e.actor, e.detail))


@dataclass(frozen=True)
class OpinionRow:
    text: str
    by: str
    at: datetime


@dataclass
class IncidentFigures:
    incident: Incident
    unit: str
    level: str
    stage: str
    compliance: str
    in_time: bool | None
    minutes_to_acknowledge: float | None
    minutes_to_report: float | None
    window_minutes: float
    schemes: list[str]
    mentions: list[Mention]
    timeline: list[TimelineRow]
    reports: list[TimelineRow]
    steps: list[StepRow]
    tasks: list[TaskRow]
    notices: list[NoticeRow]
    generated_at: datetime
    source_names: dict[str, str] = field(default_factory=dict)
    assessment: OpinionRow | None = None  # 研判意见, the secretary's
    advice: OpinionRow | None = None  # 处置建议

    @property
    def sources(self) -> list[str]:
        return list(dict.fromkeys(m.source for m in self.mentions))


class IncidentNotFound(LookupError):
    pass


def incident_figures(
    store: MentionSearch, sessions: sessionmaker[Session], config: Config, *, incident_id: int, now: datetime
) -> IncidentFigures:
    with sessions() as session:
        incident = get_incident(session, incident_id=incident_id)
        if incident is None:
            raise IncidentNotFound(f"事件 {incident_id} 不存在")
        linked = sorted(incident.mentions, key=lambda m: (m.linked_at, m.id))
        timeline = [TimelineRow.of(e) for e in incident.timeline]
        opinions = {
            k: OpinionRow(text, actor_name(e.actor), e.at) for k, (text, e) in latest_opinions(incident).items()
        }
        steps = [
            StepRow(CLOCK_STEP_ZH.get(r.kind, r.kind), r.due_at, r.fired_at, outcome_name(r))
            for r in session.scalars(
                select(ClockStepRow)
                .where(ClockStepRow.incident_id == incident_id)
                .order_by(ClockStepRow.due_at, ClockStepRow.id)
            )
        ]
        tasks = [
            TaskRow(
                _STAGES.get(t.stage, t.stage),
                t.title,
                t.due_at,
                t.done_at,
                actor_name(t.done_by) if t.done_by else None,
            )
            for t in session.scalars(
                select(IncidentTask).where(IncidentTask.incident_id == incident_id).order_by(IncidentTask.id)
            )
        ]
        notices = [
            NoticeRow(
                recipient=d.recipient.split(":", 1)[-1],
                kind=CLOCK_STEP_ZH.get(d.kind.split("@", 1)[0], "结案通知" if d.kind == "resolved" else d.kind),
                status=STATUS_ZH.get(d.status, d.status),
                sent_at=d.sent_at,
                channel=names.channel_name(config, d.sent_channel) if d.sent_channel else None,
            )
            for d in session.scalars(
                select(Delivery).where(Delivery.incident_id == incident_id).order_by(Delivery.created_at, Delivery.id)
            )
        ]
        session.expunge_all()
    mentions = store.get_many([m.mention_id for m in linked])
    scheme_names = {s.id: s.name for s in config.schemes}
    label, in_time = compliance_of(incident, now)
    return IncidentFigures(
        incident=incident,
        unit=unit_names(config).get(incident.unit or "", incident.unit or "未归属单位"),
        level=Level(incident.level).zh,
        stage=Stage(incident.stage).zh,
        compliance=label,
        in_time=in_time,
        minutes_to_acknowledge=minutes_between(incident.discovered_at, incident.acknowledged_at),
        minutes_to_report=minutes_between(incident.discovered_at, incident.reported_at),
        window_minutes=round((incident.report_due_at - incident.discovered_at).total_seconds() / 60, 1),
        schemes=[scheme_names.get(s, s) for s in incident.schemes.split(",") if s],
        mentions=mentions,
        timeline=timeline,
        reports=[e for e in timeline if e.action == "reported"],
        steps=steps,
        tasks=tasks,
        notices=notices,
        generated_at=now,
        source_names={s.id: s.name for s in config.sources},
        assessment=opinions.get("assessment"),
        advice=opinions.get("advice"),
    )
