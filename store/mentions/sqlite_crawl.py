"""What the crawlers keep track of in the embedded store: heat over time, removals, what to revisit, the
high-water mark and same-text duplicates. A mixin of SqliteMentionStore, kept apart from search and analysis."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from store.mentions.model import CountSnapshot, CountUpdate, Mention
from store.mentions.sqltime import dt, dt_or_none, us

_CHUNK = 500


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


class CrawlStateMixin:
    if TYPE_CHECKING:  # provided by SqliteMentionStore

        def _write(self) -> AbstractContextManager[sqlite3.Connection]: ...
        def _connection(self) -> AbstractContextManager[sqlite3.Connection]: ...
        def _fetch(self, sql: str, params: Iterable[Any]) -> list[Mention]: ...

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
                    "UPDATE mentions SET reply_count = COALESCE(?, reply_count), view_count = COALESCE(?, view_count),"
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
            for chunk in _chunks(mention_ids):
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
            for chunk in _chunks(mention_ids):
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
            for chunk in _chunks(list(dict.fromkeys(hashes))):
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
            for chunk in _chunks(list(dict.fromkeys(ids))):
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


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]
