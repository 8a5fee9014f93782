"""Search on the embedded store (`SqliteMentionStore.search`): the words through FTS5, filters, one page after
a cursor, and aggregations.

A search with words reads each match of the words once: FTS5 hands the matching rowids in ascending order and
each is joined to its narrow row in `mention_facets` (sqlite_facets.py), never to the wide row in `mentions`;
the matches that pass the filters go into an in-memory temp table (`temp.search_hits`, per connection, emptied
after each search), which the total, the page and every aggregation read. Only the page's rows (20 by default)
are then read whole from `mentions`. Nothing is steered by hand: with a single way to read the matches there is
no plan for SQLite to choose badly. Searches without words read `mentions` through its indexes.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from store.mentions.highlight import fragments
from store.mentions.model import Bucket, DateHistogram, Mention, SearchQuery, SearchResult, Terms
from store.mentions.sqlite_facets import FACETS, heat_key, tag
from store.mentions.sqlite_rows import mention_from_row
from store.mentions.sqltime import dt as _dt
from store.mentions.sqltime import us as _us
from store.mentions.textsearch import fts5, phrases, plan, positive_tokens

MAX_PAGE_SIZE = 1000
_BUCKET_US = {"hour": 3_600_000_000, "day": 86_400_000_000}
_INT64 = 2**63
_TERM_KEYS = {
    "source": "m.source",
    "unit": "m.unit",
    "sentiment_label": "m.sentiment_label",
    "level": "CAST(m.level AS TEXT)",  # keys are strings, ordered as strings on every backend
    "post_type": "m.post_type",
}
# Relevance: FTS5's bm25 with a word in the title counting three times one in the body, over the title and body
# alone (_relevance). FTS5's own bm25() takes a row's length over every column, the filter tags included, so they
# would move near-ties; the score is made as bm25() made it before the tags were added (schema 5).
_K1 = 1.2  # bm25's constants in FTS5 (fts5_aux.c)
_B = 0.75
_WEIGHTS = (3.0, 1.0)  # title, body
_AVERAGES_ROWID = 1  # FTS5's record of the row count and each column's total tokens (in mentions_fts_data)
# One search's matches, narrow, in memory (temp_store = MEMORY): the total, the page and every aggregation
# read them instead of each reading the matches again.
_HITS = "temp.search_hits"
_HITS_TABLE = (
    "CREATE TEMP TABLE IF NOT EXISTS search_hits (rowid INTEGER PRIMARY KEY, discovered_at INTEGER,"
    " published_at INTEGER, id TEXT, source TEXT, unit TEXT, sentiment_label TEXT, level INTEGER, post_type TEXT,"
    " score REAL)"
)

Sort = Literal["time", "relevance", "heat"]
_SCORED = ("relevance", "heat")
_HEAT = heat_key("m")  # on mentions, for searches without words; mention_facets keeps it as `heat`


# --- cursors ------------------------------------------------------------------------------------------------


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


# --- the query as SQL ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Filter:
    """Every match of a query, shared by the total, the page and the aggregations: `FROM … m WHERE …` over
    `mentions` (no words) or over the temp table of a search with words once `_materialize` has filled it."""

    conditions: list[str]
    params: list[Any]
    materialized: bool = False  # the matches are in _HITS (columns as in mention_facets, plus the score)

    @property
    def sql(self) -> str:
        if self.materialized:
            return f"FROM {_HITS} m WHERE 1"
        return "FROM mentions m WHERE " + (" AND ".join(self.conditions) or "1")


def _conditions(query: SearchQuery, *, facets: bool) -> tuple[list[str], list[Any]]:
    """The filters of `query` on `m`: a row of `mentions`, or of `mention_facets` when `facets`."""
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
        marks = ",".join("?" * len(query.events))
        # The event is not in the narrow copy: the wide row is read for it (a story's posts are few).
        event = "(SELECT e.event_id FROM mentions e WHERE e.rowid = m.rowid)" if facets else "m.event_id"
        where.append(f"{event} IN ({marks})")
        params.extend(query.events)
    return where, params


def _materialize(conn: sqlite3.Connection, match: str, query: SearchQuery, sort: Sort) -> _Filter:
    """Put the matches of the words that pass the filters into _HITS, each match read once from the narrow
    copy, in the FTS index's (rowid) order; CROSS JOIN fixes that order, and lets bm25() be computed. The
    filters FTS holds as tags (sqlite_facets.py) narrow the matches inside FTS first; every filter is still
    applied to the narrow copy, so the tags only spare joins, never decide."""
    conn.execute(_HITS_TABLE)
    conn.execute(f"DELETE FROM {_HITS}")
    score = "m.heat" if sort == "heat" else "0"  # relevance: scored after, over the matches that passed
    conditions, params = _conditions(query, facets=True)
    conn.execute(
        f"INSERT INTO {_HITS} SELECT m.rowid, m.discovered_at, m.published_at, m.id, m.source, m.unit,"
        f" m.sentiment_label, m.level, m.post_type, {score}"
        f" FROM mentions_fts CROSS JOIN {FACETS} m ON m.rowid = mentions_fts.rowid"
        f" WHERE {' AND '.join(['mentions_fts MATCH ?', *conditions])}",
        [_with_tags(match, query), *params],
    )
    return _Filter(conditions=[], params=[], materialized=True)


def _relevance(conn: sqlite3.Connection, words: list[str]) -> None:
    """Score the matches in _HITS as FTS5's bm25(title 3, body 1) scores them on an index of title and body alone,
    to the bit: the same formula, operations and order as fts5_aux.c, with the row count, the columns' total
    tokens and each row's length read from FTS5's own records, leaving the tags out. How often each phrase occurs
    in a row's title and in its body is what bm25() is given back from, phrase by phrase: with one column weighted
    1 and the others 0, bm25() is idf * f * (k1 + 1) / (f + K) of a whole number f, so f comes back exactly."""
    found = conn.execute("SELECT block FROM mentions_fts_data WHERE id = ?", (_AVERAGES_ROWID,)).fetchone()
    if found is None:
        return
    rows, *totals = _varints(found[0])
    if rows <= 0:
        return
    # C divides the two counts as doubles: exact conversions below 2**53, so the same quotient as Python's.
    average_all = sum(totals) / rows
    average_words = (totals[0] + totals[1]) / rows
    scores: dict[int, float] = {}
    seen: dict[str, list[tuple[int, float]]] = {}
    for phrase in words:
        terms = seen.get(phrase)
        if terms is None:
            terms = seen[phrase] = _phrase_terms(conn, phrase, rows, average_all, average_words)
        for rowid, term in terms:  # a phrase a row lacks adds +0.0 in FTS5: nothing
            scores[rowid] = scores.get(rowid, 0.0) + term
    conn.executemany(f"UPDATE {_HITS} SET score = ? WHERE rowid = ?", [(-1.0 * v, k) for k, v in scores.items()])


def _phrase_terms(
    conn: sqlite3.Connection, phrase: str, rows: int, average_all: float, average_words: float
) -> list[tuple[int, float]]:
    """One phrase's bm25 term in each match that has it: (rowid, term)."""
    in_words = f"{{title body}} : ({phrase})"
    (hits,) = conn.execute("SELECT COUNT(*) FROM mentions_fts WHERE mentions_fts MATCH ?", (in_words,)).fetchone()
    idf = math.log((rows - hits + 0.5) / (hits + 0.5))
    if idf <= 0.0:
        idf = 1e-6
    out = []
    for rowid, in_title, in_body, size in conn.execute(
        "SELECT mentions_fts.rowid, bm25(mentions_fts, 1.0, 0.0, 0.0), bm25(mentions_fts, 0.0, 1.0, 0.0), d.sz"
        f" FROM mentions_fts CROSS JOIN {_HITS} h ON h.rowid = mentions_fts.rowid"
        " JOIN mentions_fts_docsize d ON d.id = mentions_fts.rowid WHERE mentions_fts MATCH ?",
        (in_words,),
    ):
        title, body, *rest = _varints(size)
        k_all = _K1 * (1 - _B + _B * float(title + body + sum(rest)) / average_all)
        frequency = _WEIGHTS[0] * _occurrences(-in_title, idf, k_all) + _WEIGHTS[1] * _occurrences(-in_body, idf, k_all)
        length = float(title + body)
        out.append(
            (rowid, idf * ((frequency * (_K1 + 1.0)) / (frequency + _K1 * (1 - _B + _B * length / average_words))))
        )
    return out


def _occurrences(score: float, idf: float, k: float) -> float:
    """f from idf * f * (k1 + 1) / (f + k): a count, so rounded."""
    if score <= 0.0:
        return 0.0
    return float(round(score * k / (idf * (_K1 + 1.0) - score)))


def _varints(blob: bytes) -> list[int]:
    """FTS5's varints (SQLite's: 7 bits a byte, high bit set when more follow, a ninth byte of 8 bits)."""
    out: list[int] = []
    i = 0
    while i < len(blob):
        value = 0
        for n in range(9):
            byte = blob[i]
            i += 1
            if n == 8:
                value = (value << 8) | byte
                break
            value = (value << 7) | (byte & 0x7F)
            if not byte & 0x80:
                break
        out.append(value)
    return out


def _with_tags(match: str, query: SearchQuery) -> str:
    """The words kept to title and body (a word never matches a tag), AND each filter's tags."""
    expression = f"({{title body}} : ({match}))"
    for column, values in (("source", query.sources), ("unit", query.units)):
        tags = [tag(column, value) for value in values]
        if tags and all(tags):  # an empty value has no tag: that filter stays with the narrow copy alone
            expression += " AND (tags : (" + " OR ".join(f'"{t}"' for t in tags) + "))"
    return expression


# --- searching ----------------------------------------------------------------------------------------------


def search(read: Callable[[], AbstractContextManager[sqlite3.Connection]], query: SearchQuery) -> SearchResult:
    """Run `query`; `read()` gives a connection in a read transaction (one snapshot for the total, the page and
    the aggregations)."""
    _check_sizes(query)
    has_words = _has_text(query)
    sort: Sort = query.sort if query.sort == "heat" or (query.sort == "relevance" and has_words) else "time"
    after = _decode_cursor(query.cursor, sort) if query.cursor else None
    found = plan(query.text) if has_words else None
    match = None if found is None else fts5(found)
    if has_words and match is None:  # words given, but none a word can be searched by (only punctuation, emoji)
        empty: dict[str, list[Bucket]] = {agg.name: [] for agg in query.aggs}
        return SearchResult(total=0, hits=[], next_cursor=None, aggregations=empty)
    with read() as conn:
        if found is not None and match is not None:
            where = _materialize(conn, match, query, sort)
            if sort == "relevance":
                _relevance(conn, phrases(found))
        else:
            where = _Filter(*_conditions(query, facets=False))
        try:
            total = int(conn.execute(f"SELECT COUNT(*) {where.sql}", where.params).fetchone()[0])
            hits, next_cursor = _page(conn, where, sort, after, query.size)
            aggregations = {agg.name: _aggregate(conn, where, agg) for agg in query.aggs}
        finally:
            if where.materialized:
                conn.execute(f"DELETE FROM {_HITS}")
    highlights: dict[str, dict[str, list[str]]] = {}
    if query.highlight and has_words:
        tokens = positive_tokens(found)
        for hit in hits:
            marked = {name: fragments(getattr(hit, name), tokens) for name in ("title", "content")}
            if any(marked.values()):
                highlights[hit.id] = {name: found for name, found in marked.items() if found}
    return SearchResult(
        total=total, hits=hits, next_cursor=next_cursor, aggregations=aggregations, highlights=highlights
    )


def _check_sizes(query: SearchQuery) -> None:
    if not 1 <= query.size <= MAX_PAGE_SIZE:
        raise ValueError(f"size must be between 1 and {MAX_PAGE_SIZE}")
    for agg in query.aggs:
        if isinstance(agg, Terms) and not 1 <= agg.size <= MAX_PAGE_SIZE:
            raise ValueError(f"terms size must be between 1 and {MAX_PAGE_SIZE}")


def _has_text(query: SearchQuery) -> bool:
    return query.text is not None and bool(query.text.strip())


def _page(
    conn: sqlite3.Connection, where: _Filter, sort: Sort, after: list[Any] | None, size: int
) -> tuple[list[Mention], str | None]:
    """One page after the cursor (search_after): newer mentions sort before it, so they never shift a page."""
    if where.materialized:
        score = "m.score" if sort in _SCORED else "0"
        sql = f"SELECT m.rowid AS rowid, m.discovered_at, m.id, {score} AS _score {where.sql}"
    else:  # no words, so no relevance: time or heat
        score = _HEAT if sort == "heat" else "0"
        sql = f"SELECT m.*, {score} AS _score {where.sql}"
    params = list(where.params)
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
    return [mention_from_row(row) for row in rows], next_cursor


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
    return [Bucket(key=_bucket_key(row[0]), count=row[1]) for row in conn.execute(sql, where.params)]


@lru_cache(maxsize=1 << 16)
def _bucket_key(start_us: int) -> str:
    """A bucket's key as the API shows it. The same few hundred day (or hour) starts come back in every search's
    histogram: building and formatting a datetime for each of a year's days cost ~0.5 ms a search, twice the SQL
    that counted them."""
    return _dt(start_us).isoformat()
