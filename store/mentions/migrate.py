"""Moving up: copy the embedded store's mentions (with their analysis and heat history) into Elasticsearch.

Resumable: the rowid of the last mention copied is a cursor in the workflow store, moved after each batch is
written, so an interrupted copy goes on where it stopped. Idempotent: a mention already in Elasticsearch is
left as it is, and a second run copies only what was stored after the first. The analysis counter is raised
first, so analyses saved on Elasticsearch afterwards get numbers above every copied one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from store.mentions.elastic import ElasticMentionStore
from store.mentions.elastic_docs import Doc, from_mention
from store.mentions.model import CountSnapshot
from store.mentions.sqlite import _mention
from store.mentions.sqltime import dt
from store.workflow.cursors import read_cursor, write_cursor


@dataclass(frozen=True)
class MigrationReport:
    copied: int  # new in Elasticsearch
    already_there: int
    last_rowid: int
    analysis_seq: int


def cursor_name(store: ElasticMentionStore) -> str:
    return f"migrate:elasticsearch:{store.names.prefix}"


def _open_read_only(path: Path) -> sqlite3.Connection:
    if not path.exists():
        raise FileNotFoundError(f"no embedded mention store at {path}")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    conn.row_factory = sqlite3.Row
    return conn


def export_batch(conn: sqlite3.Connection, *, after: int, limit: int) -> list[tuple[int, Doc]]:
    """Mentions after rowid `after`, in rowid order (new mentions always get higher rowids), as documents."""
    rows = conn.execute("SELECT * FROM mentions WHERE rowid > ? ORDER BY rowid LIMIT ?", (after, limit)).fetchall()
    if not rows:
        return []
    marks = ",".join("?" * len(rows))
    counts: dict[int, list[CountSnapshot]] = {}
    for c in conn.execute(
        f"SELECT mention_rowid, at, reply_count, view_count FROM mention_counts WHERE mention_rowid IN ({marks})"
        " ORDER BY mention_rowid, at",
        [r["rowid"] for r in rows],
    ):
        counts.setdefault(c["mention_rowid"], []).append(CountSnapshot(dt(c["at"]), c["reply_count"], c["view_count"]))
    return [
        (row["rowid"], from_mention(_mention(row), crawl_unit=row["crawl_unit"], counts=counts.get(row["rowid"], [])))
        for row in rows
    ]


def migrate_to_elasticsearch(
    *,
    sqlite_path: Path,
    target: ElasticMentionStore,
    sessions: sessionmaker[Session],
    batch: int = 500,
    progress: Callable[[int, int], None] | None = None,
) -> MigrationReport:
    name = cursor_name(target)
    copied = already = 0
    with closing(_open_read_only(sqlite_path)) as conn:
        row = conn.execute("SELECT value FROM meta WHERE key = 'analysis_seq'").fetchone()
        seq = int(row["value"]) if row else 0
        target.raise_seq_to(seq)
        with sessions.begin() as session:
            after = read_cursor(session, name)
        while True:
            docs = export_batch(conn, after=after, limit=batch)
            if not docs:
                break
            written = target.import_documents([d for _, d in docs])
            copied += written
            already += len(docs) - written
            after = docs[-1][0]
            with sessions.begin() as session:  # only after the batch is in Elasticsearch
                write_cursor(session, name, after)
            if progress is not None:
                progress(copied, already)
    return MigrationReport(copied=copied, already_there=already, last_rowid=after, analysis_seq=seq)
