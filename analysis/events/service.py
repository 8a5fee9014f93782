"""Event service: put a mention into its story (or start one), and read a story's heat.

A mention joins a story as a near-copy (MinHash over shingles), else — with `same_subject` — as a post about the
same place and matter as one of the story's posts (analysis/events/subject.py), else it starts one."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from analysis.events.minhash import band_keys, from_bytes, signature, similarity, to_bytes
from analysis.events.models import Event, EventBand, EventKey, EventMember
from analysis.events.subject import story_keys
from config.models import EventSettings

VELOCITY_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class EventHeat:
    """How big and how fast a story is, as of `at`."""

    id: str
    title: str
    copies: int
    sources: int
    replies: int
    views: int
    copies_last_hour: int
    first_seen_at: datetime
    joined: bool  # this mention joined an existing story (it is a copy)
    similarity: float  # to the copy it joined through; 1.0 for a story's first mention
    subject: str | None = None  # joined as a post about the same place and matter ("魅力之|油烟"), not a copy


def assign(
    session: Session,
    *,
    mention_id: str,
    source: str,
    title: str,
    text: str,
    discovered_at: datetime,
    replies: int | None,
    views: int | None,
    settings: EventSettings,
) -> EventHeat | None:
    """The mention's event: the one it already belongs to, the most similar recent story, or a new one.

    Idempotent: a mention analysed again (after a crash or an edit) keeps its event and counts once.
    None when the text is too short to tell stories apart."""
    member = session.get(EventMember, mention_id)
    if member is not None:
        return heat(
            session,
            event_id=member.event_id,
            at=discovered_at,
            joined=member.event_id != mention_id,
            similarity=member.similarity,
        )
    sig = signature(text)
    if sig is None:
        return None
    bands = band_keys(sig)
    since = discovered_at - timedelta(hours=settings.window_hours)
    candidates = session.execute(
        select(EventBand.mention_id, EventBand.event_id)
        .where(EventBand.band_key.in_(bands), EventBand.seen_at >= since)
        .distinct()
    ).all()
    best: tuple[float, str] | None = None
    if candidates:
        ids = [c.mention_id for c in candidates]
        events_of = {c.mention_id: c.event_id for c in candidates}
        for other_id, raw in session.execute(
            select(EventMember.mention_id, EventMember.signature).where(EventMember.mention_id.in_(ids))
        ):
            score = similarity(sig, from_bytes(raw))
            if score >= settings.similarity and (best is None or score > best[0]):
                best = (score, events_of[other_id])
    keys = story_keys(title, text) if settings.same_subject else []
    subject: str | None = None
    if best is None and keys:
        found = _by_subject(session, keys, discovered_at - timedelta(hours=settings.subject_window_hours))
        if found is not None:
            subject, event_id = found
            best = (0.0, event_id)
    if best is None:
        event = Event(
            id=mention_id,
            title=title[:500],
            first_seen_at=discovered_at,
            last_seen_at=discovered_at,
            copies=1,
            sources=[source],
            replies=replies or 0,
            views=views or 0,
        )
        session.add(event)
        session.flush()
        score = 1.0
    else:
        score, event_id = best
        event = session.get_one(Event, event_id, with_for_update=True)
        event.copies += 1
        if source not in event.sources:
            event.sources = [*event.sources, source]
        event.replies += replies or 0
        event.views += views or 0
        event.last_seen_at = max(event.last_seen_at, discovered_at)
    session.add(
        EventMember(
            mention_id=mention_id,
            event_id=event.id,
            source=source,
            discovered_at=discovered_at,
            similarity=score,
            signature=to_bytes(sig),
        )
    )
    # A repeated key (two bands hashing alike) would collide on the primary key.
    for band in dict.fromkeys(bands):
        session.add(EventBand(band_key=band, mention_id=mention_id, event_id=event.id, seen_at=discovered_at))
    for key in keys:
        session.add(EventKey(story_key=key, mention_id=mention_id, event_id=event.id, seen_at=discovered_at))
    session.flush()
    result = heat(session, event_id=event.id, at=discovered_at, joined=best is not None, similarity=score)
    return replace(result, subject=subject) if subject else result


def _by_subject(session: Session, keys: list[str], since: datetime) -> tuple[str, str] | None:
    """(key, event) of the latest post since `since` sharing a story key."""
    row = session.execute(
        select(EventKey.story_key, EventKey.event_id)
        .where(EventKey.story_key.in_(keys), EventKey.seen_at >= since)
        .order_by(EventKey.seen_at.desc())
        .limit(1)
    ).first()
    return None if row is None else (row.story_key, row.event_id)


def heat(session: Session, *, event_id: str, at: datetime, joined: bool = False, similarity: float = 1.0) -> EventHeat:
    event = session.get_one(Event, event_id)
    recent = session.scalar(
        select(func.count())
        .select_from(EventMember)
        .where(EventMember.event_id == event_id, EventMember.discovered_at > at - VELOCITY_WINDOW)
        .where(EventMember.discovered_at <= at)
    )
    return EventHeat(
        id=event.id,
        title=event.title,
        copies=event.copies,
        sources=len(event.sources),
        replies=event.replies,
        views=event.views,
        copies_last_hour=int(recent or 0),
        first_seen_at=event.first_seen_at,
        joined=joined,
        similarity=similarity,
    )


def prune_bands(session: Session, *, before: datetime, keys_before: datetime | None = None) -> int:
    """Drop LSH keys older than the clustering window (and story keys older than the subject window): old
    stories stay, they just take no new posts."""
    result = session.execute(delete(EventBand).where(EventBand.seen_at < before))
    if keys_before is not None:
        session.execute(delete(EventKey).where(EventKey.seen_at < keys_before))
    return int(getattr(result, "rowcount", 0) or 0)


def events_since(session: Session, *, since: datetime, limit: int = 50) -> list[Event]:
    """Stories with a copy since `since`, biggest first (for the events list and hot topics)."""
    query = (
        select(Event)
        .where(Event.last_seen_at >= since)
        .order_by(Event.copies.desc(), Event.last_seen_at.desc())
        .limit(limit)
    )
    return list(session.scalars(query))
