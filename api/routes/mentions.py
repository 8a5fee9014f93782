"""Mention search for analysts: the query language, filters, highlights, aggregations, cursor paging.

A user bound to a unit searches only the mentions of that unit and the units below it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Annotated, Literal

from anyio import to_thread
from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel

from analysis.keywords import top_terms
from api.query_params import QueryParams
from api.schemas import BucketOut, MentionOut, SearchOut, mention_json, mention_payload, search_json
from api.search import ParsedQuery, highlights, parse_query, scoped_units, search_limiter, unit_synonyms
from api.state import ApiState, get_state
from store.mentions import DateHistogram, SearchQuery, SearchResult, Terms
from web.access.deps import Reader
from web.params import aware, invalid

router = APIRouter(prefix="/api/v1/mentions", tags=["mentions"])

Sentiment = Literal["negative", "neutral", "positive"]
# The analysis' post types (analysis.grader.TYPES), as users name them.
PostType = Literal["投诉", "举报", "求助", "咨询", "建议", "表扬", "其他"]


@dataclass(frozen=True)
class Filters:
    query: SearchQuery
    parsed: ParsedQuery


async def search_filters(
    principal: Reader,
    state: Annotated[ApiState, Depends(get_state)],
    q: Annotated[
        str | None,
        Query(
            max_length=500,
            description='words and "phrases", OR, NOT, parentheses, e.g. 城关一中 (食堂 OR 殴打) NOT 感谢',
        ),
    ] = None,
    source: Annotated[list[Annotated[str, Query(max_length=100)]] | None, Query(max_length=50)] = None,
    unit: Annotated[list[Annotated[str, Query(max_length=100)]] | None, Query(max_length=50)] = None,
    sentiment: Annotated[list[Sentiment] | None, Query(max_length=3)] = None,
    scheme: Annotated[list[Annotated[str, Query(max_length=100)]] | None, Query(max_length=50)] = None,
    min_level: Annotated[int | None, Query(ge=0, le=4)] = None,
    post_type: Annotated[
        list[PostType] | None,
        Query(max_length=7, description="post types, any of: 投诉 举报 求助 咨询 建议 表扬 其他"),
    ] = None,
    event: Annotated[
        list[Annotated[str, Query(max_length=300)]] | None,
        Query(max_length=50, description="event ids (the same story, from /api/v1/events)"),
    ] = None,
    since: Annotated[datetime | None, Query(description="discovered at or after (with timezone)")] = None,
    until: Annotated[datetime | None, Query(description="discovered before (with timezone)")] = None,
) -> Filters:
    aware(since=since, until=until)
    parsed = parse_query(q, unit_synonyms(state.config))
    query = SearchQuery(
        text=parsed.store_text,
        since=since,
        until=until,
        sources=tuple(source or ()),
        units=scoped_units(principal, unit),
        sentiment_labels=tuple(sentiment or ()),
        schemes=tuple(scheme or ()),
        min_level=min_level,
        post_types=tuple(post_type or ()),
        events=tuple(event or ()),
    )
    return Filters(query=query, parsed=parsed)


SearchFilters = Annotated[Filters, Depends(search_filters)]


def run_search(state: ApiState, query: SearchQuery) -> SearchResult:
    """The store's search with its refusals (a bad cursor, a size out of range) as 422."""
    try:
        return state.mentions.search(query)
    except ValueError as exc:
        raise invalid(("query", "cursor" if "cursor" in str(exc) else "size"), str(exc)) from None


@dataclass(frozen=True)
class SearchRequest:
    state: ApiState
    filters: Filters
    size: int
    cursor: str | None
    sort: Literal["time", "relevance", "heat"]
    histogram: Literal["hour", "day"] | None


async def search_request(
    principal: Reader, state: Annotated[ApiState, Depends(get_state)], request: Request
) -> SearchRequest:
    """What `search_mentions` below declares, read as FastAPI reads it (the same answers and errors, in the same
    order: the filters, then the page's own parameters; a filter's refusal, such as a query's syntax, before the
    page's errors) with one validation per group (api/query_params.py)."""
    filters, errors = _FILTERS.parse(request.query_params)
    solved = None if errors else await search_filters(principal, state, **filters)
    page, page_errors = _PAGE.parse(request.query_params)
    errors += page_errors
    if errors or solved is None:
        raise RequestValidationError(errors)
    return SearchRequest(state, solved, **page)


# Answers the search: the route declared below (first match wins) is its OpenAPI description.
@router.get("", include_in_schema=False)
async def search(request: Annotated[SearchRequest, Depends(search_request)]) -> Response:
    return await answer_search(request)


@router.get("", response_model=SearchOut)
async def search_mentions(
    state: Annotated[ApiState, Depends(get_state)],
    filters: SearchFilters,
    size: Annotated[int, Query(ge=1, le=200)] = 20,
    cursor: Annotated[str | None, Query(max_length=2000)] = None,
    sort: Annotated[
        Literal["time", "relevance", "heat"],
        Query(description="time: newest first; relevance: the query's words; heat: replies × 10 + votes × 5 + views"),
    ] = "time",
    histogram: Literal["hour", "day"] | None = None,
) -> Response:
    # Requests never reach this declaration (no docstring: it would become the OpenAPI description): `search`
    # above answers them, reading these parameters as FastAPI reads them here (tests/api/test_query_params.py).
    return await answer_search(SearchRequest(state, filters, size, cursor, sort, histogram))


_FILTERS = QueryParams(search_filters)
_PAGE = QueryParams(search_mentions)


async def answer_search(request: SearchRequest) -> Response:
    state = request.state
    aggs: list[DateHistogram | Terms] = [
        Terms("sources", "source"),
        Terms("units", "unit"),
        Terms("sentiment", "sentiment_label"),
        Terms("schemes", "schemes"),
        Terms("post_types", "post_type", size=7),
    ]
    if request.histogram:
        aggs.append(DateHistogram("volume", "discovered_at", request.histogram))
    query = replace(
        request.filters.query, size=request.size, cursor=request.cursor, sort=request.sort, aggs=tuple(aggs)
    )
    result = await to_thread.run_sync(run_search, state, query, limiter=search_limiter(state.search_slots))
    words = request.filters.parsed.words
    # The JSON itself, from plain values: response_model stays for the OpenAPI schema.
    body = search_json(
        {
            "total": result.total,
            "hits": [
                {
                    **mention_payload(m),
                    "highlights": [
                        {"field": f, "start": s, "end": e}
                        for f, s, e in highlights(words, {"title": m.title, "content": m.content})
                    ],
                }
                for m in result.hits
            ],
            "next_cursor": result.next_cursor,
            "aggregations": {k: [{"key": b.key, "count": b.count} for b in v] for k, v in result.aggregations.items()},
        }
    )
    return Response(body, media_type="application/json")


class AggregationsOut(BaseModel):
    total: int
    volume: list[BucketOut]
    sentiment: list[BucketOut]
    sources: list[BucketOut]
    units: list[BucketOut]
    schemes: list[BucketOut]
    levels: list[BucketOut]
    post_types: list[BucketOut]
    terms: list[BucketOut]
    terms_sample: int


TERMS_SAMPLE = 1000


@router.get("/aggregations", response_model=AggregationsOut)
async def aggregations(
    state: Annotated[ApiState, Depends(get_state)],
    filters: SearchFilters,
    interval: Literal["hour", "day"] = "day",
    size: Annotated[int, Query(ge=1, le=100, description="buckets per terms aggregation")] = 10,
) -> AggregationsOut:
    """Volume over time, sentiment split, top sources, units, schemes, levels and post types of every match;
    top terms from the analysis tokens of the latest `terms_sample` matches (the store keeps no term statistics)."""
    aggs = (
        DateHistogram("volume", "discovered_at", interval),
        Terms("sentiment", "sentiment_label", size=3),
        Terms("sources", "source", size=size),
        Terms("units", "unit", size=size),
        Terms("schemes", "schemes", size=size),
        Terms("levels", "level", size=5),
        Terms("post_types", "post_type", size=7),
    )

    def load() -> AggregationsOut:
        result = run_search(state, replace(filters.query, size=1, aggs=aggs))
        posts: list[list[str]] = []
        sampled = 0
        page = replace(filters.query, size=200)
        while sampled < TERMS_SAMPLE:
            batch = run_search(state, page)
            for m in batch.hits:
                if m.analysis is not None:
                    posts.append(m.analysis.tokens)
            sampled += len(batch.hits)
            if batch.next_cursor is None:
                break
            page = replace(page, cursor=batch.next_cursor)
        buckets = {k: [BucketOut(key=b.key, count=b.count) for b in v] for k, v in result.aggregations.items()}
        return AggregationsOut(
            total=result.total,
            terms=[BucketOut(key=k, count=n) for k, n in top_terms(posts, size)],
            terms_sample=sampled,
            **buckets,
        )

    return await to_thread.run_sync(load, limiter=search_limiter(state.search_slots))


@router.get("/{mention_id}", response_model=MentionOut)
async def get_mention(
    mention_id: Annotated[str, Path(max_length=400)], state: Annotated[ApiState, Depends(get_state)], principal: Reader
) -> Response:
    mention = await run_in_threadpool(state.mentions.get, mention_id)
    unit = None if mention is None else (mention.analysis.unit if mention.analysis else mention.unit)
    if mention is None or not principal.sees(unit):
        raise HTTPException(404, "mention not found")
    # The JSON itself, from plain values: response_model stays for the OpenAPI schema.
    return Response(mention_json(mention), media_type="application/json")
