"""Response models of mentions and search (and their OpenAPI). A domain's own models sit beside it:
alerting/incidents/schemas.py, sources/schemas.py."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, TypeAdapter

from api.search import flag_spans
from config import Level
from store.mentions import Mention


class SpanOut(BaseModel):
    """Where a word occurs: character offsets [start, end) in the mention's title or content."""

    field: str
    start: int
    end: int


class SchemeFlagOut(BaseModel):
    scheme: str
    words: list[str]
    spans: list[SpanOut] = Field(default_factory=list, description="where the words are: why it was flagged")


class OfficialReplyOut(BaseModel):
    """What the board published in answer (网上信访, 百姓呼声): what the public was told."""

    text: str
    unit: str | None = Field(description="the replying office as the board names it")
    replied_at: datetime | None


class MentionOut(BaseModel):
    id: str
    source: str
    url: str
    title: str
    content: str
    author: str | None
    published_at: datetime | None
    discovered_at: datetime
    reply_count: int | None
    view_count: int | None
    up_votes: int | None = Field(default=None, description="点赞/支持, where the board shows votes")
    down_votes: int | None = Field(default=None, description="反对")
    unit: str | None
    sentiment: float | None
    sentiment_label: str | None
    level: int | None
    level_name: str | None
    post_type: str | None = Field(default=None, description="帖子类型：投诉、举报、求助、咨询、建议、表扬、其他")
    flags: list[SchemeFlagOut]
    explanation: list[str]
    event_id: str | None = None
    official_reply: OfficialReplyOut | None = None

    @classmethod
    def of(cls, m: Mention) -> MentionOut:
        return cls.model_validate(mention_payload(m))


def mention_payload(m: Mention) -> dict[str, Any]:
    """MentionOut's fields as plain values, in the model's order: a page of hits is written from them as the model
    would dump it (search_json)."""
    a = m.analysis
    fields = {"title": m.title, "content": m.content}
    return {
        "id": m.id,
        "source": m.source,
        "url": m.url,
        "title": m.title,
        "content": m.content,
        "author": m.author,
        "published_at": m.published_at,
        "discovered_at": m.discovered_at,
        "reply_count": m.reply_count,
        "view_count": m.view_count,
        "up_votes": m.up_votes,
        "down_votes": m.down_votes,
        "unit": a.unit if a else m.unit,
        "sentiment": a.sentiment if a else None,
        "sentiment_label": a.sentiment_label if a else None,
        "level": a.level if a else None,
        "level_name": Level(a.level).zh if a and a.level else None,
        "post_type": a.post_type if a else None,
        "flags": [
            {
                "scheme": f.scheme,
                "words": f.words,
                "spans": [
                    {"field": field, "start": start, "end": end} for field, start, end in flag_spans(f.words, fields)
                ],
            }
            for f in a.flags
        ]
        if a
        else [],
        "explanation": a.explanation if a else [],
        "event_id": a.event_id if a else None,
        "official_reply": asdict(m.official_reply) if m.official_reply else None,
    }


class BucketOut(BaseModel):
    key: str
    count: int


class SearchHitOut(MentionOut):
    highlights: list[SpanOut]


class SearchOut(BaseModel):
    total: int
    hits: list[SearchHitOut]
    next_cursor: str | None
    aggregations: dict[str, list[BucketOut]]


def search_json(payload: dict[str, Any]) -> bytes:
    """SearchOut as JSON from plain values (hits from mention_payload plus their highlights), byte for byte what
    validating and dumping the model gives (tests/api/test_search_json.py compares them), without validating what
    the store wrote: the model's validation of a page of 20 hits was ~0.9 ms CPU of a fresh search's ~9."""
    return _plain.dump_json(payload)


def mention_json(m: Mention) -> bytes:
    """MentionOut as JSON from plain values, byte for byte what validating and dumping the model gives
    (tests/api/test_search_json.py), without building the model and FastAPI validating it again."""
    return _plain.dump_json(mention_payload(m))


# Plain values dumped by pydantic's serializer: datetimes and floats written as the models write them.
_plain = TypeAdapter(dict[str, Any])


class UnitRecordOut(BaseModel):
    unit: str | None
    unit_name: str | None
    cases: int
    acknowledged: int
    reported: int
    reported_in_time: int
    share_reported_in_time: float | None
    breaches: int
    closed: int
    median_minutes_to_acknowledge: float | None
    median_minutes_to_report: float | None
    median_minutes_to_close: float | None
