"""Event tables: one row per story, its member mentions with their signatures, and LSH band keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from store.workflow.db import Base, UtcDateTime


class Event(Base):
    """A story: the first mention's id names it, so alerting's case key is the same before and after reposts."""

    __tablename__ = "events"

    id: Mapped[str] = mapped_column(String(300), primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    first_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    copies: Mapped[int] = mapped_column(Integer, default=1)
    sources: Mapped[list[str]] = mapped_column(JSON, default=list)
    replies: Mapped[int] = mapped_column(Integer, default=0)
    views: Mapped[int] = mapped_column(Integer, default=0)


class EventMember(Base):
    __tablename__ = "event_members"

    mention_id: Mapped[str] = mapped_column(String(300), primary_key=True)
    event_id: Mapped[str] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(100))
    discovered_at: Mapped[datetime] = mapped_column(UtcDateTime)
    similarity: Mapped[float] = mapped_column(Float)  # to the copy it joined through; 1.0 for the first
    signature: Mapped[bytes] = mapped_column(LargeBinary)


class EventBand(Base):
    """LSH index: a mention's band keys, kept while its event is inside the clustering window."""

    __tablename__ = "event_bands"

    band_key: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    mention_id: Mapped[str] = mapped_column(String(300), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(300))
    seen_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class EventKey(Base):
    """Story keys (place|matter, analysis/events/subject.py) of a mention: a later post with the same key joins
    the story. Kept while the story is inside the subject window."""

    __tablename__ = "event_keys"

    story_key: Mapped[str] = mapped_column(String(100), primary_key=True)
    mention_id: Mapped[str] = mapped_column(String(300), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(300))
    seen_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
