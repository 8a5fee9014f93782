"""The LSH band keys of the SQLite workflow store, held in memory instead of the `event_bands` table.

A band key is a function of a member's signature, which `event_members` stores anyway; so on SQLite the keys are
not written at all (~20 rows a mention into a primary key on a random 64-bit value dirtied a page of that index
per row, and every commit wrote those pages to the WAL: a third of the job's own cost). Before each lookup the
memory reads the members added since its last read (`rowid` above its mark: ours of the last batch and any other
writer's), so it holds exactly what the committed table holds, whoever wrote it; a batch that rolls back was
never read. Keys are the bands' own bytes (analysis/events/minhash.py `band_rows`): nothing hashed.
"""

from __future__ import annotations

import sqlite3
import threading
import weakref
from collections.abc import Callable, Collection, Iterable
from datetime import datetime, timedelta

from sqlalchemy import Engine

from analysis.events.index import Posting, hold_all, recent_postings
from analysis.events.minhash import stored_band_rows

# Once the lookups' bound has moved this far past the floor, postings more than half of it behind the bound are
# dropped (one pass over the memory): it holds about the clustering window, not every member since the process
# started, and a batch a little older than the last (the fresh lane's neighbours) still finds its postings held.
COMPACT_AFTER = timedelta(hours=12)
REMEMBER_AT_MOST = 10_000  # signatures written and not yet read back: a few batches


class BandMemory:
    """Postings of every member discovered since `floor`, by band bytes, in the table's key order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # A key's one posting, or its list when several share it: most keys have one, and a list each would be
        # ~20 allocations a member (the garbage collector's work as much as the lists').
        self._bands: dict[bytes, Posting | list[Posting]] = {}
        self._mark = 0  # the highest event_members rowid read
        self._floor: datetime | None = None
        # Band keys of the signatures this process wrote since the last read (keys are a function of the
        # signature alone): reading our own members back does not compute them a second time.
        self._written: dict[bytes, list[bytes]] = {}

    def remember(self, written: Iterable[tuple[bytes, list[bytes]]]) -> None:
        """Stored signatures with their band keys (`stored_band_rows`), as a batch writes its members."""
        with self._lock:
            if len(self._written) > REMEMBER_AT_MOST:  # written and never read back (rolled back, or no reads)
                self._written = {}
            self._written.update(written)

    def postings(
        self,
        conn: sqlite3.Connection,
        keys: Collection[bytes],
        since: datetime,
        *,
        bound: Callable[[datetime], object],
        parse: Callable[[str], datetime],
    ) -> dict[bytes, list[Posting]]:
        """The members stored under each key with seen_at >= since, by mention id (the table's primary key order,
        so ties between equally similar copies go the way they went when the table was read)."""
        if not keys:
            return {}
        with self._lock:
            self._catch_up(conn, since, bound, parse)
            found = recent_postings(self._bands, keys, since)
        for recent in found.values():
            if len(recent) > 1:
                recent.sort()
        return found

    def _catch_up(
        self,
        conn: sqlite3.Connection,
        since: datetime,
        bound: Callable[[datetime], object],
        parse: Callable[[str], datetime],
    ) -> None:
        (top,) = conn.execute("SELECT COALESCE(MAX(rowid), 0) FROM event_members").fetchone()
        if self._floor is None or since < self._floor or top < self._mark:
            # First use, an older bound than held, or rows gone (another file at this engine's path): read again.
            self._bands, self._mark, self._floor = {}, 0, since
        elif since - self._floor > COMPACT_AFTER:
            floor = self._floor = since - COMPACT_AFTER / 2
            kept: dict[bytes, Posting | list[Posting]] = {}
            for key, held in self._bands.items():
                if not isinstance(held, list):
                    if held.seen_at >= floor:
                        kept[key] = held
                elif recent := [p for p in held if p.seen_at >= floor]:
                    kept[key] = recent if len(recent) > 1 else recent[0]
            self._bands = kept
        bands = self._bands
        mark = self._mark
        written, self._written = self._written, {}
        rows = conn.execute(
            "SELECT rowid, mention_id, event_id, discovered_at, signature FROM event_members"
            " WHERE rowid > ? AND discovered_at >= ?",
            (mark, bound(self._floor)),
        )
        for rowid, mention_id, event_id, discovered_at, signature in rows:
            posting = Posting(mention_id, event_id, parse(discovered_at))
            keys = written.get(signature)
            hold_all(bands, stored_band_rows(signature) if keys is None else keys, posting)
            mark = max(mark, rowid)
        # Rows between the two statements that were filtered out are older than the floor: never needed.
        self._mark = max(mark, top)


_MEMORIES: weakref.WeakKeyDictionary[Engine, BandMemory] = weakref.WeakKeyDictionary()
_MEMORIES_LOCK = threading.Lock()


def band_memory(engine: Engine) -> BandMemory:
    """The memory of the database behind `engine`, for as long as the engine lives."""
    with _MEMORIES_LOCK:
        memory = _MEMORIES.get(engine)
        if memory is None:
            memory = _MEMORIES[engine] = BandMemory()
        return memory
