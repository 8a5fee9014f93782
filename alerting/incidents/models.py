"""Incident tables: the incident, its linked mentions and its timeline of every action."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.workflow.db import Base, UtcDateTime, utcnow


class Stage(StrEnum):
    """An incident's stages in order (监测 → 研判 → 报送 → 处置 → 结案): the one list of them. Playbooks plan the
    stages before 结案 (PLAYBOOK_STAGES), the service moves to the next one, the API filters by them."""

    MONITOR = "monitor"
    ANALYSE = "analyse"
    REPORT = "report"
    HANDLE = "handle"
    CLOSED = "closed"

    @property
    def zh(self) -> str:
        return _STAGE_ZH[self]

    @property
    def following(self) -> Stage | None:
        """The next playbook stage; None from 处置 (closing ends it) and from 结案."""
        if self not in PLAYBOOK_STAGES:
            return None
        at = PLAYBOOK_STAGES.index(self) + 1
        return PLAYBOOK_STAGES[at] if at < len(PLAYBOOK_STAGES) else None


_STAGE_ZH = {
    Stage.MONITOR: "监测",
    Stage.ANALYSE: "研判",
    Stage.REPORT: "报送",
    Stage.HANDLE: "处置",
    Stage.CLOSED: "结案",
}
PLAYBOOK_STAGES: tuple[Stage, ...] = tuple(stage for stage in Stage if stage is not Stage.CLOSED)


class Incident(Base):
    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # One incident per case: the event id when analysis groups copies, else the first mention's id.
    case_key: Mapped[str] = mapped_column(String(200), unique=True)
    first_mention_id: Mapped[str] = mapped_column(String(300))
    title: Mapped[str] = mapped_column(String(500))
    url: Mapped[str] = mapped_column(String(2000))
    source: Mapped[str] = mapped_column(String(100))
    unit: Mapped[str | None] = mapped_column(String(100), index=True)
    level: Mapped[int] = mapped_column(Integer)
    stage: Mapped[str] = mapped_column(String(20), default=Stage.ANALYSE.value, index=True)
    schemes: Mapped[str] = mapped_column(Text, default="")  # comma-separated scheme ids, for display and filters
    explanation: Mapped[str] = mapped_column(Text, default="")
    discovered_at: Mapped[datetime] = mapped_column(UtcDateTime)  # the clock starts here
    report_due_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reported_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    breached_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    mention_count: Mapped[int] = mapped_column(Integer, default=1)
    playbook: Mapped[str] = mapped_column(String(100), default="major", server_default="major")
    assigned_to: Mapped[str | None] = mapped_column(String(64), index=True)  # a user's login name

    mentions: Mapped[list[IncidentMention]] = relationship(back_populates="incident", cascade="all, delete-orphan")
    timeline: Mapped[list[TimelineEntry]] = relationship(
        back_populates="incident", cascade="all, delete-orphan", order_by="TimelineEntry.id"
    )


class IncidentMention(Base):
    __tablename__ = "incident_mentions"
    __table_args__ = (UniqueConstraint("incident_id", "mention_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    mention_id: Mapped[str] = mapped_column(String(300), index=True)
    linked_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    incident: Mapped[Incident] = relationship(back_populates="mentions")


class TimelineEntry(Base):
    """Every action on an incident: who, when, what. Never updated, only appended."""

    __tablename__ = "incident_timeline"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(50))
    detail: Mapped[str] = mapped_column(Text, default="")

    incident: Mapped[Incident] = relationship(back_populates="timeline")


class ClockStepRow(Base):
    """One step of an incident's clock, due at a stored time: a restart loses none and fires none twice."""

    __tablename__ = "incident_clock"
    __table_args__ = (UniqueConstraint("incident_id", "step"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    step: Mapped[str] = mapped_column(String(50))  # e.g. reminder@10
    kind: Mapped[str] = mapped_column(String(20))
    audience: Mapped[str] = mapped_column(String(200))  # comma-separated
    unless: Mapped[str | None] = mapped_column(String(20))
    due_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    fired_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    outcome: Mapped[str | None] = mapped_column(String(50))  # sent, skipped: acknowledged, ...

    incident: Mapped[Incident] = relationship()


class IncidentTask(Base):
    """A checklist task of a playbook stage, with its deadline and who did it."""

    __tablename__ = "incident_tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    stage: Mapped[str] = mapped_column(String(20))
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(500))
    role: Mapped[str] = mapped_column(String(30))
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    done_by: Mapped[str | None] = mapped_column(String(100))
