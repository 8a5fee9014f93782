"""The delivery outbox. A delivery row is written in the same transaction as the change that causes it,
so a crash can never lose a notification; the sender then works through pending rows."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from alerting.incidents import models as _incidents  # noqa: F401  (registers the table deliveries refer to)
from store.display import shown
from store.workflow.db import Base, UtcDateTime, utcnow


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # every channel of the recipient failed every attempt: raised on the incident
    MERGED = "merged"  # sent as part of another delivery to the same person due within the same minute
    NOT_NEEDED = "not_needed"  # a fallback after an unconfirmed call, the incident acknowledged in time


class Delivery(Base):
    __tablename__ = "deliveries"
    # One notification of a kind per incident and recipient: a re-run of a rule cannot notify twice.
    __table_args__ = (UniqueConstraint("incident_id", "kind", "recipient"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))  # alert, breach
    recipient: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(30))
    unit: Mapped[str | None] = mapped_column(String(100))
    channels: Mapped[str] = mapped_column(Text)  # comma-separated channel ids, tried in order
    title: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=DeliveryStatus.PENDING.value, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    sent_channel: Mapped[str | None] = mapped_column(String(100))
    last_error: Mapped[str | None] = mapped_column(Text)

    attempt_log: Mapped[list[DeliveryAttempt]] = relationship(
        back_populates="delivery", cascade="all, delete-orphan", order_by="DeliveryAttempt.id"
    )

    @validates("title", "body")
    def _shown(self, _key: str, text: str) -> str:
        """Every notification, whoever writes it, reaches people without the bidi overrides and invisible
        characters a post's title may carry (store/display.py)."""
        return shown(text)


class DeliveryAttempt(Base):
    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    channel: Mapped[str] = mapped_column(String(100))
    ok: Mapped[bool]
    error: Mapped[str | None] = mapped_column(Text)
    elapsed_ms: Mapped[int] = mapped_column(Integer, default=0)

    delivery: Mapped[Delivery] = relationship(back_populates="attempt_log")
