"""Mention search for analysts: words, filters, aggregations and cursor paging."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.concurrency import run_in_threadpool

from api.schemas import BucketOut, MentionOut, SearchOut
from api.state import ApiState, get_state
from store.mentions import DateHistogram, SearchQuery, Terms

router = APIRouter(prefix="/api/v1/mentions", tags=["mentions"])


@router.get("", response_model=SearchOut)
async def search_mentions(
    state: Annotated[ApiState, Depends(get_state)],
    q: Annotated[str | None, Query(max_length=500, description="words, all required")] = None,
    source: Annotated[list[str] | None, Query()] = None,
    unit: Annotated[list[str] | None, Query()] = None,
    sentiment: Annotated[list[Literal["negative", "neutral", "positive"]] | None, Query()] = None,
    scheme: Annotated[list[str] | None, Query()] = None,
    min_level: Annotated[int | None, Query(ge=0, le=4)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    size: Annotated[int, Query(ge=1, le=200)] = 20,
    cursor: Annotated[str | None, Query(max_length=2000)] = None,
    sort: Literal["time", "relevance"] = "time",
    histogram: Literal["hour", "day"] | None = None,
) -> SearchOut:
    for name, value in (("since", since), ("until", until)):
        if value is not None and value.tzinfo is None:
            raise HTTPException(422, f"{name} needs a timezone, e.g. 2026-11-22T08:00:00+08:00")
    aggs: list[DateHistogram | Terms] = [
        Terms("sources", "source"),
        Terms("units", "unit"),
        Terms("sentiment", "sentiment_label"),
        Terms("schemes", "schemes"),
    ]
    if histogram:
        aggs.append(DateHistogram("volume", "discovered_at", histogram))
    query = SearchQuery(
        text=q,
        since=since,
        until=until,
        sources=tuple(source or ()),
        units=tuple(unit or ()),
        sentiment_labels=tuple(sentiment or ()),
        schemes=tuple(scheme or ()),
        min_level=min_level,
        size=size,
        cursor=cursor,
        sort=sort,
        aggs=tuple(aggs),
    )
    try:
        result = await run_in_threadpool(state.mentions.search, query)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    return SearchOut(
        total=result.total,
        hits=[MentionOut.of(m) for m in result.hits],
        next_cursor=result.next_cursor,
        aggregations={k: [BucketOut(key=b.key, count=b.count) for b in v] for k, v in result.aggregations.items()},
    )


@router.get("/{mention_id}", response_model=MentionOut)
async def get_mention(mention_id: str, state: Annotated[ApiState, Depends(get_state)]) -> MentionOut:
    mention = await run_in_threadpool(state.mentions.get, mention_id)
    if mention is None:
        raise HTTPException(404, "mention not found")
    return MentionOut.of(mention)
