"""Event service: put a mention into its story (or start one), and read a story's heat.

A mention joins a story as a near-copy (MinHash over shingles), else — with `same_subject` — as a post about the
same place and matter as one of the story's posts (analysis/events/subject.py), else it starts one."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, TypeVar, cast

from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from analysis.events.minhash import Signature, band_keys, from_bytes, signature, similarity, to_bytes
from analysis.events.models import Event, EventBand, EventKey, EventMember
from analysis.events.subject import story_keys
from config.models import EventSettings
from store.workflow.db import UtcDateTime

VELOCITY_WINDOW = timedelta(hours=1)
_T = TypeVar("_T")


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


@dataclass(frozen=True)
class EventInput:
    """One mention to put into its story."""

    mention_id: str
    source: str
    title: str
    text: str
    discovered_at: datetime
    replies: int | None = None
    views: int | None = None


@dataclass
class _Story:
    """An event's row as the batch sees it; written back once at the end."""

    id: str
    title: str
    first_seen_at: datetime
    last_seen_at: datetime
    copies: int
    sources: list[str]
    replies: int
    views: int
    new: bool = False
    changed: bool = False


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
    return assign_many(session, [item], settings=settings)[0]


def assign_many(session: Session, items: Sequence[EventInput], *, settings: EventSettings) -> list[EventHeat | None]:
    """`assign` for a batch, in the caller's one transaction: the same events, copy counts and heat as assigning
    the items one after the other, with a handful of Core statements for the whole batch (the band keys, story
    keys, signatures and events it needs read once, its rows written with executemany) instead of ~6 ORM
    statements and two dozen objects per mention."""
    if not items:
        return []
    ids = list(dict.fromkeys(i.mention_id for i in items))
    members = {
        r.mention_id: (r.event_id, r.similarity, r.discovered_at)
        for chunk in _chunks(ids)
        for r in session.execute(
            select(_MEMBERS.c.mention_id, _MEMBERS.c.event_id, _MEMBERS.c.similarity, _MEMBERS.c.discovered_at).where(
                _MEMBERS.c.mention_id.in_(chunk)
            )
        )
    }
    # What each new mention brings: its signature, band keys and story keys (computed once, used twice).
    prepared: dict[str, tuple[Signature, list[int], list[str]] | None] = {}
    for item in items:
        if item.mention_id in members or item.mention_id in prepared:
            continue
        sig = signature(item.text)
        if sig is None:
            prepared[item.mention_id] = None
            continue
        keys = story_keys(item.title, item.text) if settings.same_subject else []
        prepared[item.mention_id] = (sig, list(dict.fromkeys(band_keys(sig))), keys)
    fresh = [p for p in prepared.values() if p is not None]
    earliest = min(i.discovered_at for i in items)
    # Band keys and story keys already stored that any of the batch's mentions could join through.
    bands: dict[int, list[tuple[str, str, datetime]]] = _recent_keys(
        session,
        _BANDS,
        "band_key",
        list({b for p in fresh for b in p[1]}),
        earliest - timedelta(hours=settings.window_hours),
    )
    story: dict[str, list[tuple[str, str, datetime]]] = _recent_keys(
        session,
        _KEYS,
        "story_key",
        list({k for p in fresh for k in p[2]}),
        earliest - timedelta(hours=settings.subject_window_hours),
    )
    signatures: dict[str, Signature] = {}
    wanted = list({m for found in bands.values() for m, _, _ in found})
    for id_chunk in _chunks(wanted):
        for r in session.execute(
            select(_MEMBERS.c.mention_id, _MEMBERS.c.signature).where(_MEMBERS.c.mention_id.in_(id_chunk))
        ):
            signatures[r.mention_id] = from_bytes(r.signature)
    stories = _load_stories(
        session,
        {event_id for event_id, _, _ in members.values()}
        | {e for found in bands.values() for _, e, _ in found}
        | {e for found in story.values() for _, e, _ in found},
    )
    # Members of those stories inside the heat window of the batch (the batch's own are added as they come).
    latest = max(i.discovered_at for i in items)
    times: dict[str, list[datetime]] = {}
    touched = list(stories)
    for event_chunk in _chunks(touched):
        for r in session.execute(
            select(_MEMBERS.c.event_id, _MEMBERS.c.discovered_at).where(
                _MEMBERS.c.event_id.in_(event_chunk),
                _MEMBERS.c.discovered_at > earliest - VELOCITY_WINDOW,
                _MEMBERS.c.discovered_at <= latest,
            )
        ):
            times.setdefault(r.event_id, []).append(r.discovered_at)

    new_members: list[dict[str, Any]] = []
    new_bands: list[dict[str, Any]] = []
    new_keys: list[dict[str, Any]] = []
    results: list[EventHeat | None] = []
    for item in items:
        at = item.discovered_at
        if item.mention_id in members:
            event_id, score, _ = members[item.mention_id]
            results.append(_heat(stories[event_id], times, at, event_id != item.mention_id, score))
            continue
        ready = prepared.pop(item.mention_id, None)
        if ready is None:  # too short, or the same id twice in one batch after its first (counted once)
            results.append(None)
            continue
        sig, keys_of_bands, keys = ready
        since = at - timedelta(hours=settings.window_hours)
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
            found = _latest_key(story, keys, at - timedelta(hours=settings.subject_window_hours))
            if found is not None:
                subject, event_id = found
                best = (0.0, event_id)
        if best is None:
            event = _Story(
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
        members[item.mention_id] = (event.id, score, at)
        signatures[item.mention_id] = sig
        times.setdefault(event.id, []).append(at)
        new_members.append(
            {
                "mention_id": item.mention_id,
                "event_id": event.id,
                "source": item.source,
                "discovered_at": at,
                "similarity": score,
                "signature": to_bytes(sig),
            }
        )
        for band in keys_of_bands:
            bands.setdefault(band, []).append((item.mention_id, event.id, at))
            new_bands.append({"band_key": band, "mention_id": item.mention_id, "event_id": event.id, "seen_at": at})
        for key in keys:
            story.setdefault(key, []).append((item.mention_id, event.id, at))
            new_keys.append({"story_key": key, "mention_id": item.mention_id, "event_id": event.id, "seen_at": at})
        result = _heat(event, times, at, best is not None, score)
        results.append(replace(result, subject=subject) if subject else result)
    _write(session, stories, new_members, new_bands, new_keys)
    return results


_EVENTS = cast(Table, Event.__table__)
_MEMBERS = cast(Table, EventMember.__table__)
_BANDS = cast(Table, EventBand.__table__)
_KEYS = cast(Table, EventKey.__table__)
_CHUNK = 500  # bound parameters per IN list: far below SQLite's and PostgreSQL's limits


def _chunks(values: list[_T]) -> Iterator[list[_T]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _recent_keys(
    session: Session, table: Table, column: str, keys: list[Any], since: datetime
) -> dict[Any, list[tuple[str, str, datetime]]]:
    """(mention, event, seen at) stored under each of `keys` since `since`: band keys or story keys."""
    found: dict[Any, list[tuple[str, str, datetime]]] = {}
    key = table.c[column]
    for chunk in _chunks(keys):
        # An expanding parameter: the keys bound at execution, not coerced one by one into the statement.
        query = select(key, table.c.mention_id, table.c.event_id, table.c.seen_at).where(
            key.in_(bindparam("keys", expanding=True)), table.c.seen_at >= since
        )
        for k, mention_id, event_id, seen_at in session.execute(query, {"keys": chunk}):
            found.setdefault(k, []).append((mention_id, event_id, seen_at))
    return found


def _load_stories(session: Session, event_ids: set[str]) -> dict[str, _Story]:
    """The events the batch may touch, locked (on PostgreSQL) until the batch commits: another analyser adding a
    copy at the same time waits instead of losing a count."""
    stories: dict[str, _Story] = {}
    for chunk in _chunks(sorted(event_ids)):
        query = select(_EVENTS).where(_EVENTS.c.id.in_(chunk)).order_by(_EVENTS.c.id).with_for_update()
        for r in session.execute(query):
            stories[r.id] = _Story(
                id=r.id,
                title=r.title,
                first_seen_at=r.first_seen_at,
                last_seen_at=r.last_seen_at,
                copies=r.copies,
                sources=list(r.sources or []),
                replies=r.replies,
                views=r.views,
            )
    return stories


def _latest_key(
    story: dict[str, list[tuple[str, str, datetime]]], keys: list[str], since: datetime
) -> tuple[str, str] | None:
    """(key, event) of the latest post since `since` sharing a story key."""
    best: tuple[datetime, str, str] | None = None
    for key in keys:
        for _, event_id, seen_at in story.get(key, ()):
            if seen_at >= since and (best is None or seen_at > best[0]):
                best = (seen_at, key, event_id)
    return None if best is None else (best[1], best[2])


def _heat(event: _Story, times: dict[str, list[datetime]], at: datetime, joined: bool, score: float) -> EventHeat:
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
    )


def _write(
    session: Session,
    stories: dict[str, _Story],
    members: list[dict[str, Any]],
    bands: list[dict[str, Any]],
    keys: list[dict[str, Any]],
) -> None:
    """The batch's rows: events first (members refer to them), one executemany per table."""
    created = [
        {
            "id": s.id,
            "title": s.title,
            "first_seen_at": s.first_seen_at,
            "last_seen_at": s.last_seen_at,
            "copies": s.copies,
            "sources": s.sources,
            "replies": s.replies,
            "views": s.views,
        }
        for s in stories.values()
        if s.new
    ]
    changed = [
        {
            "key": s.id,
            "copies": s.copies,
            "sources": s.sources,
            "replies": s.replies,
            "views": s.views,
            "last_seen_at": s.last_seen_at,
        }
        for s in stories.values()
        if s.changed and not s.new
    ]
    if created:
        session.execute(insert(_EVENTS), created)
    if changed:
        session.execute(
            update(_EVENTS)
            .where(_EVENTS.c.id == bindparam("key"))
            .values(
                copies=bindparam("copies"),
                sources=bindparam("sources"),
                replies=bindparam("replies"),
                views=bindparam("views"),
                last_seen_at=bindparam("last_seen_at"),
            ),
            changed,
        )
    for table, rows in ((_MEMBERS, members), (_BANDS, bands), (_KEYS, keys)):
        if rows:
            _insert(session, table, rows)


def _insert(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """insert(table) with executemany. On SQLite the rows go to the driver's executemany as tuples, each value
    through its column's own bind processor (a timestamp formatted once, not once per band row): SQLAlchemy's
    per-row parameter handling cost more than SQLite's insert itself (20 band rows a mention). Elsewhere
    SQLAlchemy's own executemany (insertmanyvalues batches the rows into few statements on PostgreSQL)."""
    connection = session.connection()
    dialect = connection.dialect
    if dialect.name != "sqlite":
        session.execute(insert(table), rows)
        return
    names = list(rows[0])
    compiled = insert(table).compile(dialect=dialect, column_keys=names)
    columns: list[list[Any]] = []
    for name in compiled.positiontup or ():
        column = [row[name] for row in rows]
        # The dialect's own type (SQLite's DATETIME formats the string SQLAlchemy stores), as SQLAlchemy binds it.
        process = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            if isinstance(table.c[name].type, UtcDateTime):  # a batch has few distinct times: each formatted once
                memo: dict[Any, Any] = {}
                column = [
                    None if v is None else memo[v] if v in memo else memo.setdefault(v, process(v)) for v in column
                ]
            else:
                column = [None if v is None else process(v) for v in column]
        columns.append(column)
    connection.exec_driver_sql(compiled.string, list(zip(*columns, strict=True)))


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
