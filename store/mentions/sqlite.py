"""The embedded mention store: one SQLite file in WAL mode, FTS5 over space-joined jieba tokens.

Shared by the crawl subprocesses (writers), the scheduler (analysis) and the API (threads). Connections come
from a small pool, so any thread may use the store; writes take the write lock up front (BEGIN IMMEDIATE)
and wait for it (busy timeout) instead of failing with "database is locked".
Times are stored as integer microseconds since the Unix epoch, UTC.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import math
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from store.mentions.highlight import fragments
from store.mentions.model import (
    Analysis,
    Bucket,
    DateHistogram,
    Mention,
    MentionStoreUnavailable,
    OfficialReply,
    SchemeFlag,
    SearchQuery,
    SearchResult,
    Terms,
    official_reply_from_doc,
)
from store.mentions.search_cache import SearchCache
from store.mentions.sqlite_crawl import CrawlStateMixin, fts_columns
from store.mentions.sqltime import dt as _dt
from store.mentions.sqltime import dt_or_none as _dt_or_none
from store.mentions.sqltime import us as _us
from store.mentions.textsearch import fts5, plan, positive_tokens

log = logging.getLogger(__name__)

SCHEMA_VERSION = 5
BUSY_TIMEOUT_S = 30  # a crawl batch or an analysis batch holds the write lock for well under this
MAX_IDLE_CONNECTIONS = 8
MAX_PAGE_SIZE = 1000
_CHUNK = 500  # ids per IN (...) list, far below SQLite's variable limit
_BUCKET_US = {"hour": 3_600_000_000, "day": 86_400_000_000}
_INT64 = 2**63
_TERM_KEYS = {
    "source": "m.source",
    "unit": "m.unit",
    "sentiment_label": "m.sentiment_label",
    "level": "CAST(m.level AS TEXT)",  # keys are strings, ordered as strings on every backend
    "post_type": "m.post_type",
}
_BM25 = "bm25(mentions_fts, 3.0, 1.0)"  # a word in the title counts more than one in the body
# Up to this many matches of the words, every match is looked up by rowid (about a microsecond each);
# above it, SQLite's planner may walk a filter's index instead.
FTS_DRIVEN_MAX = 50_000
# Without statistics SQLite takes any equality for selective; three labels, five levels, seven types are not.
_LOW_CARDINALITY = ("m.sentiment_label", "m.level", "m.post_type")
_STEERABLE = ("m.discovered_at", "m.source", "m.unit", *_LOW_CARDINALITY)
# One search's matches, narrow, in memory (temp_store = MEMORY): the total, the page and every aggregation
# read them instead of each looking the matching rows up again.
_HITS = "temp.search_hits"
_HITS_TABLE = (
    "CREATE TEMP TABLE IF NOT EXISTS search_hits (rowid INTEGER PRIMARY KEY, discovered_at INTEGER,"
    " published_at INTEGER, id TEXT, source TEXT, unit TEXT, sentiment_label TEXT, level INTEGER, post_type TEXT,"
    " score REAL)"
)
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
CREATE VIRTUAL TABLE IF NOT EXISTS mentions_fts USING fts5(title, body);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""

_SELECT = "SELECT m.* FROM mentions m"


# --- values -------------------------------------------------------------------------------------------------


def _match_expression(text: str) -> str | None:
    """The analysts' query as an FTS5 expression of quoted tokens (user input never becomes FTS5 syntax); None
    when it has no word to look for."""
    found = plan(text)
    return None if found is None else fts5(found)


# --- cursors ------------------------------------------------------------------------------------------------

Sort = Literal["time", "relevance", "heat"]
# Heat: how much a post is being talked about on its board. A reply says more than a vote (点赞/反对), a vote
# more than a view. Negated, so that heat and relevance (bm25: lower is better) both page in ascending order
# of one number, the score.
_HEAT = (
    "-(COALESCE(m.reply_count, 0) * 10 + (COALESCE(m.up_votes, 0) + COALESCE(m.down_votes, 0)) * 5"
    " + COALESCE(m.view_count, 0))"
)
_SCORED = ("relevance", "heat")


def _encode_cursor(sort: Sort, after: list[Any]) -> str:
    raw = json.dumps({"sort": sort, "after": after}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str, sort: Sort) -> list[Any]:
    """The sort values of the last hit seen; anything else is `ValueError("invalid cursor")`."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw)
    except (ValueError, binascii.Error):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise ValueError("invalid cursor") from None
    if not isinstance(payload, dict) or payload.get("sort") != sort or not isinstance(payload.get("after"), list):
        raise ValueError("invalid cursor")
    after: list[Any] = payload["after"]
    # time: [discovered_at, id]; relevance and heat: [score, discovered_at, id]
    if sort in _SCORED:
        if len(after) != 3 or not _is_score(after[0]):
            raise ValueError("invalid cursor")
        after_time = after[1:]
    else:
        after_time = after
    if len(after_time) != 2 or not _is_int64(after_time[0]) or not isinstance(after_time[1], str):
        raise ValueError("invalid cursor")
    return after


def _is_int64(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and -_INT64 <= value < _INT64


def _is_score(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


# --- rows ---------------------------------------------------------------------------------------------------


def _analysis(row: sqlite3.Row) -> Analysis:
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


def _analysis_row(rowid: int, a: Analysis, stamp: int, seq: int) -> tuple[Any, ...]:
    """An analysis as save_analysis's UPDATE binds it."""
    flags = [{"scheme": f.scheme, "words": f.words, "positions": f.positions} for f in a.flags]
    return (
        stamp,
        seq,
        json.dumps(a.tokens, ensure_ascii=False),
        a.sentiment,
        a.sentiment_label,
        json.dumps(flags, ensure_ascii=False),
        a.level,
        a.post_type,
        a.unit,
        a.unit,
        json.dumps(a.explanation, ensure_ascii=False),
        a.event_id,
        rowid,
    )


def _mention(row: sqlite3.Row) -> Mention:
    # A mention queued for re-analysis keeps showing its last analysis (analysis_seq stays set until then).
    analysed = row["analysed_at"] is not None or row["analysis_seq"] is not None
    return Mention(
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
        analysis=_analysis(row) if analysed else None,
        status=row["status"],
        notes=tuple(json.loads(row["notes"] or "[]")),
        last_seen_at=_dt_or_none(row["last_seen_at"]),
        deleted_at=_dt_or_none(row["deleted_at"]),
        up_votes=row["up_votes"],
        down_votes=row["down_votes"],
        edits=row["edits"],
        official_reply=official_reply_from_json(row["official_reply"]),
    )


@dataclass(frozen=True)
class _Filter:
    """Every match of a query, shared by the total, the page and the aggregations.

    The words are a set of FTS rowids (`rowid IN (SELECT ... MATCH)`), built once per statement: as a join,
    SQLite's planner prefers to walk a filter's index and probe the FTS index once per row, which is many
    times slower. Ranking needs the FTS cursor itself, so the relevance page joins with FTS on the left.
    """

    match: str | None
    conditions: list[str]
    condition_params: list[Any]
    materialized: bool = False  # the matches are in _HITS (columns as in mentions, plus the score)

    @property
    def sql(self) -> str:
        """`FROM mentions m WHERE ...`, with the words as a rowid set."""
        if self.materialized:
            return f"FROM {_HITS} m WHERE 1"
        words = ["m.rowid IN (SELECT rowid FROM mentions_fts WHERE mentions_fts MATCH ?)"] if self.match else []
        return "FROM mentions m WHERE " + (" AND ".join(words + self.conditions) or "1")

    @property
    def params(self) -> list[Any]:
        """The parameters of both `sql` and `ranked_sql`."""
        return ([self.match] if self.match else []) + self.condition_params

    @property
    def ranked_sql(self) -> str:
        """FTS first (CROSS JOIN fixes the join order), so bm25() can be computed. Needs words."""
        return "FROM mentions_fts CROSS JOIN mentions m ON m.rowid = mentions_fts.rowid WHERE " + " AND ".join(
            ["mentions_fts MATCH ?", *self.conditions]
        )


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
        conn.execute(f"PRAGMA mmap_size = {self._mmap_bytes}")  # safe here: the store never truncates its file
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
            for statement in _statements(_SCHEMA):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

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
            for i in range(0, len(keys), 500):
                chunk = keys[i : i + 500]
                marks = ",".join("?" * len(chunk))
                rowids.update(conn.execute(f"SELECT id, rowid FROM mentions WHERE id IN ({marks})", chunk).fetchall())
            updates, schemes = [], {}
            for key, analysis in results:
                rowid = rowids.get(key)
                if rowid is None:
                    log.warning("帖子 %s 不在库中，其分析结果未保存", key)
                    continue
                seq += 1
                updates.append(_analysis_row(rowid, analysis, stamp, seq))
                schemes[rowid] = [(scheme, rowid) for scheme in dict.fromkeys(analysis.schemes)]  # the last one's
            conn.executemany(
                "UPDATE mentions SET analysed_at = ?, analysis_seq = ?, tokens = ?, sentiment = ?,"
                " sentiment_label = ?, flags = ?, level = ?, post_type = ?, analysis_unit = ?,"
                " unit = COALESCE(?, crawl_unit), explanation = ?, event_id = ? WHERE rowid = ?",
                updates,
            )
            conn.executemany("DELETE FROM mention_schemes WHERE mention_rowid = ?", [(r,) for r in schemes])
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
        for chunk in _chunks(list(dict.fromkeys(mention_ids))):
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
        # New and edited posts first: a re-analysis of last month must not delay today's 30-minute clock.
        order = "discovered_at DESC, rowid DESC" if newest_first else "discovered_at, rowid"
        fresh = self._fetch(
            f"{_SELECT} WHERE analysed_at IS NULL AND analysis_seq IS NULL ORDER BY {order} LIMIT ?",
            (limit,),
        )
        if len(fresh) == limit:
            return fresh
        again = self._fetch(
            f"{_SELECT} WHERE analysed_at IS NULL AND analysis_seq IS NOT NULL ORDER BY {order} LIMIT ?",
            (limit - len(fresh),),
        )
        return fresh + again

    def index_tokens(self, mention_ids: list[str]) -> dict[str, tuple[list[str], list[str]]]:
        """id -> (title tokens, content tokens) as indexed at ingest (store.tokens.tokenize): analysis derives
        its words from them (store.tokens.words_from_tokens) instead of running jieba a second time."""
        found: dict[str, tuple[list[str], list[str]]] = {}
        with self._read() as conn:
            for chunk in _chunks(list(dict.fromkeys(mention_ids))):
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
        _check_sizes(query)
        sort: Sort = query.sort if query.sort == "heat" or (query.sort == "relevance" and _has_text(query)) else "time"
        after = _decode_cursor(query.cursor, sort) if query.cursor else None
        where = _filter(query)
        if where is None:  # words given, but none a word can be searched by (only punctuation or emoji)
            empty: dict[str, list[Bucket]] = {agg.name: [] for agg in query.aggs}
            return SearchResult(total=0, hits=[], next_cursor=None, aggregations=empty)
        with self._read() as conn:
            has_words = where.match is not None
            if has_words:
                where = _materialize(conn, where, sort)
            try:
                total = int(conn.execute(f"SELECT COUNT(*) {where.sql}", where.params).fetchone()[0])
                hits, next_cursor = _page(conn, where, sort, after, query.size)
                aggregations = {agg.name: _aggregate(conn, where, agg) for agg in query.aggs}
            finally:
                if where.materialized:
                    conn.execute(f"DELETE FROM {_HITS}")
        highlights: dict[str, dict[str, list[str]]] = {}
        if query.highlight and has_words:
            tokens = positive_tokens(plan(query.text))
            for hit in hits:
                marked = {name: fragments(getattr(hit, name), tokens) for name in ("title", "content")}
                if any(marked.values()):
                    highlights[hit.id] = {name: found for name, found in marked.items() if found}
        return SearchResult(
            total=total, hits=hits, next_cursor=next_cursor, aggregations=aggregations, highlights=highlights
        )


# --- search helpers -----------------------------------------------------------------------------------------


def _check_sizes(query: SearchQuery) -> None:
    if not 1 <= query.size <= MAX_PAGE_SIZE:
        raise ValueError(f"size must be between 1 and {MAX_PAGE_SIZE}")
    for agg in query.aggs:
        if isinstance(agg, Terms) and not 1 <= agg.size <= MAX_PAGE_SIZE:
            raise ValueError(f"terms size must be between 1 and {MAX_PAGE_SIZE}")


def _has_text(query: SearchQuery) -> bool:
    return query.text is not None and bool(query.text.strip())


def _filter(query: SearchQuery) -> _Filter | None:
    """The matches of `query`, or None when its text has no searchable word (so nothing matches)."""
    match = None
    if _has_text(query):
        match = _match_expression(query.text or "")
        if match is None:
            return None
    where: list[str] = []
    params: list[Any] = []
    if query.since is not None:
        where.append("m.discovered_at >= ?")
        params.append(_us(query.since))
    if query.until is not None:
        where.append("m.discovered_at < ?")
        params.append(_us(query.until))
    for column, values in (
        ("m.source", query.sources),
        ("m.unit", query.units),
        ("m.sentiment_label", query.sentiment_labels),
        ("m.post_type", query.post_types),
    ):
        if values:
            where.append(f"{column} IN ({','.join('?' * len(values))})")
            params.extend(values)
    if query.schemes:
        marks = ",".join("?" * len(query.schemes))
        where.append(f"m.rowid IN (SELECT mention_rowid FROM mention_schemes WHERE scheme IN ({marks}))")
        params.extend(query.schemes)
    if query.min_level is not None:  # not analysed yet means no level: such mentions do not pass
        where.append("m.level >= ?")
        params.append(query.min_level)
    if query.events:
        where.append(f"m.event_id IN ({','.join('?' * len(query.events))})")
        params.extend(query.events)
    return _Filter(match=match, conditions=where, condition_params=params)


def _steered(where: _Filter, columns: tuple[str, ...]) -> _Filter:
    """The same filter with these columns' conditions unusable as an index (`+column`): the planner then
    drives the statement from another set — the words' rowids, or a more selective index."""
    conditions = [f"+{c}" if c.startswith(columns) else c for c in where.conditions]
    return _Filter(match=where.match, conditions=conditions, condition_params=where.condition_params)


def _materialize(conn: sqlite3.Connection, where: _Filter, sort: Sort) -> _Filter:
    """Put the matches of a query with words into _HITS, reading each matching row once."""
    conn.execute(_HITS_TABLE)
    conn.execute(f"DELETE FROM {_HITS}")
    if sort == "relevance":
        source, score = where.ranked_sql, _BM25  # ranking needs the FTS cursor: FTS drives
    else:
        score = _HEAT if sort == "heat" else "0"
        matches = conn.execute("SELECT COUNT(*) FROM mentions_fts WHERE mentions_fts MATCH ?", [where.match])
        few = int(matches.fetchone()[0]) <= FTS_DRIVEN_MAX
        source = _steered(where, _STEERABLE if few else _LOW_CARDINALITY).sql
    conn.execute(
        f"INSERT INTO {_HITS} SELECT m.rowid, m.discovered_at, m.published_at, m.id, m.source, m.unit,"
        f" m.sentiment_label, m.level, m.post_type, {score} {source}",
        where.params,
    )
    return _Filter(match=None, conditions=[], condition_params=[], materialized=True)


def _page(
    conn: sqlite3.Connection, where: _Filter, sort: Sort, after: list[Any] | None, size: int
) -> tuple[list[Mention], str | None]:
    """One page after the cursor (search_after): newer mentions sort before it, so they never shift a page."""
    if where.materialized:
        score = "m.score" if sort in _SCORED else "0"
        sql = f"SELECT m.rowid AS rowid, m.discovered_at, m.id, {score} AS _score {where.sql}"
    else:
        score = {"relevance": _BM25, "heat": _HEAT}.get(sort, "0")
        sql = f"SELECT m.*, {score} AS _score {where.ranked_sql if sort == 'relevance' else where.sql}"
    params = where.params
    if after is not None and sort == "time":
        sql += " AND (m.discovered_at, m.id) < (?, ?)"
        params += after
    elif after is not None:
        sql += f" AND ({score} > ? OR ({score} = ? AND (m.discovered_at, m.id) < (?, ?)))"
        params += [after[0], *after]
    order = "m.discovered_at DESC, m.id DESC"
    sql += f" ORDER BY {'_score, ' if sort in _SCORED else ''}{order} LIMIT ?"
    rows = conn.execute(sql, [*params, size + 1]).fetchall()  # one more row tells whether a next page exists
    rows, more = rows[:size], len(rows) > size
    next_cursor = None
    if more:
        last = rows[-1]
        position = [last["discovered_at"], last["id"]]
        next_cursor = _encode_cursor(sort, [last["_score"], *position] if sort in _SCORED else position)
    if where.materialized:  # the page's whole rows, in the page's order
        marks = ",".join("?" * len(rows))
        full = {
            r["rowid"]: r
            for r in conn.execute(f"SELECT m.* FROM mentions m WHERE m.rowid IN ({marks})", [r["rowid"] for r in rows])
        }
        rows = [full[r["rowid"]] for r in rows]
    return [_mention(row) for row in rows], next_cursor


def _aggregate(conn: sqlite3.Connection, where: _Filter, agg: DateHistogram | Terms) -> list[Bucket]:
    if isinstance(agg, DateHistogram):
        return _date_histogram(conn, where, agg)
    if agg.field == "schemes":
        sql = (
            "SELECT s.scheme AS k, COUNT(*) AS n FROM mention_schemes s"
            f" WHERE s.mention_rowid IN (SELECT m.rowid {where.sql})"
            " GROUP BY k ORDER BY n DESC, k LIMIT ?"
        )
    else:
        key = _TERM_KEYS[agg.field]
        sql = (
            f"SELECT {key} AS k, COUNT(*) AS n {where.sql} AND {key} IS NOT NULL GROUP BY k ORDER BY n DESC, k LIMIT ?"
        )
    rows = conn.execute(sql, [*where.params, agg.size])
    return [Bucket(key=str(row["k"]), count=int(row["n"])) for row in rows]


def _date_histogram(conn: sqlite3.Connection, where: _Filter, agg: DateHistogram) -> list[Bucket]:
    width = _BUCKET_US[agg.interval]
    column = "m.published_at" if agg.field == "published_at" else "m.discovered_at"
    # Floor, not SQLite's truncating division, so times before 1970 land in the right bucket too.
    start = f"({column} - (({column} % {width}) + {width}) % {width})"
    sql = f"SELECT {start} AS k, COUNT(*) AS n {where.sql} AND {column} IS NOT NULL GROUP BY k ORDER BY k"
    return [Bucket(key=_dt(row["k"]).isoformat(), count=int(row["n"])) for row in conn.execute(sql, where.params)]


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


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _statements(script: str) -> Iterator[str]:
    """The statements of the schema script (none contains ';' in a literal), comments removed."""
    lines = [line.split("--", 1)[0] for line in script.splitlines()]
    for statement in "\n".join(lines).split(";"):
        if statement.strip():
            yield statement.strip()
