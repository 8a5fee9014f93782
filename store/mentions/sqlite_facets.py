"""The embedded store's narrow copy of what search filters, sorts and aggregates on: `mention_facets`.

A search with words reads every match of the words once, for its filters, its total and its aggregations. In
`mentions` each match is a wide row (title, text, tokens, analysis: ~1.5 KB), so on a store larger than memory
each match costs a page of its own; here the same match is ~70 bytes, ~55 to a page, and the FTS index hands
rowids in ascending order, so neighbouring matches share pages (docs/sizing.md, "Where the embedded store
stops"). Triggers keep it equal to `mentions` whoever writes (the crawl subprocesses, analysis, older code):
every statement that changes one of these columns changes the copy in the same transaction. The store's own
such statements are `OR FAIL` (sqlite_crawl.py says why).
"""

from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path

log = logging.getLogger(__name__)

FACETS = "mention_facets"
# From this many mentions, building the copy on first open takes seconds: the log says so before the wait.
ANNOUNCE_FROM = 100_000


def heat_key(row: str) -> str:
    """The heat sort's key of a row (`m`, `new`): a reply says more than a vote (点赞/反对), a vote more than a
    view. Negated, so that heat and relevance (bm25: lower is better) both page in ascending order of one
    number."""
    return (
        f"-(COALESCE({row}.reply_count, 0) * 10 + (COALESCE({row}.up_votes, 0) + COALESCE({row}.down_votes, 0)) * 5"
        f" + COALESCE({row}.view_count, 0))"
    )


# The columns copied, in the table's order (heat is derived from four counts).
_COPIED = ("discovered_at", "published_at", "id", "source", "unit", "sentiment_label", "level", "post_type")
_WATCHED = (*_COPIED, "reply_count", "view_count", "up_votes", "down_votes")


def _values(row: str) -> str:
    return ", ".join([f"{row}.rowid", *(f"{row}.{c}" for c in _COPIED), heat_key(row)])


def _assignments(row: str) -> str:
    return ", ".join([*(f"{c} = {row}.{c}" for c in _COPIED), f"heat = {heat_key(row)}"])


_TABLE = f"""CREATE TABLE {FACETS} (
    rowid INTEGER PRIMARY KEY,             -- the mention's rowid (mentions, mentions_fts)
    discovered_at INTEGER NOT NULL,
    published_at INTEGER,
    id TEXT NOT NULL,
    source TEXT NOT NULL,
    unit TEXT,
    sentiment_label TEXT,
    level INTEGER,
    post_type TEXT,
    heat INTEGER NOT NULL                  -- the heat sort's key (heat_key)
)"""

_TRIGGERS = (
    f"CREATE TRIGGER {FACETS}_insert AFTER INSERT ON mentions BEGIN"
    f" INSERT INTO {FACETS} VALUES ({_values('new')}); END",
    # An UPDATE in place: the outer statement's conflict clause (OR FAIL) overrides any inside a trigger, so the
    # trigger must not rely on one. The store never changes a mention's rowid.
    f"CREATE TRIGGER {FACETS}_update AFTER UPDATE OF {', '.join(_WATCHED)} ON mentions BEGIN"
    f" UPDATE {FACETS} SET {_assignments('new')} WHERE rowid = new.rowid; END",
    f"CREATE TRIGGER {FACETS}_delete AFTER DELETE ON mentions BEGIN DELETE FROM {FACETS} WHERE rowid = old.rowid; END",
)


# --- the filter values inside the FTS index ----------------------------------------------------------------
#
# A search's source and unit filters also go into its MATCH, as tokens of the FTS table's third column `tags`
# (`u` + the unit's UTF-8 in hex, `s` + the source's): FTS5 intersects them with the words' matches by skipping
# through its doclists, so only the matches that pass them are joined to mention_facets (~0.65 µs a match).
# The words of a query are kept to title and body, so a tag is never found as a word. Only values the crawl
# knows: the store's insert writes them (fts_tags), and analysis seldom changes them (a unit found in the text),
# because rewriting a row's tags re-indexes its title and body too (~120 µs; save_analysis costs ~26 µs a
# mention). Sentiment and post type, which every analysis sets, stay with mention_facets: tagged as well, they
# made save_analysis 5-6x dearer and the bench mix's search no faster (their doclists hold a third of the posts).
TAGGED = (("source", "s"), ("unit", "u"))


def fts_tags(row: str) -> str:
    """SQL: the `tags` text of a row (`m`, `new`) of mentions; a NULL or empty value has no tag."""
    parts = [
        f"CASE WHEN COALESCE({row}.{column}, '') = '' THEN '' ELSE ' {prefix}' || hex({row}.{column}) END"
        for column, prefix in TAGGED
    ]
    return f"ltrim({' || '.join(parts)})"


def tag(column: str, value: str) -> str | None:
    """The token a value of `column` has in `tags` (as fts_tags writes it; FTS5 folds the case), None if none."""
    prefix = dict(TAGGED)[column]
    return f"{prefix}{value.encode().hex()}" if value else None


_TAGS_TRIGGER = (
    f"CREATE TRIGGER mentions_fts_tags AFTER UPDATE OF {', '.join(c for c, _ in TAGGED)} ON mentions"
    f" WHEN {fts_tags('old')} IS NOT {fts_tags('new')}"
    f" BEGIN UPDATE mentions_fts SET tags = {fts_tags('new')} WHERE rowid = new.rowid; END"
)


def ensure_facets(conn: sqlite3.Connection) -> None:
    """Create the copy if missing, filling it from `mentions` (inside the caller's write transaction: a store
    from before it gets it on first open, ~100 s for 10 million mentions), and (re)create its triggers, so a
    file whose triggers an earlier version wrote gets these."""
    exists = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (FACETS,)).fetchone()
    if not exists:
        started = time.perf_counter()
        # max(rowid) reads one page: about how many mentions the copy is made of, said before the wait, not after.
        (last,) = conn.execute("SELECT COALESCE(MAX(rowid), 0) FROM mentions").fetchone()
        if last >= ANNOUNCE_FROM:
            log.warning(
                "正在为已有的约 %d 条舆情建立检索表（一次性，约每百万条 10 秒）；其间其他进程写入舆情库需等待",
                last,
            )
        conn.execute(_TABLE)
        filled = conn.execute(f"INSERT INTO {FACETS} SELECT {_values('m')} FROM mentions m ORDER BY m.rowid")
        if filled.rowcount:
            log.info("舆情库检索表已建立：%d 条，用时 %.0f 秒", filled.rowcount, time.perf_counter() - started)
    for kind, trigger in zip(("insert", "update", "delete"), _TRIGGERS, strict=True):
        conn.execute(f"DROP TRIGGER IF EXISTS {FACETS}_{kind}")
        conn.execute(trigger)
    conn.execute("DROP TRIGGER IF EXISTS mentions_fts_tags")
    conn.execute(_TAGS_TRIGGER)


def add_fts_tags(conn: sqlite3.Connection) -> bool:
    """Rebuild an FTS table of (title, body) as (title, body, tags), the tags from each row (inside the caller's
    write transaction: a crash leaves the old table, and the next open does it again). Once per store: ~10 s
    of CPU for 200,000 mentions. Whether it rebuilt: the old index's pages are then free (reclaim_space)."""
    columns = [row[1] for row in conn.execute("PRAGMA table_info(mentions_fts)")]
    if not columns or "tags" in columns:
        return False
    started = time.perf_counter()
    (last,) = conn.execute("SELECT COALESCE(MAX(rowid), 0) FROM mentions").fetchone()
    if last >= ANNOUNCE_FROM:
        log.warning(
            "正在为已有的约 %d 条舆情重建全文索引（一次性，约每十万条 5 秒）；其间其他进程写入舆情库需等待", last
        )
    conn.execute("DROP TABLE IF EXISTS mentions_fts_rebuilt")
    conn.execute("CREATE VIRTUAL TABLE mentions_fts_rebuilt USING fts5(title, body, tags)")
    conn.execute(
        "INSERT INTO mentions_fts_rebuilt (rowid, title, body, tags)"
        f" SELECT f.rowid, f.title, f.body, {fts_tags('m')}"
        " FROM mentions_fts f LEFT JOIN mentions m ON m.rowid = f.rowid ORDER BY f.rowid"
    )
    conn.execute("DROP TABLE mentions_fts")
    conn.execute("ALTER TABLE mentions_fts_rebuilt RENAME TO mentions_fts")
    log.info("舆情库全文索引已重建：用时 %.0f 秒", time.perf_counter() - started)
    return True


# --- giving back the old index's pages --------------------------------------------------------------------
#
# The rebuild leaves the old index's pages free inside the file (200k mentions: 362 → 538 MB) and the new index at
# the file's end, beyond a 256 MiB map. A VACUUM rewrites the file compactly, once: the rebuild's transaction
# records that one is owed (mark_reclaim), and the mark is removed only after the VACUUM, so a crash in between
# means the next open does it (a VACUUM is atomic; doing it twice costs time, not data).
RECLAIM = "reclaim_after_rebuild"  # the meta key of the mark


def mark_reclaim(conn: sqlite3.Connection) -> None:
    """Inside the rebuild's write transaction: a VACUUM is owed."""
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, 1)", (RECLAIM,))


def reclaim_owed(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM meta WHERE key = ?", (RECLAIM,)).fetchone() is not None


def reclaim_space(path: Path, busy_timeout_s: int) -> None:
    """The VACUUM the rebuild owes, if any, on a connection of its own: its copy in a temporary file, not in
    memory (the pool's temp_store = MEMORY would hold a copy of the whole store), then the log folded back so
    the file shrinks. Other processes read on meanwhile (WAL); writers wait for it as for the rebuild."""
    conn = sqlite3.connect(path, timeout=busy_timeout_s, isolation_level=None)
    try:
        if not reclaim_owed(conn):  # another process did it meanwhile
            return
        started = time.perf_counter()
        free, pages = (conn.execute(f"PRAGMA {name}").fetchone()[0] for name in ("freelist_count", "page_count"))
        log.warning(
            "正在回收重建全文索引后留下的空间（一次性，约 %d 页中的 %d 页）；其间其他进程写入舆情库需等待", pages, free
        )
        conn.execute("PRAGMA temp_store = FILE")
        try:
            conn.execute("VACUUM")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error as exc:  # no room for the copy, say: the store works as it is; not tried again
            log.warning("未能回收舆情库的空闲空间（%s）；不影响使用，可在停机时对该文件运行 VACUUM", exc)
        else:
            log.info("舆情库空间已回收：用时 %.0f 秒", time.perf_counter() - started)
        conn.execute("DELETE FROM meta WHERE key = ?", (RECLAIM,))
    finally:
        conn.close()
