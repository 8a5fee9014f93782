"""The embedded mention store: one SQLite file (WAL), FTS5 over jieba tokens.

Shared by the crawl subprocesses (writers), the scheduler (analysis) and the API (threads): each thread has
its own connection, writes take the lock up front (BEGIN IMMEDIATE) and wait for it (busy timeout).
Times are stored as integer microseconds since the epoch, UTC.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from store.mentions.model import (
    Analysis,
    Bucket,
    DateHistogram,
    Mention,
    NewMention,
    SchemeFlag,
    SearchQuery,
    SearchResult,
    Terms,
    UpsertResult,
)
from store.tokens import normalise, tokenize

SCHEMA_VERSION = 1
_US = 1_000_000
_BUCKET_US = {"hour": 3600 * _US, "day": 86400 * _US}
_TERM_COLUMNS = {"source": "m.source", "unit": "m.unit", "sentiment_label": "m.sentiment_label", "level": "m.level"}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS mentions (
    rowid INTEGER PRIMARY KEY,
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
    crawl_unit TEXT,
    unit TEXT,
    analysed_at INTEGER,
    analysis_seq INTEGER UNIQUE,
    tokens TEXT,
    sentiment REAL,
    sentiment_label TEXT,
    flags TEXT,
    level INTEGER,
    explanation TEXT,
    event_id TEXT
);
CREATE INDEX IF NOT EXISTS ix_mentions_discovered ON mentions(discovered_at);
CREATE INDEX IF NOT EXISTS ix_mentions_source ON mentions(source, discovered_at);
CREATE INDEX IF NOT EXISTS ix_mentions_unit ON mentions(unit, discovered_at);
CREATE INDEX IF NOT EXISTS ix_mentions_level ON mentions(level, discovered_at);
CREATE INDEX IF NOT EXISTS ix_mentions_pending ON mentions(discovered_at) WHERE analysed_at IS NULL;
CREATE TABLE IF NOT EXISTS mention_schemes (
    scheme TEXT NOT NULL,
    mention_rowid INTEGER NOT NULL,
    PRIMARY KEY (scheme, mention_rowid)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ix_mention_schemes_rowid ON mention_schemes(mention_rowid);
CREATE VIRTUAL TABLE IF NOT EXISTS mentions_fts USING fts5(body);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


def _us(at: datetime | None) -> int | None:
    if at is None:
        return None
    if at.tzinfo is None:
        raise ValueError("naive datetime given to the mention store")
    return int(at.timestamp() * _US)


def _dt(us: int | None) -> datetime | None:
    return None if us is None else datetime.fromtimestamp(us / _US, UTC)


def _now_us() -> int:
    return int(datetime.now(UTC).timestamp() * _US)


def content_hash(title: str, content: str) -> str:
    return hashlib.sha256(normalise(f"{title}\n{content}").strip().encode("utf-8")).hexdigest()


def _fts_match(text: str) -> str | None:
    """Every token required, each quoted: user input can never be FTS5 syntax."""
    tokens = list(dict.fromkeys(tokenize(text)))
    if not tokens:
        return None
    return " ".join('"' + t.replace('"', '""') + '"' for t in tokens)


def _encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, size: int) -> list[Any]:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, UnicodeDecodeError):
        raise ValueError("invalid cursor") from None
    if not isinstance(values, list) or len(values) != size or not all(isinstance(v, int | float) for v in values):
        raise ValueError("invalid cursor")
    return values


class SqliteMentionStore:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        conn = self._conn()
        conn.executescript(_SCHEMA)  # idempotent: every statement is IF NOT EXISTS
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    # --- connections ------------------------------------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")  # take the write lock now, so a busy database is waited for
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()

    # --- writing ----------------------------------------------------------------------------------------

    def upsert_many(self, mentions: list[NewMention], *, now: datetime | None = None) -> UpsertResult:
        created: list[str] = []
        updated: list[str] = []
        unchanged: list[str] = []
        stamp = _us(now) if now is not None else _now_us()
        with self._write() as conn:
            for m in mentions:
                key = m.id
                digest = content_hash(m.title, m.content)
                row = conn.execute("SELECT rowid, content_hash FROM mentions WHERE id = ?", (key,)).fetchone()
                if row is None:
                    cur = conn.execute(
                        "INSERT INTO mentions (id, source, post_id, url, title, content, author, published_at,"
                        " discovered_at, updated_at, reply_count, view_count, content_hash, crawl_unit, unit)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            key,
                            m.source,
                            m.post_id,
                            m.url,
                            m.title,
                            m.content,
                            m.author,
                            _us(m.published_at),
                            stamp,
                            stamp,
                            m.reply_count,
                            m.view_count,
                            digest,
                            m.unit,
                            m.unit,
                        ),
                    )
                    self._index(conn, int(cur.lastrowid or 0), m)
                    created.append(key)
                elif row["content_hash"] == digest:
                    # Same text: only the heat (replies, views) may have moved.
                    conn.execute(
                        "UPDATE mentions SET reply_count = COALESCE(?, reply_count),"
                        " view_count = COALESCE(?, view_count) WHERE rowid = ?",
                        (m.reply_count, m.view_count, row["rowid"]),
                    )
                    unchanged.append(key)
                else:
                    # Edited: keep the discovery time, drop the old analysis so it runs again.
                    conn.execute(
                        "UPDATE mentions SET url = ?, title = ?, content = ?, author = ?, published_at = ?,"
                        " updated_at = ?, reply_count = COALESCE(?, reply_count),"
                        " view_count = COALESCE(?, view_count), content_hash = ?, crawl_unit = ?, unit = ?,"
                        " analysed_at = NULL, analysis_seq = NULL, tokens = NULL, sentiment = NULL,"
                        " sentiment_label = NULL, flags = NULL, level = NULL, explanation = NULL, event_id = NULL"
                        " WHERE rowid = ?",
                        (
                            m.url,
                            m.title,
                            m.content,
                            m.author,
                            _us(m.published_at),
                            stamp,
                            m.reply_count,
                            m.view_count,
                            digest,
                            m.unit,
                            m.unit,
                            row["rowid"],
                        ),
                    )
                    conn.execute("DELETE FROM mention_schemes WHERE mention_rowid = ?", (row["rowid"],))
                    conn.execute("DELETE FROM mentions_fts WHERE rowid = ?", (row["rowid"],))
                    self._index(conn, row["rowid"], m)
                    updated.append(key)
        return UpsertResult(created=created, updated=updated, unchanged=unchanged)

    @staticmethod
    def _index(conn: sqlite3.Connection, rowid: int, m: NewMention) -> None:
        body = " ".join(tokenize(f"{m.title}\n{m.content}"))
        conn.execute("INSERT INTO mentions_fts (rowid, body) VALUES (?, ?)", (rowid, body))

    def save_analysis(self, results: list[tuple[str, Analysis]], *, now: datetime | None = None) -> None:
        if not results:
            return
        stamp = _us(now) if now is not None else _now_us()
        with self._write() as conn:
            # A persistent counter, not max()+1: a reset mention must never give a number out twice.
            row = conn.execute("SELECT value FROM meta WHERE key = 'analysis_seq'").fetchone()
            seq = int(row["value"]) if row else 0
            for key, a in results:
                found = conn.execute("SELECT rowid, crawl_unit FROM mentions WHERE id = ?", (key,)).fetchone()
                if found is None:
                    continue
                seq += 1
                flags = [{"scheme": f.scheme, "words": f.words, "positions": f.positions} for f in a.flags]
                conn.execute(
                    "UPDATE mentions SET analysed_at = ?, analysis_seq = ?, tokens = ?, sentiment = ?,"
                    " sentiment_label = ?, flags = ?, level = ?, unit = ?, explanation = ?, event_id = ?"
                    " WHERE rowid = ?",
                    (
                        stamp,
                        seq,
                        " ".join(a.tokens),
                        a.sentiment,
                        a.sentiment_label,
                        json.dumps(flags, ensure_ascii=False),
                        a.level,
                        a.unit or found["crawl_unit"],
                        json.dumps(a.explanation, ensure_ascii=False),
                        a.event_id,
                        found["rowid"],
                    ),
                )
                conn.execute("DELETE FROM mention_schemes WHERE mention_rowid = ?", (found["rowid"],))
                conn.executemany(
                    "INSERT OR IGNORE INTO mention_schemes (scheme, mention_rowid) VALUES (?, ?)",
                    [(scheme, found["rowid"]) for scheme in dict.fromkeys(a.schemes)],
                )
            conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('analysis_seq', ?)", (seq,))

    # --- reading ----------------------------------------------------------------------------------------

    @staticmethod
    def _mention(row: sqlite3.Row) -> Mention:
        analysis = None
        if row["analysed_at"] is not None:
            analysis = Analysis(
                tokens=row["tokens"].split(" ") if row["tokens"] else [],
                sentiment=row["sentiment"],
                sentiment_label=row["sentiment_label"],
                flags=[
                    SchemeFlag(f["scheme"], f["words"], [tuple(p) for p in f.get("positions", [])])
                    for f in json.loads(row["flags"] or "[]")
                ],
                level=row["level"] or 0,
                unit=row["unit"],
                explanation=json.loads(row["explanation"] or "[]"),
                event_id=row["event_id"],
            )
        discovered = _dt(row["discovered_at"])
        updated = _dt(row["updated_at"])
        assert discovered is not None and updated is not None
        return Mention(
            id=row["id"],
            source=row["source"],
            post_id=row["post_id"],
            url=row["url"],
            title=row["title"],
            content=row["content"],
            author=row["author"],
            published_at=_dt(row["published_at"]),
            discovered_at=discovered,
            updated_at=updated,
            reply_count=row["reply_count"],
            view_count=row["view_count"],
            content_hash=row["content_hash"],
            unit=row["unit"],
            analysed_at=_dt(row["analysed_at"]),
            analysis_seq=row["analysis_seq"],
            analysis=analysis,
        )

    def get(self, mention_id: str) -> Mention | None:
        row = self._conn().execute("SELECT * FROM mentions WHERE id = ?", (mention_id,)).fetchone()
        return self._mention(row) if row else None

    def get_many(self, mention_ids: list[str]) -> list[Mention]:
        found: dict[str, Mention] = {}
        conn = self._conn()
        for start in range(0, len(mention_ids), 500):
            chunk = mention_ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for row in conn.execute(f"SELECT * FROM mentions WHERE id IN ({marks})", chunk):
                found[row["id"]] = self._mention(row)
        return [found[i] for i in mention_ids if i in found]

    def count(self) -> int:
        return int(self._conn().execute("SELECT COUNT(*) FROM mentions").fetchone()[0])

    def pending_analysis(self, limit: int) -> list[Mention]:
        rows = self._conn().execute(
            "SELECT * FROM mentions WHERE analysed_at IS NULL ORDER BY discovered_at, rowid LIMIT ?", (limit,)
        )
        return [self._mention(r) for r in rows]

    def backlog(self) -> int:
        return int(self._conn().execute("SELECT COUNT(*) FROM mentions WHERE analysed_at IS NULL").fetchone()[0])

    def analysed_since(self, seq: int, *, limit: int) -> list[Mention]:
        rows = self._conn().execute(
            "SELECT * FROM mentions WHERE analysis_seq > ? ORDER BY analysis_seq LIMIT ?", (seq, limit)
        )
        return [self._mention(r) for r in rows]

    # --- search -----------------------------------------------------------------------------------------

    def search(self, query: SearchQuery) -> SearchResult:
        if not 1 <= query.size <= 1000:
            raise ValueError("size must be between 1 and 1000")
        where: list[str] = []
        params: list[Any] = []
        join = ""
        relevance = query.sort == "relevance" and bool(query.text)
        if query.text is not None and query.text.strip():
            match = _fts_match(query.text)
            if match is None:  # only punctuation or symbols: no word to look for
                return SearchResult(total=0, hits=[], next_cursor=None, aggregations={a.name: [] for a in query.aggs})
            join = "JOIN mentions_fts f ON f.rowid = m.rowid"
            where.append("mentions_fts MATCH ?")
            params.append(match)
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
        ):
            if values:
                where.append(f"{column} IN ({','.join('?' * len(values))})")
                params.extend(values)
        if query.schemes:
            where.append(
                "m.rowid IN (SELECT mention_rowid FROM mention_schemes WHERE scheme IN "
                f"({','.join('?' * len(query.schemes))}))"
            )
            params.extend(query.schemes)
        if query.min_level is not None:
            where.append("m.level >= ?")
            params.append(query.min_level)
        base = f"FROM mentions m {join}" + (f" WHERE {' AND '.join(where)}" if where else "")
        conn = self._conn()
        total = int(conn.execute(f"SELECT COUNT(*) {base}", params).fetchone()[0])

        score = "bm25(mentions_fts)" if relevance else "0"
        page_where, page_params = [], []
        if query.cursor:
            if relevance:
                s, d, r = _decode_cursor(query.cursor, 3)
                page_where.append(
                    f"({score} > ? OR ({score} = ? AND (m.discovered_at < ? OR (m.discovered_at = ? AND m.rowid < ?))))"
                )
                page_params = [s, s, d, d, r]
            else:
                d, r = _decode_cursor(query.cursor, 2)
                page_where.append("(m.discovered_at < ? OR (m.discovered_at = ? AND m.rowid < ?))")
                page_params = [d, d, r]
        page_sql = base + ((" AND " if where else " WHERE ") + " AND ".join(page_where) if page_where else "")
        order = (
            f"{score} ASC, m.discovered_at DESC, m.rowid DESC" if relevance else "m.discovered_at DESC, m.rowid DESC"
        )
        rows = conn.execute(
            f"SELECT m.*, {score} AS _score {page_sql} ORDER BY {order} LIMIT ?",
            [*params, *page_params, query.size + 1],
        ).fetchall()
        more = len(rows) > query.size
        rows = rows[: query.size]
        next_cursor = None
        if more and rows:
            last = rows[-1]
            position: list[Any] = [last["discovered_at"], last["rowid"]]
            next_cursor = _encode_cursor([last["_score"], *position] if relevance else position)
        aggregations = {agg.name: self._aggregate(conn, agg, base, params) for agg in query.aggs}
        return SearchResult(
            total=total, hits=[self._mention(r) for r in rows], next_cursor=next_cursor, aggregations=aggregations
        )

    @staticmethod
    def _aggregate(conn: sqlite3.Connection, agg: DateHistogram | Terms, base: str, params: list[Any]) -> list[Bucket]:
        and_ = " AND" if " WHERE " in base else " WHERE"
        if isinstance(agg, DateHistogram):
            width = _BUCKET_US[agg.interval]
            column = f"m.{agg.field}"
            rows = conn.execute(
                f"SELECT ({column} / {width}) * {width} AS k, COUNT(*) AS n {base}{and_} {column} IS NOT NULL"
                " GROUP BY k ORDER BY k",
                params,
            ).fetchall()
            return [Bucket(key=datetime.fromtimestamp(r["k"] / _US, UTC).isoformat(), count=r["n"]) for r in rows]
        if agg.field == "schemes":
            joined = base.replace(
                "FROM mentions m", "FROM mentions m JOIN mention_schemes s ON s.mention_rowid = m.rowid", 1
            )
            sql = f"SELECT s.scheme AS k, COUNT(*) AS n {joined} GROUP BY k ORDER BY n DESC, k LIMIT ?"
        else:
            column = _TERM_COLUMNS[agg.field]
            sql = (
                f"SELECT {column} AS k, COUNT(*) AS n {base}{and_} {column} IS NOT NULL"
                " GROUP BY k ORDER BY n DESC, k LIMIT ?"
            )
        return [Bucket(key=str(r["k"]), count=r["n"]) for r in conn.execute(sql, [*params, agg.size])]
