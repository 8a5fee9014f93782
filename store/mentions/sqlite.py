"""The embedded mention store: one SQLite file in WAL mode, FTS5 over space-joined jieba tokens.

Shared by the crawl subprocesses (writers), the scheduler (analysis) and the API (threads). Connections come
from a small pool, so any thread may use the store; writes take the write lock up front (BEGIN IMMEDIATE)
and wait for it (busy timeout) instead of failing with "database is locked".
Times are stored as integer microseconds since the Unix epoch, UTC.
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import threading
from collections.abc import Collection, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from store.mentions.model import Analysis, Mention, MentionStoreUnavailable, SearchQuery, SearchResult
from store.mentions.search_cache import SearchCache
from store.mentions.sqlite_crawl import CrawlStateMixin, chunks, fts_columns
from store.mentions.sqlite_facets import add_fts_tags, ensure_facets, mark_reclaim, reclaim_owed, reclaim_space
from store.mentions.sqlite_rows import mention_from_row as _mention
from store.mentions.sqlite_rows import official_reply_from_json
from store.mentions.sqlite_search import MAX_PAGE_SIZE
from store.mentions.sqlite_search import search as search_sqlite
from store.mentions.sqltime import us as _us

__all__ = ["DEFAULT_MMAP_BYTES", "MAX_PAGE_SIZE", "SqliteMentionStore", "official_reply_from_json"]

log = logging.getLogger(__name__)

SCHEMA_VERSION = 6
BUSY_TIMEOUT_S = 30  # a crawl batch or an analysis batch holds the write lock for well under this
MAX_IDLE_CONNECTIONS = 8
_CHUNK = 500  # ids per IN (...) list, far below SQLite's variable limit
# Reads through the page cache's mapping: far cheaper row lookups on a large store. Each pooled connection maps
# the file on its own, so RSS counts a shared page once per connection (PSS does not): see docs/sizing.md.
DEFAULT_MMAP_BYTES = 256 << 20

_SCHEMA = """
CREATE TABLE IF NOT EXISTS mentions (
    rowid INTEGER PRIMARY KEY,             -- joins the FTS index and mention_schemes
    id TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    post_id TEXT NOT NULL,
    url TEXT NOT NULL,
    title TEXT NOT NULL,
    content TEXT NOT NULL,
    author TEXT,
    published_at INTEGER,
    discovered_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    reply_count INTEGER,
    view_count INTEGER,
    content_hash TEXT NOT NULL,
    crawl_unit TEXT,                       -- the source's default unit, as the crawler gave it
    analysis_unit TEXT,                    -- the unit the analysis attributed, if any
    unit TEXT,                             -- effective: analysis_unit, else crawl_unit (filtered on)
    analysed_at INTEGER,
    analysis_seq INTEGER UNIQUE,
    tokens TEXT,                           -- JSON list
    sentiment REAL,
    sentiment_label TEXT,
    flags TEXT,                            -- JSON list of {scheme, words, positions}
    level INTEGER,
    post_type TEXT,                        -- 投诉/举报/求助/咨询/建议/表扬/其他, from the analysis
    explanation TEXT,                      -- JSON list
    event_id TEXT,
    status TEXT,                           -- as the board shows it (已回复/未回复)
    notes TEXT,                            -- JSON list: what the crawl noticed
    last_seen_at INTEGER,                  -- last fetched or listed by the crawler
    deleted_at INTEGER,                    -- removed from the board
    edits INTEGER NOT NULL DEFAULT 0,
    up_votes INTEGER,                      -- 点赞/支持, where the board shows votes
    down_votes INTEGER,                    -- 反对
    official_reply TEXT                    -- JSON {text, unit, replied_at}: the board's published answer
);
CREATE INDEX IF NOT EXISTS ix_mentions_discovered ON mentions(discovered_at, id);
CREATE INDEX IF NOT EXISTS ix_mentions_source ON mentions(source, discovered_at);
CREATE INDEX IF NOT EXISTS ix_mentions_unit ON mentions(unit, discovered_at);
CREATE INDEX IF NOT EXISTS ix_mentions_level ON mentions(level, discovered_at);
CREATE INDEX IF NOT EXISTS ix_mentions_sentiment ON mentions(sentiment_label, discovered_at);
CREATE INDEX IF NOT EXISTS ix_mentions_post_type ON mentions(post_type, discovered_at);
CREATE INDEX IF NOT EXISTS ix_mentions_pending ON mentions(discovered_at) WHERE analysed_at IS NULL;
CREATE INDEX IF NOT EXISTS ix_mentions_never_analysed ON mentions(discovered_at)
    WHERE analysed_at IS NULL AND analysis_seq IS NULL;
CREATE INDEX IF NOT EXISTS ix_mentions_source_hash ON mentions(source, content_hash);
CREATE INDEX IF NOT EXISTS ix_mentions_source_published ON mentions(source, published_at);
-- Replies and views over time (heat): a row when they change.
CREATE TABLE IF NOT EXISTS mention_counts (
    mention_rowid INTEGER NOT NULL,
    at INTEGER NOT NULL,
    reply_count INTEGER,
    view_count INTEGER,
    PRIMARY KEY (mention_rowid, at)
) WITHOUT ROWID;
-- Ids of a source's posts found to be a stored post again (same text under another id): known, not stored.
CREATE TABLE IF NOT EXISTS mention_aliases (
    id TEXT PRIMARY KEY,
    mention_id TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS mention_schemes (
    scheme TEXT NOT NULL,
    mention_rowid INTEGER NOT NULL,
    PRIMARY KEY (scheme, mention_rowid)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ix_mention_schemes_rowid ON mention_schemes(mention_rowid);
-- A regular (not contentless) FTS5 table: SQLite 3.40 cannot delete from a contentless one without the
-- old text, and edits must leave no stale words behind. unicode61 splits on the spaces between tokens.
-- tags: the row's filter values as tokens (sqlite_facets.py, fts_tags), for searches to filter inside FTS.
CREATE VIRTUAL TABLE IF NOT EXISTS mentions_fts USING fts5(title, body, tags);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""

_SELECT = "SELECT m.* FROM mentions m"
# One encoder for every analysis saved: json.dumps with an argument builds a new JSONEncoder per call. The same
# text as json.dumps(..., ensure_ascii=False).
_encode = json.JSONEncoder(ensure_ascii=False).encode
# What that encoder escapes in a string (ensure_ascii=False): quotes, backslashes and control characters.
_ESCAPED = re.compile(r'[\x00-\x1f"\\]')


def _encode_strings(values: list[str]) -> str:
    """`_encode` of a list of strings, the same text: joined as it is when no string needs an escape (a post's
    tokens and explanation lines nearly always; the encoder took ~10 µs for a post's ~55 tokens)."""
    try:
        joined = "".join(values)
    except TypeError:  # not all strings: the encoder says what it makes of them
        return _encode(values)
    if not values or _ESCAPED.search(joined):
        return _encode(values)
    return '["' + '", "'.join(values) + '"]'


def _analysis_row(rowid: int, a: Analysis, stamp: int, seq: int) -> tuple[Any, ...]:
    """An analysis as save_analysis's UPDATE binds it (_SAVE, or _SAVE_WITH_UNIT with the unit bound twice)."""
    # Most posts flag nothing: "[]" without the encoder (building its C encoder alone is ~2 µs a call).
    flags = (
        _encode([{"scheme": f.scheme, "words": f.words, "positions": f.positions} for f in a.flags])
        if a.flags
        else "[]"
    )
    unit = (a.unit, a.unit) if a.unit is not None else (None,)
    return (
        stamp,
        seq,
        _encode_strings(a.tokens),
        a.sentiment,
        a.sentiment_label,
        flags,
        a.level,
        a.post_type,
        *unit,
        _encode_strings(a.explanation),
        a.event_id,
        rowid,
    )


_SAVE_COLUMNS = (
    "analysed_at = ?, analysis_seq = ?, tokens = ?, sentiment = ?, sentiment_label = ?, flags = ?, level = ?,"
    " post_type = ?, analysis_unit = ?,{unit} explanation = ?, event_id = ?"
)
# An analysis that names no unit leaves `unit` out of its SET list: assigning it (even the value it has) fires the
# FTS tags trigger's check (store/mentions/sqlite_facets.py) on every row, a third of the statement's cost; the
# few rows whose unit does change (analysed before with a unit) get it back from the crawl in _RESTORE_UNIT.
_SAVE = f"UPDATE OR FAIL mentions SET {_SAVE_COLUMNS.format(unit='')} WHERE rowid = ?"
_SAVE_WITH_UNIT = f"UPDATE OR FAIL mentions SET {_SAVE_COLUMNS.format(unit=' unit = ?,')} WHERE rowid = ?"
_RESTORE_UNIT = "UPDATE OR FAIL mentions SET unit = crawl_unit WHERE rowid IN ({marks}) AND unit IS NOT crawl_unit"


class SqliteMentionStore(CrawlStateMixin):
    """The `MentionStore` on one SQLite file. Safe to share between threads; other processes may open it too."""

    def __init__(self, path: Path, *, mmap_bytes: int = DEFAULT_MMAP_BYTES) -> None:
        self.path = Path(path)
        self._mmap_bytes = max(0, int(mmap_bytes))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._idle: list[sqlite3.Connection] = []
        self._closed = False
        self._searches = SearchCache()
        self._version_lock = threading.Lock()
        self._version_conn: sqlite3.Connection | None = None  # reads only: sees every other connection's commits
        try:
            self._create_schema()
        except sqlite3.DatabaseError as exc:  # a damaged or foreign file: say which, not a traceback
            raise MentionStoreUnavailable(f"舆情库无法打开 (mention store {self.path}): {exc}") from exc

    # --- connections ------------------------------------------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        # check_same_thread=False: a pooled connection moves between threads, but only one uses it at a time.
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_S * 1000}")
        # NORMAL is safe from corruption in WAL mode; a power cut may lose the last commits, which a re-crawl
        # brings back.
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA temp_store = MEMORY")
        # The file shrinks only by the one VACUUM after the FTS rebuild (sqlite_facets.reclaim_space): SQLite drops a
        # connection's map when a read transaction finds the file changed, so no map outlives the old size.
        conn.execute(f"PRAGMA mmap_size = {self._mmap_bytes}")
        return conn

    def _acquire(self) -> sqlite3.Connection:
        with self._lock:
            if self._closed:
                raise RuntimeError("the mention store is closed")
            if self._idle:
                return self._idle.pop()
        return self._open()

    def _release(self, conn: sqlite3.Connection) -> None:
        if conn.in_transaction:  # only after a failed ROLLBACK; never hand on a connection mid-transaction
            conn.close()
            return
        with self._lock:
            if not self._closed and len(self._idle) < MAX_IDLE_CONNECTIONS:
                self._idle.append(conn)
                return
        conn.close()

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        conn = self._acquire()
        try:
            yield conn
        finally:
            self._release(conn)

    @contextmanager
    def _transaction(self, begin: str) -> Iterator[sqlite3.Connection]:
        with self._connection() as conn:
            conn.execute(begin)
            try:
                yield conn
            except BaseException:
                if conn.in_transaction:  # some errors (SQLITE_FULL, ...) have rolled back already
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _write(self) -> AbstractContextManager[sqlite3.Connection]:
        # IMMEDIATE takes the write lock now, waiting on the busy timeout; a deferred transaction that reads
        # first and writes later fails at once with SQLITE_BUSY when another process wrote in between.
        return self._transaction("BEGIN IMMEDIATE")

    def _read(self) -> AbstractContextManager[sqlite3.Connection]:
        """One snapshot for several statements, so the total, the page and the aggregations agree."""
        return self._transaction("BEGIN")

    def _create_schema(self) -> None:
        with self._connection() as conn:
            # WAL lets readers go on while a writer writes; the mode is stored in the file, set once.
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
        with self._write() as conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise RuntimeError(
                    f"{self.path} has mention-store schema {version}; this code knows up to {SCHEMA_VERSION}"
                )
            if version == 1:
                _migrate_from_1(conn)
            if version in (1, 2):
                _migrate_from_2(conn)
            if version in (1, 2, 3):
                _migrate_from_3(conn)
            if version in (1, 2, 3, 4):
                _migrate_from_4(conn)
            rebuilt = add_fts_tags(conn)  # version 5 and before: the FTS index without the filter values
            for statement in _statements(_SCHEMA):
                conn.execute(statement)
            if rebuilt:
                mark_reclaim(conn)
            ensure_facets(conn)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            owed = reclaim_owed(conn)
        if owed:  # the rebuild's free pages, once (a VACUUM: outside any transaction)
            reclaim_space(self.path, BUSY_TIMEOUT_S)

    def close(self) -> None:
        """Close idle connections; connections in use close when released. The store is unusable after."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()
        with self._version_lock:
            if self._version_conn is not None:
                self._version_conn.close()
                self._version_conn = None

    # --- writing ----------------------------------------------------------------------------------------

    def save_analysis(self, results: list[tuple[str, Analysis]], *, now: datetime | None = None) -> None:
        if not results:
            return
        stamp = _us(now) if now is not None else _us(datetime.now(UTC))
        with self._write() as conn:
            # A persistent counter, not max()+1: when the mention holding the highest number is edited its
            # number is cleared, and max()+1 would hand out a number a follower has already read past.
            row = conn.execute("SELECT value FROM meta WHERE key = 'analysis_seq'").fetchone()
            seq = int(row["value"]) if row else 0
            # The batch's rows in a few statements (their rowids, then one executemany each), numbered in order.
            keys = list(dict.fromkeys(key for key, _ in results))
            rowids: dict[str, int] = {}
            for chunk in chunks(keys):
                marks = ",".join("?" * len(chunk))
                rowids.update(conn.execute(f"SELECT id, rowid FROM mentions WHERE id IN ({marks})", chunk).fetchall())
            # Each mention's last analysis in the batch, with the later number (an UPDATE overwrites every
            # analysis column, so the earlier ones would leave nothing behind).
            updates: dict[int, tuple[bool, tuple[Any, ...]]] = {}
            schemes: dict[int, list[tuple[str, int]]] = {}
            for key, analysis in results:
                rowid = rowids.get(key)
                if rowid is None:
                    log.warning("帖子 %s 不在库中，其分析结果未保存", key)
                    continue
                seq += 1
                updates.pop(rowid, None)
                updates[rowid] = (analysis.unit is not None, _analysis_row(rowid, analysis, stamp, seq))
                schemes[rowid] = [(scheme, rowid) for scheme in dict.fromkeys(analysis.schemes)]
            with_unit = [row for named, row in updates.values() if named]
            without = [row for named, row in updates.values() if not named]
            if with_unit:
                conn.executemany(_SAVE_WITH_UNIT, with_unit)
            if without:
                conn.executemany(_SAVE, without)
            # One statement a chunk of rowids, not one a mention (most batches have nothing to change here).
            unnamed, analysed = [row[-1] for row in without], list(schemes)
            for part in chunks(unnamed):
                conn.execute(_RESTORE_UNIT.format(marks=",".join("?" * len(part))), part)
            for part in chunks(analysed):
                conn.execute(f"DELETE FROM mention_schemes WHERE mention_rowid IN ({','.join('?' * len(part))})", part)
            conn.executemany(
                "INSERT INTO mention_schemes (scheme, mention_rowid) VALUES (?, ?)",
                [pair for pairs in schemes.values() for pair in pairs],
            )
            conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('analysis_seq', ?)", (seq,))

    # --- reading ----------------------------------------------------------------------------------------

    def _fetch(self, sql: str, params: Iterable[Any]) -> list[Mention]:
        with self._connection() as conn:
            return [_mention(row) for row in conn.execute(sql, tuple(params))]

    def get(self, mention_id: str) -> Mention | None:
        found = self._fetch(f"{_SELECT} WHERE id = ?", (mention_id,))
        return found[0] if found else None

    def get_many(self, mention_ids: list[str]) -> list[Mention]:
        found: dict[str, Mention] = {}
        for chunk in chunks(list(dict.fromkeys(mention_ids))):
            marks = ",".join("?" * len(chunk))
            found.update((m.id, m) for m in self._fetch(f"{_SELECT} WHERE id IN ({marks})", chunk))
        return [found[i] for i in mention_ids if i in found]

    def _scalar(self, sql: str) -> int:
        with self._connection() as conn:
            return int(conn.execute(sql).fetchone()[0])

    def count(self) -> int:
        return self._scalar("SELECT COUNT(*) FROM mentions")

    def backlog(self) -> int:
        return self._scalar("SELECT COUNT(*) FROM mentions WHERE analysed_at IS NULL")

    def pending_analysis(self, limit: int, *, newest_first: bool = False) -> list[Mention]:
        return [_mention(row) for row in self._pending_rows(limit, newest_first=newest_first, tokens=False)]

    def pending_with_tokens(
        self, limit: int, *, newest_first: bool = False, exclude: Collection[str] | None = None
    ) -> list[tuple[Mention, tuple[list[str], list[str]] | None]]:
        """`pending_analysis`, each mention never analysed with its title and content tokens as indexed at ingest
        (`index_tokens`) from the same statement: the analysis job's batch in one read, not two. `exclude`: ids
        passed over (the job's newest, read before its oldest)."""
        return [
            (_mention(row), None if row["fts_title"] is None else (row["fts_title"].split(), row["fts_body"].split()))
            for row in self._pending_rows(limit, newest_first=newest_first, tokens=True, exclude=exclude)
        ]

    def _pending_rows(
        self, limit: int, *, newest_first: bool, tokens: bool, exclude: Collection[str] | None = None
    ) -> list[dict[str, Any]]:
        # New and edited posts first: a re-analysis of last month must not delay today's 30-minute clock.
        order = "m.discovered_at DESC, m.rowid DESC" if newest_first else "m.discovered_at, m.rowid"
        # INDEXED BY: without statistics the planner takes analysis_seq's unique index for "IS NULL" and sorts
        # every pending row (whole rows, content included) on each batch; the partial indexes hold exactly these
        # rows in this order, so a batch reads its rows and stops. The tokens by rowid, one row each.
        with_tokens = (
            (", f.title AS fts_title, f.body AS fts_body", " LEFT JOIN mentions_fts f ON f.rowid = m.rowid")
            if tokens
            else ("", "")
        )
        # A filter on the walk (ids checked as rows are read), not a plan of its own: at most a batch of ids.
        skip = list(exclude or ())
        if len(skip) > _CHUNK:
            raise ValueError(f"pending_with_tokens: at most {_CHUNK} ids to exclude, {len(skip)} given")
        unless = f" AND m.id NOT IN ({','.join('?' * len(skip))})" if skip else ""
        fresh = self._fetch_rows(
            f"SELECT m.*{with_tokens[0]} FROM mentions m INDEXED BY ix_mentions_never_analysed{with_tokens[1]}"
            f" WHERE m.analysed_at IS NULL AND m.analysis_seq IS NULL{unless} ORDER BY {order} LIMIT ?",
            (*skip, limit),
        )
        if len(fresh) == limit:
            return fresh
        # Queued again: analysed before, so segmented again (no tokens wanted).
        again = self._fetch_rows(
            f"SELECT m.*{', NULL AS fts_title, NULL AS fts_body' if tokens else ''} FROM mentions m"
            f" INDEXED BY ix_mentions_pending WHERE m.analysed_at IS NULL AND m.analysis_seq IS NOT NULL{unless}"
            f" ORDER BY {order} LIMIT ?",
            (*skip, limit - len(fresh)),
        )
        return fresh + again

    def _fetch_rows(self, sql: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
        """Rows as dicts: a mention is read by ~27 names, and sqlite3.Row finds a name by comparing it with each
        column's in turn (~40 columns: a fifth of the analysis job's reading of its batch)."""
        with self._connection() as conn:
            cursor = conn.cursor()
            cursor.row_factory = None
            cursor.execute(sql, params)
            names = [column[0] for column in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor]

    def index_tokens(self, mention_ids: list[str]) -> dict[str, tuple[list[str], list[str]]]:
        """id -> (title tokens, content tokens) as indexed at ingest (store.tokens.tokenize): analysis derives
        its words from them (store.tokens.words_from_tokens) instead of running jieba a second time."""
        found: dict[str, tuple[list[str], list[str]]] = {}
        with self._read() as conn:
            for chunk in chunks(list(dict.fromkeys(mention_ids))):
                marks = ",".join("?" * len(chunk))
                for row in conn.execute(
                    "SELECT m.id, f.title, f.body FROM mentions m JOIN mentions_fts f ON f.rowid = m.rowid"
                    f" WHERE m.id IN ({marks})",
                    chunk,
                ):
                    found[row[0]] = (row[1].split(), row[2].split())
        return found

    def request_reanalysis(self, *, since: datetime | None = None, until: datetime | None = None) -> int:
        with self._write() as conn:
            cursor = conn.execute(
                "UPDATE mentions SET analysed_at = NULL WHERE analysed_at IS NOT NULL"
                " AND discovered_at >= ? AND discovered_at < ?",
                (_us(since) if since else 0, _us(until) if until else 2**62),
            )
            return cursor.rowcount

    def analysed_since(self, seq: int, *, limit: int) -> list[Mention]:
        return self._fetch(f"{_SELECT} WHERE analysis_seq > ? ORDER BY analysis_seq LIMIT ?", (seq, limit))

    # --- search -----------------------------------------------------------------------------------------

    def search(self, query: SearchQuery) -> SearchResult:
        """Served from the recent results (store.mentions.search_cache) while the file is unchanged."""
        version = self._data_version()
        cached = self._searches.get(query, version)
        if cached is not None:
            return cached
        result = self._search(query)
        self._searches.put(query, version, result)
        return result

    def _data_version(self) -> int:
        """Changes whenever any other connection (this process's pool, another process) commits to the file."""
        with self._version_lock:
            if self._version_conn is None:
                self._version_conn = self._open()
            return int(self._version_conn.execute("PRAGMA data_version").fetchone()[0])

    def _search(self, query: SearchQuery) -> SearchResult:
        return search_sqlite(self._read, query)


def _migrate_from_1(conn: sqlite3.Connection) -> None:
    """Version 1 (the first draft): one FTS column, no analysis_unit, tokens space-joined instead of JSON."""
    conn.execute("ALTER TABLE mentions ADD COLUMN analysis_unit TEXT")
    # Version 1 kept only the effective unit; where it differs from the crawler's, the analysis chose it.
    conn.execute("UPDATE mentions SET analysis_unit = unit WHERE analysed_at IS NOT NULL AND unit IS NOT crawl_unit")
    rows = conn.execute("SELECT rowid, title, content, tokens FROM mentions").fetchall()
    conn.executemany(
        "UPDATE mentions SET tokens = ? WHERE rowid = ?",
        [(json.dumps(r["tokens"].split(" "), ensure_ascii=False), r["rowid"]) for r in rows if r["tokens"]],
    )
    conn.execute("DROP TABLE mentions_fts")
    conn.execute("DROP INDEX ix_mentions_discovered")  # now (discovered_at, id), the time sort
    conn.execute("CREATE VIRTUAL TABLE mentions_fts USING fts5(title, body)")
    conn.executemany(
        "INSERT INTO mentions_fts (rowid, title, body) VALUES (?, ?, ?)",
        [(r["rowid"], *fts_columns(r["title"], r["content"])) for r in rows],
    )


def _migrate_from_2(conn: sqlite3.Connection) -> None:
    """Version 2 had no crawl state: status, notes, when last seen, deletion, edit count."""
    for column in ("status TEXT", "notes TEXT", "last_seen_at INTEGER", "deleted_at INTEGER"):
        conn.execute(f"ALTER TABLE mentions ADD COLUMN {column}")
    conn.execute("ALTER TABLE mentions ADD COLUMN edits INTEGER NOT NULL DEFAULT 0")
    conn.execute("UPDATE mentions SET last_seen_at = updated_at")


def _migrate_from_3(conn: sqlite3.Connection) -> None:
    """Version 3 had no votes and no official reply."""
    for column in ("up_votes INTEGER", "down_votes INTEGER", "official_reply TEXT"):
        conn.execute(f"ALTER TABLE mentions ADD COLUMN {column}")


def _migrate_from_4(conn: sqlite3.Connection) -> None:
    """Version 4 did not keep the post type; `yuqing reanalyse` fills it for mentions analysed before."""
    conn.execute("ALTER TABLE mentions ADD COLUMN post_type TEXT")


def _statements(script: str) -> Iterator[str]:
    """The statements of the schema script (none contains ';' in a literal), comments removed."""
    lines = [line.split("--", 1)[0] for line in script.splitlines()]
    for statement in "\n".join(lines).split(";"):
        if statement.strip():
            yield statement.strip()
