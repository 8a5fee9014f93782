"""Rows of the embedded store's `mentions` table as `Mention`s: shared by its search (sqlite_search.py), its
other reads (sqlite.py) and the migration to Elasticsearch."""

from __future__ import annotations

import json
from typing import Any, Protocol

from store.mentions.model import Analysis, Mention, OfficialReply, SchemeFlag, official_reply_from_doc
from store.mentions.sqltime import dt as _dt
from store.mentions.sqltime import dt_or_none as _dt_or_none


class Row(Protocol):
    """A row of `mentions` read by column name: sqlite3.Row, or a dict of it (the analysis job's batch)."""

    def __getitem__(self, name: str, /) -> Any: ...


def analysis_from_row(row: Row) -> Analysis:
    flags = [
        SchemeFlag(f["scheme"], list(f["words"]), [(str(p[0]), int(p[1])) for p in f.get("positions", [])])
        for f in json.loads(row["flags"] or "[]")
    ]
    return Analysis(
        tokens=json.loads(row["tokens"] or "[]"),
        sentiment=row["sentiment"],
        sentiment_label=row["sentiment_label"],
        flags=flags,
        level=row["level"] or 0,
        unit=row["analysis_unit"],
        explanation=json.loads(row["explanation"] or "[]"),
        event_id=row["event_id"],
        post_type=row["post_type"],
    )


def official_reply_from_json(text: str | None) -> OfficialReply | None:
    return official_reply_from_doc(json.loads(text)) if text else None


def mention_from_row(row: Row) -> Mention:
    # A mention queued for re-analysis keeps showing its last analysis (analysis_seq stays set until then).
    analysed = row["analysed_at"] is not None or row["analysis_seq"] is not None
    notes = row["notes"]
    reply = row["official_reply"]
    mention = object.__new__(Mention)
    # Mention(**fields) without its generated __init__: a frozen dataclass sets each of its 25 fields through
    # object.__setattr__ (~5 µs a mention; the analysis job reads 200 a batch, a search page up to 100). Every
    # field is set here, so the object is the one __init__ makes (tests/store/test_sqlite_rows.py).
    mention.__dict__.update(
        id=row["id"],
        source=row["source"],
        post_id=row["post_id"],
        url=row["url"],
        title=row["title"],
        content=row["content"],
        author=row["author"],
        published_at=_dt_or_none(row["published_at"]),
        discovered_at=_dt(row["discovered_at"]),
        updated_at=_dt(row["updated_at"]),
        reply_count=row["reply_count"],
        view_count=row["view_count"],
        content_hash=row["content_hash"],
        unit=row["unit"],
        analysed_at=_dt_or_none(row["analysed_at"]),
        analysis_seq=row["analysis_seq"],
        analysis=analysis_from_row(row) if analysed else None,
        status=row["status"],
        notes=tuple(json.loads(notes)) if notes and notes != "[]" else (),  # most have none: no decoder
        last_seen_at=_dt_or_none(row["last_seen_at"]),
        deleted_at=_dt_or_none(row["deleted_at"]),
        up_votes=row["up_votes"],
        down_votes=row["down_votes"],
        edits=row["edits"],
        official_reply=official_reply_from_json(reply) if reply else None,
    )
    return mention
