"""Event service: put a mention into its story (or start one), and read a story's heat.

A mention joins a story as a near-copy (MinHash over shingles), else — with `same_subject` — as a post about the
same place and matter as one of the story's posts (analysis/events/subject.py), else it starts one."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import NamedTuple, cast

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from analysis.events.index import BandKey, EventIndex, Member, Posting, Story
from analysis.events.minhash import Signature, signature, similarity
from analysis.events.models import Event, EventBand, EventKey
from analysis.events.sql import sql_index
from analysis.events.subject import story_keys
from config.models import EventSettings

VELOCITY_WINDOW = timedelta(hours=1)


class EventHeat(NamedTuple):
    """How big and how fast a story is, as of `at`. A named tuple: one is made a mention, and a frozen
    dataclass's field-by-field __init__ cost more than the step's other bookkeeping for it."""

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


class EventInput(NamedTuple):
    """One mention to put into its story."""

    mention_id: str
    source: str
    title: str
    text: str
    discovered_at: datetime
    replies: int | None = None
    views: int | None = None


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
    item = EventInput(mention_id, source, title, text, discovered_at, replies, views)
    return assign_many(sql_index(session), [item], settings=settings)[0]


def assign_many(index: EventIndex, items: Sequence[EventInput], *, settings: EventSettings) -> list[EventHeat | None]:
    """`assign` for a batch: the same events, copy counts and heat as assigning the items one after the other,
    with one read of each kind for the whole batch (band keys, story keys, signatures, events, heat) and its rows
    written once at the end. Over a `SqlIndex` the caller's one transaction holds the batch."""
    if not items:
        return []
    members = index.members(list(dict.fromkeys(i.mention_id for i in items)))
    # What each new mention brings: its signature, band keys and story keys (computed once, used twice).
    prepared: dict[str, tuple[Signature, list[BandKey], list[str]] | None] = {}
    for item in items:
        if item.mention_id in members or item.mention_id in prepared:
            continue
        sig = signature(item.text)
        if sig is None:
            prepared[item.mention_id] = None
            continue
        keys = story_keys(item.title, item.text) if settings.same_subject else []
        prepared[item.mention_id] = (sig, index.band_keys(sig), keys)
    fresh = [p for p in prepared.values() if p is not None]
    window = timedelta(hours=settings.window_hours)
    subject_window = timedelta(hours=settings.subject_window_hours)
    earliest = min(i.discovered_at for i in items)
    latest = max(i.discovered_at for i in items)
    # Band keys and story keys already stored that any of the batch's new mentions could join through (from the
    # earliest new one: a member analysed again looks nothing up, however old).
    joining = min((i.discovered_at for i in items if prepared.get(i.mention_id) is not None), default=latest)
    bands = cast(
        dict[BandKey, Sequence[Posting]],
        index.band_postings({b for p in fresh for b in p[1]}, joining - window),
    )
    story = index.key_postings({k for p in fresh for k in p[2]}, joining - subject_window)
    signatures = index.signatures({p.mention_id for found in bands.values() for p in found})
    stories = index.stories(
        {event_id for event_id, _ in members.values()}
        | {p.event_id for found in bands.values() for p in found}
        | {p.event_id for found in story.values() for p in found}
    )
    # Members of those stories inside the heat window of the batch (the batch's own are added as they come).
    times = index.times(list(stories), earliest - VELOCITY_WINDOW, latest)

    new_members: list[Member] = []
    results: list[EventHeat | None] = []
    for item in items:
        at = item.discovered_at
        if item.mention_id in members:
            event_id, score = members[item.mention_id]
            results.append(_heat(stories[event_id], times, at, event_id != item.mention_id, score))
            continue
        ready = prepared.pop(item.mention_id, None)
        if ready is None:  # too short, or the same id twice in one batch after its first (counted once)
            results.append(None)
            continue
        sig, keys_of_bands, keys = ready
        since = at - window
        best: tuple[float, str] | None = None
        seen: set[str] = set()
        for band in keys_of_bands:
            for other_id, event_id, seen_at in bands.get(band, ()):
                if seen_at < since or other_id in seen:
                    continue
                seen.add(other_id)
                other = signatures.get(other_id)
                if other is None:
                    continue
                score = similarity(sig, other)
                if score >= settings.similarity and (best is None or score > best[0]):
                    best = (score, event_id)
        subject: str | None = None
        if best is None and keys:
            found = _latest_key(story, keys, at - subject_window)
            if found is not None:
                subject, event_id = found
                best = (0.0, event_id)
        if best is None:
            event = Story(
                id=item.mention_id,
                title=item.title[:500],
                first_seen_at=at,
                last_seen_at=at,
                copies=1,
                sources=[item.source],
                replies=item.replies or 0,
                views=item.views or 0,
                new=True,
            )
            stories[event.id] = event
            score = 1.0
        else:
            score, event_id = best
            event = stories[event_id]
            event.copies += 1
            if item.source not in event.sources:
                event.sources = [*event.sources, item.source]
            event.replies += item.replies or 0
            event.views += item.views or 0
            event.last_seen_at = max(event.last_seen_at, at)
            event.changed = True
        members[item.mention_id] = (event.id, score)
        signatures[item.mention_id] = sig
        times.setdefault(event.id, []).append(at)
        new_members.append(Member(item.mention_id, event.id, item.source, at, score, sig, keys_of_bands, keys))
        # Later mentions of the batch find this one as they would have found it stored.
        posting = Posting(item.mention_id, event.id, at)
        for band in keys_of_bands:
            # Tuples, not lists: most keys are new, and a tuple of plain values leaves the garbage collector's
            # lists (20 lists a mention made its collections a third of the step). At most a batch long.
            shared = bands.get(band)
            bands[band] = (posting,) if shared is None else (*shared, posting)
        for key in keys:
            story.setdefault(key, []).append(posting)
        results.append(_heat(event, times, at, best is not None, score, subject))
    index.write(list(stories.values()), new_members)
    return results


def _latest_key(story: dict[str, list[Posting]], keys: list[str], since: datetime) -> tuple[str, str] | None:
    """(key, event) of the latest post since `since` sharing a story key."""
    best: tuple[datetime, str, str] | None = None
    for key in keys:
        for _, event_id, seen_at in story.get(key, ()):
            if seen_at >= since and (best is None or seen_at > best[0]):
                best = (seen_at, key, event_id)
    return None if best is None else (best[1], best[2])


def _heat(
    event: Story,
    times: dict[str, list[datetime]],
    at: datetime,
    joined: bool,
    score: float,
    subject: str | None = None,
) -> EventHeat:
    start = at - VELOCITY_WINDOW
    recent = sum(1 for t in times.get(event.id, ()) if start < t <= at)
    return EventHeat(
        id=event.id,
        title=event.title,
        copies=event.copies,
        sources=len(event.sources),
        replies=event.replies,
        views=event.views,
        copies_last_hour=recent,
        first_seen_at=event.first_seen_at,
        joined=joined,
        similarity=score,
        subject=subject,
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
