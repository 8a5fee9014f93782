"""Mention documents for Elasticsearch: what a crawl, an analysis or a crawler's bookkeeping does to one
document, as pure functions, so the store only reads, applies and writes (with optimistic concurrency).

The rules are the embedded store's: same text → only the heat moves and the analysis stays; new text → a new
version with the same discovery time, the analysis dropped so it runs again."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from store.mentions.content import content_hash
from store.mentions.model import (
    Analysis,
    CountSnapshot,
    CountUpdate,
    Mention,
    NewMention,
    SchemeFlag,
    official_reply_doc,
    official_reply_from_doc,
)
from store.tokens import tokenize

Doc = dict[str, Any]
Outcome = Literal["created", "updated", "unchanged"]
RANK = {"created": 3, "updated": 2, "unchanged": 1}

_ANALYSIS_FIELDS = (
    "analysed_at",
    "analysis_seq",
    "tokens",
    "sentiment",
    "sentiment_label",
    "flags",
    "schemes",
    "level",
    "post_type",
    "explanation",
    "event_id",
    "analysis_unit",
)


def iso(at: datetime) -> str:
    """UTC with microseconds: _source keeps the string, so a time reads back exactly (the index keeps ms)."""
    if at.tzinfo is None:
        raise ValueError("naive datetime given to the mention store; use a timezone-aware one")
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def iso_or_none(at: datetime | None) -> str | None:
    return None if at is None else iso(at)


def parse_time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value).astimezone(UTC)


def check_times(mentions: list[NewMention]) -> None:
    """Refuse the whole batch before anything is written, as the embedded store does."""
    for m in mentions:
        iso_or_none(m.published_at)


def heat(doc: Doc) -> int:
    """The heat sort's key, as the embedded store counts it (sqlite_facets.heat_key): a reply says more than a
    vote, a vote more than a view. Stored on the document (no script needed to sort on it), set on every write."""
    return (
        int(doc.get("reply_count") or 0) * 10
        + (int(doc.get("up_votes") or 0) + int(doc.get("down_votes") or 0)) * 5
        + int(doc.get("view_count") or 0)
    )


def with_heat(doc: Doc) -> Doc:
    return doc if doc.get("heat") == heat(doc) else {**doc, "heat": heat(doc)}


def _heat(doc: Doc, reply_count: int | None, view_count: int | None, stamp: str) -> None:
    """Keep a snapshot when replies or views moved (or first became known); one snapshot per moment."""
    moved = (reply_count is not None and reply_count != doc.get("reply_count")) or (
        view_count is not None and view_count != doc.get("view_count")
    )
    if not moved:
        return
    snapshot = {
        "at": stamp,
        "reply_count": reply_count if reply_count is not None else doc.get("reply_count"),
        "view_count": view_count if view_count is not None else doc.get("view_count"),
    }
    counts: list[dict[str, Any]] = list(doc.get("counts") or [])
    if counts and counts[-1]["at"] == stamp:
        counts[-1] = snapshot
    else:
        counts.append(snapshot)
    doc["counts"] = counts


def _text_fields(m: NewMention) -> Doc:
    return {
        "url": m.url,
        "title": m.title,
        "content": m.content,
        "title_tokens": " ".join(tokenize(m.title)),
        "content_tokens": " ".join(tokenize(m.content)),
        "author": m.author,
        "published_at": iso_or_none(m.published_at),
        "content_hash": content_hash(m.title, m.content),
        "crawl_unit": m.unit,
        "unit": m.unit,
        "notes": list(m.notes),
    }


def apply_crawl(doc: Doc | None, m: NewMention, stamp: str) -> tuple[Outcome, Doc]:
    """A crawled post applied to its stored document (None: not stored yet)."""
    if doc is None:
        new: Doc = {
            "id": m.id,
            "source": m.source,
            "post_id": m.post_id,
            **_text_fields(m),
            "discovered_at": stamp,
            "updated_at": stamp,
            "reply_count": None,
            "view_count": None,
            "up_votes": m.up_votes,
            "down_votes": m.down_votes,
            "status": m.status,
            "official_reply": official_reply_doc(m.official_reply),
            "last_seen_at": stamp,
            "deleted_at": None,
            "edits": 0,
            "counts": [],
            **dict.fromkeys(_ANALYSIS_FIELDS),
        }
        _heat(new, m.reply_count, m.view_count, stamp)
        new["reply_count"], new["view_count"] = m.reply_count, m.view_count
        return "created", new
    doc = dict(doc)
    _seen_with(doc, m.reply_count, m.view_count, m.status, stamp)
    _votes(doc, m.up_votes, m.down_votes)
    if m.official_reply is not None:  # a page that no longer shows the reply does not erase it
        doc["official_reply"] = official_reply_doc(m.official_reply)
    doc["deleted_at"] = None
    if doc.get("content_hash") == content_hash(m.title, m.content):
        return "unchanged", doc  # same text: the analysis stays valid
    doc.update(_text_fields(m))
    doc.update(dict.fromkeys(_ANALYSIS_FIELDS))
    doc["updated_at"] = stamp
    doc["edits"] = int(doc.get("edits") or 0) + 1
    return "updated", doc


def apply_analysis(doc: Doc, a: Analysis, *, stamp: str, seq: int) -> Doc:
    doc = dict(doc)
    doc.update(
        analysed_at=stamp,
        analysis_seq=seq,
        tokens=list(a.tokens),
        sentiment=a.sentiment,
        sentiment_label=a.sentiment_label,
        flags=[
            {"scheme": f.scheme, "words": list(f.words), "positions": [list(p) for p in f.positions]} for f in a.flags
        ],
        schemes=list(dict.fromkeys(a.schemes)),
        level=a.level,
        post_type=a.post_type,
        analysis_unit=a.unit,
        unit=a.unit if a.unit is not None else doc.get("crawl_unit"),
        explanation=list(a.explanation),
        event_id=a.event_id,
    )
    return doc


def apply_counts(doc: Doc, update: CountUpdate, stamp: str) -> tuple[bool, Doc]:
    """Replies, views and status from a list page; returns whether anything an analyst sees changed."""
    doc = dict(doc)
    moved = any(
        getattr(update, name) is not None and getattr(update, name) != doc.get(name)
        for name in ("reply_count", "view_count", "up_votes", "down_votes")
    )
    new_status = update.status is not None and update.status != doc.get("status")
    _seen_with(doc, update.reply_count, update.view_count, update.status, stamp)
    _votes(doc, update.up_votes, update.down_votes)
    return moved or new_status, doc


def _votes(doc: Doc, up: int | None, down: int | None) -> None:
    """Votes where the board shows them; a page that does not show them keeps the last known."""
    if up is not None:
        doc["up_votes"] = up
    if down is not None:
        doc["down_votes"] = down


def _seen_with(doc: Doc, replies: int | None, views: int | None, status: str | None, stamp: str) -> None:
    """The post as its board shows it now: heat history, replies, views and status where given; seen now."""
    _heat(doc, replies, views, stamp)
    if replies is not None:
        doc["reply_count"] = replies
    if views is not None:
        doc["view_count"] = views
    if status is not None:
        doc["status"] = status
    doc["last_seen_at"] = stamp


def count_history(doc: Doc) -> list[CountSnapshot]:
    return [
        CountSnapshot(at=parse_time(c["at"]) or datetime.min, reply_count=c["reply_count"], view_count=c["view_count"])
        for c in doc.get("counts") or []
    ]


def _analysis(doc: Doc) -> Analysis:
    flags = [
        SchemeFlag(f["scheme"], list(f["words"]), [(str(p[0]), int(p[1])) for p in f.get("positions", [])])
        for f in doc.get("flags") or []
    ]
    return Analysis(
        tokens=list(doc.get("tokens") or []),
        sentiment=doc["sentiment"],
        sentiment_label=doc["sentiment_label"],
        flags=flags,
        level=doc.get("level") or 0,
        unit=doc.get("analysis_unit"),
        explanation=list(doc.get("explanation") or []),
        event_id=doc.get("event_id"),
        post_type=doc.get("post_type"),
    )


def to_mention(doc: Doc) -> Mention:
    # A mention queued for re-analysis keeps showing its last analysis (analysis_seq stays set until then).
    analysed = doc.get("analysed_at") is not None or doc.get("analysis_seq") is not None
    discovered = parse_time(doc["discovered_at"])
    updated = parse_time(doc["updated_at"])
    assert discovered is not None and updated is not None
    return Mention(
        id=doc["id"],
        source=doc["source"],
        post_id=doc["post_id"],
        url=doc["url"],
        title=doc["title"],
        content=doc["content"],
        author=doc.get("author"),
        published_at=parse_time(doc.get("published_at")),
        discovered_at=discovered,
        updated_at=updated,
        reply_count=doc.get("reply_count"),
        view_count=doc.get("view_count"),
        content_hash=doc["content_hash"],
        unit=doc.get("unit"),
        analysed_at=parse_time(doc.get("analysed_at")),
        analysis_seq=doc.get("analysis_seq"),
        analysis=_analysis(doc) if analysed else None,
        status=doc.get("status"),
        notes=tuple(doc.get("notes") or ()),
        last_seen_at=parse_time(doc.get("last_seen_at")),
        deleted_at=parse_time(doc.get("deleted_at")),
        edits=int(doc.get("edits") or 0),
        up_votes=doc.get("up_votes"),
        down_votes=doc.get("down_votes"),
        official_reply=official_reply_from_doc(doc.get("official_reply")),
    )


def from_mention(m: Mention, *, crawl_unit: str | None, counts: list[CountSnapshot]) -> Doc:
    """A mention of the embedded store as a document, for `yuqing store migrate`: the same times, analysis
    and analysis number (alerting follows on from where it was), the crawler's unit and the heat history."""
    doc: Doc = {
        "id": m.id,
        "source": m.source,
        "post_id": m.post_id,
        "url": m.url,
        "title": m.title,
        "content": m.content,
        "title_tokens": " ".join(tokenize(m.title)),
        "content_tokens": " ".join(tokenize(m.content)),
        "author": m.author,
        "published_at": iso_or_none(m.published_at),
        "discovered_at": iso(m.discovered_at),
        "updated_at": iso(m.updated_at),
        "reply_count": m.reply_count,
        "view_count": m.view_count,
        "content_hash": m.content_hash,
        "crawl_unit": crawl_unit,
        "unit": m.unit,
        "status": m.status,
        "notes": list(m.notes),
        "last_seen_at": iso_or_none(m.last_seen_at),
        "deleted_at": iso_or_none(m.deleted_at),
        "edits": m.edits,
        "up_votes": m.up_votes,
        "down_votes": m.down_votes,
        "official_reply": official_reply_doc(m.official_reply),
        "counts": [{"at": iso(c.at), "reply_count": c.reply_count, "view_count": c.view_count} for c in counts],
        **dict.fromkeys(_ANALYSIS_FIELDS),
    }
    if m.analysis is not None:
        doc = apply_analysis(doc, m.analysis, stamp=iso(m.analysed_at or m.updated_at), seq=m.analysis_seq or 0)
        doc["analysed_at"] = iso_or_none(m.analysed_at)  # None when it was queued for re-analysis
        doc["analysis_seq"] = m.analysis_seq
        doc["unit"] = m.unit
    return doc
