"""The crawler-bookkeeping half of the embedded store (`store.mentions.model.CrawlBookkeeping`): writing what a
crawl found, heat over time, removals, what to revisit, the high-water mark and same-text duplicates. A mixin of
SqliteMentionStore, kept apart from search and analysis (sqlite.py).

Statements that fire the search copy's triggers (sqlite_facets.py) are `OR FAIL`: an `ABORT` statement with a
trigger keeps a statement journal (a copy of every page it touches, in case it must undo half of itself), which
doubled the cost of storing a post; every write here is one row in a transaction that rolls back whole on any
error, so there is never half a statement to undo."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from store.mentions.content import content_hash
from store.mentions.model import (
    CountSnapshot,
    CountUpdate,
    Mention,
    NewMention,
    OfficialReply,
    UpsertResult,
    official_reply_doc,
)
from store.mentions.sqlite_facets import fts_tags
from store.mentions.sqltime import dt, dt_or_none, us, us_or_none
from store.tokens import tokenize

_CHUNK = 500
T = TypeVar("T")


def record_heat(
    conn: sqlite3.Connection, row: Mapping[str, Any], reply_count: int | None, view_count: int | None, stamp: int
) -> None:
    """Keep a snapshot when replies or views moved (or first became known)."""
    moved = (reply_count is not None and reply_count != row["reply_count"]) or (
        view_count is not None and view_count != row["view_count"]
    )
    if moved:
        conn.execute(
            "INSERT OR REPLACE INTO mention_counts (mention_rowid, at, reply_count, view_count) VALUES (?, ?, ?, ?)",
            (
                row["rowid"],
                stamp,
                reply_count if reply_count is not None else row["reply_count"],
                view_count if view_count is not None else row["view_count"],
            ),
        )


# The tags (the row's filter values, sqlite_facets.py) from the row just inserted.
_FTS_INSERT = (
    f"INSERT INTO mentions_fts (rowid, title, body, tags) SELECT ?, ?, ?, {fts_tags('m')} FROM mentions m"
    " WHERE m.rowid = ?"
)


def fts_columns(title: str, content: str) -> tuple[str, str]:
    return " ".join(tokenize(title)), " ".join(tokenize(content))


def notes_json(notes: tuple[str, ...]) -> str | None:
    return json.dumps(list(notes), ensure_ascii=False) if notes else None


def official_reply_json(reply: OfficialReply | None) -> str | None:
    doc = official_reply_doc(reply)
    return None if doc is None else json.dumps(doc, ensure_ascii=False)


@dataclass(frozen=True)
class _Incoming:
    """A crawled post with what is derived from it before the write lock is taken."""

    mention: NewMention
    digest: str
    published_at: int | None

    @property
    def id(self) -> str:
        return self.mention.id


_RANK = {"created": 3, "updated": 2, "unchanged": 1}


class CrawlStateMixin:
    if TYPE_CHECKING:  # provided by SqliteMentionStore

        def _write(self) -> AbstractContextManager[sqlite3.Connection]: ...
        def _connection(self) -> AbstractContextManager[sqlite3.Connection]: ...
        def _fetch(self, sql: str, params: Iterable[Any]) -> list[Mention]: ...

    # --- writing what a crawl found ----------------------------------------------------------------------

    def upsert_many(self, mentions: list[NewMention], *, now: datetime | None = None) -> UpsertResult:
        stamp = us(now) if now is not None else us(datetime.now(UTC))
        incoming = [_Incoming(m, content_hash(m.title, m.content), us_or_none(m.published_at)) for m in mentions]
        # Tokenise outside the write lock (it is the slow part), and only what is new or changed.
        known = self._hashes([i.id for i in incoming])
        columns = {(i.id, i.digest): self._columns_of(i) for i in incoming if known.get(i.id) != i.digest}
        outcome: dict[str, str] = {}
        with self._write() as conn:
            for item in incoming:
                status = self._upsert_one(conn, item, stamp, columns)
                # The same post twice in one batch is reported once, by its strongest outcome.
                if _RANK[status] > _RANK.get(outcome.get(item.id, ""), 0):
                    outcome[item.id] = status
        return UpsertResult(
            created=[k for k, v in outcome.items() if v == "created"],
            updated=[k for k, v in outcome.items() if v == "updated"],
            unchanged=[k for k, v in outcome.items() if v == "unchanged"],
        )

    @staticmethod
    def _columns_of(item: _Incoming) -> tuple[str, str]:
        return fts_columns(item.mention.title, item.mention.content)

    def _hashes(self, ids: list[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        with self._connection() as conn:
            for chunk in chunks(list(dict.fromkeys(ids))):
                marks = ",".join("?" * len(chunk))
                sql = f"SELECT id, content_hash FROM mentions WHERE id IN ({marks})"
                found.update((row["id"], row["content_hash"]) for row in conn.execute(sql, chunk))
        return found

    def _upsert_one(
        self,
        conn: sqlite3.Connection,
        item: _Incoming,
        stamp: int,
        columns: dict[tuple[str, str], tuple[str, str]],
    ) -> str:
        row = conn.execute(
            "SELECT rowid, content_hash, reply_count, view_count FROM mentions WHERE id = ?", (item.id,)
        ).fetchone()
        m = item.mention
        if row is not None and row["content_hash"] == item.digest:
            # Same text: only the heat (replies, views) may have moved; analysis stays valid.
            conn.execute(
                "UPDATE OR FAIL mentions SET reply_count = COALESCE(?, reply_count),"
                " view_count = COALESCE(?, view_count),"
                " up_votes = COALESCE(?, up_votes), down_votes = COALESCE(?, down_votes),"
                " status = COALESCE(?, status), official_reply = COALESCE(?, official_reply), last_seen_at = ?,"
                " deleted_at = NULL WHERE rowid = ?",
                (
                    m.reply_count,
                    m.view_count,
                    m.up_votes,
                    m.down_votes,
                    m.status,
                    official_reply_json(m.official_reply),
                    stamp,
                    row["rowid"],
                ),
            )
            record_heat(conn, row, m.reply_count, m.view_count, stamp)
            return "unchanged"
        # Another writer may have changed the row since _hashes looked: tokenise here then.
        title, body = columns.get((item.id, item.digest)) or self._columns_of(item)
        if row is None:
            rowid = self._insert(conn, item, stamp)
            conn.execute(_FTS_INSERT, (rowid, title, body, rowid))
            record_heat(
                conn, {"rowid": rowid, "reply_count": None, "view_count": None}, m.reply_count, m.view_count, stamp
            )
            return "created"
        self._replace_content(conn, row["rowid"], item, stamp)
        record_heat(conn, row, m.reply_count, m.view_count, stamp)
        conn.execute("UPDATE mentions_fts SET title = ?, body = ? WHERE rowid = ?", (title, body, row["rowid"]))
        return "updated"

    @staticmethod
    def _insert(conn: sqlite3.Connection, item: _Incoming, stamp: int) -> int:
        m = item.mention
        cur = conn.execute(
            "INSERT OR FAIL INTO mentions (id, source, post_id, url, title, content, author, published_at,"
            " discovered_at, updated_at, reply_count, view_count, content_hash, crawl_unit, unit, status, notes,"
            " last_seen_at, up_votes, down_votes, official_reply)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                item.id,
                m.source,
                m.post_id,
                m.url,
                m.title,
                m.content,
                m.author,
                item.published_at,
                stamp,
                stamp,
                m.reply_count,
                m.view_count,
                item.digest,
                m.unit,
                m.unit,
                m.status,
                notes_json(m.notes),
                stamp,
                m.up_votes,
                m.down_votes,
                official_reply_json(m.official_reply),
            ),
        )
        assert cur.lastrowid is not None
        return cur.lastrowid

    @staticmethod
    def _replace_content(conn: sqlite3.Connection, rowid: int, item: _Incoming, stamp: int) -> None:
        """An edited post: new text, same discovery time, and the old analysis dropped so it runs again."""
        m = item.mention
        conn.execute(
            "UPDATE OR FAIL mentions SET url = ?, title = ?, content = ?, author = ?, published_at = ?, updated_at = ?,"
            " reply_count = COALESCE(?, reply_count), view_count = COALESCE(?, view_count),"
            " up_votes = COALESCE(?, up_votes), down_votes = COALESCE(?, down_votes),"
            " content_hash = ?, crawl_unit = ?, analysis_unit = NULL, unit = ?, status = COALESCE(?, status),"
            " official_reply = COALESCE(?, official_reply), notes = ?, last_seen_at = ?, deleted_at = NULL,"
            " edits = edits + 1,"
            " analysed_at = NULL, analysis_seq = NULL, tokens = NULL, sentiment = NULL, sentiment_label = NULL,"
            " flags = NULL, level = NULL, post_type = NULL, explanation = NULL, event_id = NULL"
            " WHERE rowid = ?",
            (
                m.url,
                m.title,
                m.content,
                m.author,
                item.published_at,
                stamp,
                m.reply_count,
                m.view_count,
                m.up_votes,
                m.down_votes,
                item.digest,
                m.unit,
                m.unit,
                m.status,
                official_reply_json(m.official_reply),
                notes_json(m.notes),
                stamp,
                rowid,
            ),
        )
        conn.execute("DELETE FROM mention_schemes WHERE mention_rowid = ?", (rowid,))

    # --- heat, removals, revisits, duplicates --------------------------------------------------------------

    def record_counts(self, updates: list[CountUpdate], *, now: datetime | None = None) -> int:
        stamp = us(now or datetime.now(UTC))
        changed = 0
        with self._write() as conn:
            for update in updates:
                row = conn.execute(
                    "SELECT rowid, reply_count, view_count, up_votes, down_votes, status FROM mentions WHERE id = ?",
                    (update.mention_id,),
                ).fetchone()
                if row is None:
                    continue
                moved = any(
                    getattr(update, name) is not None and getattr(update, name) != row[name]
                    for name in ("reply_count", "view_count", "up_votes", "down_votes")
                )
                new_status = update.status is not None and update.status != row["status"]
                conn.execute(
                    "UPDATE OR FAIL mentions SET reply_count = COALESCE(?, reply_count),"
                    " view_count = COALESCE(?, view_count),"
                    " up_votes = COALESCE(?, up_votes), down_votes = COALESCE(?, down_votes),"
                    " status = COALESCE(?, status), last_seen_at = ? WHERE rowid = ?",
                    (
                        update.reply_count,
                        update.view_count,
                        update.up_votes,
                        update.down_votes,
                        update.status,
                        stamp,
                        row["rowid"],
                    ),
                )
                record_heat(conn, row, update.reply_count, update.view_count, stamp)
                changed += int(moved or new_status)
        return changed

    def count_history(self, mention_id: str) -> list[CountSnapshot]:
        with self._connection() as conn:
            rows = conn.execute(
                "SELECT c.at, c.reply_count, c.view_count FROM mention_counts c"
                " JOIN mentions m ON m.rowid = c.mention_rowid WHERE m.id = ? ORDER BY c.at",
                (mention_id,),
            ).fetchall()
        return [CountSnapshot(dt(r["at"]), r["reply_count"], r["view_count"]) for r in rows]

    def mark_deleted(self, mention_ids: list[str], *, now: datetime | None = None) -> int:
        stamp = us(now or datetime.now(UTC))
        marked = 0
        with self._write() as conn:
            for chunk in chunks(mention_ids):
                marks = ",".join("?" * len(chunk))
                cur = conn.execute(
                    f"UPDATE mentions SET deleted_at = ?, last_seen_at = ? WHERE id IN ({marks})"
                    " AND deleted_at IS NULL",
                    (stamp, stamp, *chunk),
                )
                marked += cur.rowcount
        return marked

    def mark_seen(self, mention_ids: list[str], *, now: datetime | None = None) -> None:
        stamp = us(now or datetime.now(UTC))
        with self._write() as conn:
            for chunk in chunks(mention_ids):
                marks = ",".join("?" * len(chunk))
                conn.execute(f"UPDATE mentions SET last_seen_at = ? WHERE id IN ({marks})", (stamp, *chunk))

    def revisit_due(
        self, source: str, *, published_since: datetime, seen_before: datetime, limit: int
    ) -> list[Mention]:
        if limit <= 0:
            return []
        since, before = us(published_since), us(seen_before)
        return self._fetch(
            "SELECT m.* FROM mentions m WHERE m.source = ? AND m.deleted_at IS NULL"
            " AND COALESCE(m.published_at, m.discovered_at) >= ? AND COALESCE(m.last_seen_at, 0) < ?"
            " ORDER BY COALESCE(m.last_seen_at, 0), m.rowid LIMIT ?",
            (source, since, before, limit),
        )

    def same_content(self, source: str, hashes: list[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        with self._connection() as conn:
            for chunk in chunks(list(dict.fromkeys(hashes))):
                marks = ",".join("?" * len(chunk))
                for row in conn.execute(
                    f"SELECT content_hash, MIN(id) AS id FROM mentions WHERE source = ? AND content_hash IN ({marks})"
                    " GROUP BY content_hash",
                    (source, *chunk),
                ):
                    found[row["content_hash"]] = row["id"]
        return found

    def add_aliases(self, aliases: Mapping[str, str]) -> None:
        if not aliases:
            return
        with self._write() as conn:
            conn.executemany(
                "INSERT OR IGNORE INTO mention_aliases (id, mention_id) VALUES (?, ?)", list(aliases.items())
            )

    def known_ids(self, ids: list[str]) -> set[str]:
        known: set[str] = set()
        with self._connection() as conn:
            for chunk in chunks(list(dict.fromkeys(ids))):
                marks = ",".join("?" * len(chunk))
                for row in conn.execute(
                    f"SELECT id FROM mentions WHERE id IN ({marks}) UNION SELECT id FROM mention_aliases"
                    f" WHERE id IN ({marks})",
                    (*chunk, *chunk),
                ):
                    known.add(row["id"])
        return known

    def latest_published(self, source: str) -> datetime | None:
        with self._connection() as conn:
            row = conn.execute("SELECT MAX(published_at) FROM mentions WHERE source = ?", (source,)).fetchone()
        return dt_or_none(row[0])


def chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    """`items` in slices of at most _CHUNK: one IN (...) list each."""
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]
