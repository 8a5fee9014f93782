"""Events (same story across sources) and hot topics, for analysts and the dashboard."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel
from sqlalchemy import select

from analysis.events.models import Event, EventMember
from analysis.events.service import events_since
from analysis.spikes import hot_topics
from api.schemas import MentionOut
from api.search import scoped_units
from api.state import ApiState, get_state
from web.access.deps import Reader

router = APIRouter(prefix="/api/v1", tags=["analysis"])


class EventOut(BaseModel):
    id: str
    title: str
    first_seen_at: datetime
    last_seen_at: datetime
    copies: int
    sources: list[str]
    replies: int
    views: int


class EventDetailOut(EventOut):
    mentions: list[MentionOut]


class HotTopicOut(BaseModel):
    kind: str
    key: str
    name: str
    count: int
    baseline: float
    since: datetime
    description: str


def _event_out(event: Event) -> EventOut:
    return EventOut(
        id=event.id,
        title=event.title,
        first_seen_at=event.first_seen_at,
        last_seen_at=event.last_seen_at,
        copies=event.copies,
        sources=list(event.sources),
        replies=event.replies,
        views=event.views,
    )


@router.get("/events", response_model=list[EventOut])
async def list_events(
    state: Annotated[ApiState, Depends(get_state)],
    principal: Reader,
    hours: Annotated[int, Query(ge=1, le=24 * 30, description="stories with a copy in the last N hours")] = 72,
    min_copies: Annotated[int, Query(ge=1, le=10_000)] = 2,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[EventOut]:
    def load() -> list[EventOut]:
        with state.sessions() as session:
            found = events_since(session, since=state.now() - timedelta(hours=hours), limit=limit * 4)
            found = [e for e in found if e.copies >= min_copies]
            if principal.scope is not None:
                # An event is named by its first post: the story belongs to that post's unit.
                units = {
                    m.id: (m.analysis.unit if m.analysis else m.unit)
                    for m in state.mentions.get_many([e.id for e in found])
                }
                found = [e for e in found if principal.sees(units.get(e.id))]
            return [_event_out(e) for e in found][:limit]

    return await run_in_threadpool(load)


@router.get("/events/{event_id}", response_model=EventDetailOut)
async def get_event(
    state: Annotated[ApiState, Depends(get_state)], principal: Reader, event_id: Annotated[str, Path(max_length=400)]
) -> EventDetailOut:
    def load() -> EventDetailOut | None:
        with state.sessions() as session:
            event = session.get(Event, event_id)
            if event is None:
                return None
            first = state.mentions.get(event.id)
            if principal.scope is not None and (
                first is None or not principal.sees(first.analysis.unit if first.analysis else first.unit)
            ):
                return None
            ids = session.scalars(
                select(EventMember.mention_id)
                .where(EventMember.event_id == event_id)
                .order_by(EventMember.discovered_at)
                .limit(500)
            ).all()
            mentions = [
                m
                for m in state.mentions.get_many(list(ids))
                if principal.sees(m.analysis.unit if m.analysis else m.unit)
            ]
            return EventDetailOut(**_event_out(event).model_dump(), mentions=[MentionOut.of(m) for m in mentions])

    found = await run_in_threadpool(load)
    if found is None:
        raise HTTPException(404, "no such event")
    return found


@router.get("/hot-topics", response_model=list[HotTopicOut])
async def get_hot_topics(state: Annotated[ApiState, Depends(get_state)], principal: Reader) -> list[HotTopicOut]:
    units = scoped_units(principal, None)  # counted within the user's units, not just filtered afterwards
    topics = await run_in_threadpool(lambda: hot_topics(state.mentions, state.config, now=state.now(), units=units))
    return [
        HotTopicOut(
            kind=t.kind,
            key=t.key,
            name=t.name,
            count=t.count,
            baseline=t.baseline,
            since=t.since,
            description=t.describe(),
        )
        for t in topics
        if t.kind != "unit" or principal.sees(t.key)
    ]
