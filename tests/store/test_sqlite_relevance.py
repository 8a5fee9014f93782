"""The embedded store's relevance order is FTS5's bm25 (a title word three times a body word) over the title and body
alone, as before the filter tags joined the index: the same order, page by page through the cursors, as an index
of the same rows without the tags column, on a random store where the tags (one or two a row) would move near-ties."""

from __future__ import annotations

import random
import sqlite3
from contextlib import closing
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from store.mentions import NewMention, SearchQuery
from store.mentions.sqlite import SqliteMentionStore

T0 = datetime(2026, 3, 5, 8, 10, tzinfo=UTC)
WORDS = ["食堂", "学校", "收费", "物业", "拖欠", "工资", "噪音", "道路", "医院", "补课", "老师", "家长"]
SOURCES = ["tieba", "hongwang", "12345"]
UNITS = ["no1-middle", "town", None]


def corpus(store: SqliteMentionStore, count: int, seed: int) -> None:
    rng = random.Random(seed)
    posts = []
    for i in range(count):
        body = "，".join(rng.choice(WORDS) for _ in range(rng.randint(1, 12)))
        title = "".join(rng.sample(WORDS, rng.randint(1, 2)))
        posts.append(
            NewMention(rng.choice(SOURCES), str(i), f"http://b/{i}", title, body + "。", unit=rng.choice(UNITS))
        )
    for start in range(0, count, 50):
        store.upsert_many(posts[start : start + 50], now=T0 + timedelta(minutes=start // 50))


def reference_order(store: SqliteMentionStore, query: str, ids: set[str]) -> list[str]:
    """The rows `ids`, in the order of bm25(title 3, body 1) on an index of their title and body only (no tags)."""
    with store._connection() as conn:
        rows = conn.execute(
            "SELECT f.rowid, f.title, f.body, m.id, m.discovered_at FROM mentions_fts f JOIN mentions m"
            " ON m.rowid = f.rowid ORDER BY f.rowid"
        ).fetchall()
    with closing(sqlite3.connect(":memory:")) as ref:
        ref.execute("CREATE VIRTUAL TABLE r USING fts5(title, body)")
        ref.executemany("INSERT INTO r (rowid, title, body) VALUES (?, ?, ?)", [tuple(r)[:3] for r in rows])
        scores = dict(ref.execute("SELECT rowid, bm25(r, 3.0, 1.0) FROM r WHERE r MATCH ?", (query,)).fetchall())
    by_id = sorted((r for r in rows if r[3] in ids), key=lambda r: r[3], reverse=True)  # ties: newest, then id desc
    return [r[3] for r in sorted(by_id, key=lambda r: (scores[r[0]], -r[4]))]


def test_relevance_is_bm25_over_title_and_body_alone(tmp_path: Path) -> None:
    store = SqliteMentionStore(tmp_path / "m.sqlite3")
    try:
        corpus(store, 600, seed=11)
        rng = random.Random(12)
        compared = 0
        for _ in range(40):
            words = rng.sample(WORDS, rng.choice([1, 1, 2, 3]))
            text = " OR ".join(words) if rng.random() < 0.5 else " ".join(words)
            query = SearchQuery(
                text=text,
                sources=tuple(rng.sample(SOURCES, rng.choice([0, 0, 1]))),
                units=tuple(u for u in rng.sample(UNITS, rng.choice([0, 0, 1])) if u),
                sort="relevance",
                size=rng.choice([7, 50]),
            )
            got: list[str] = []
            cursor = None
            while True:  # every page, through the cursors (which carry the score)
                page = store.search(replace(query, cursor=cursor))
                got += [m.id for m in page.hits]
                cursor = page.next_cursor
                if cursor is None:
                    break
            assert len(got) == page.total == len(set(got))
            fts = " OR ".join(f'"{w}"' for w in words) if " OR " in text else " AND ".join(f'"{w}"' for w in words)
            assert got == reference_order(store, fts, set(got)), query
            compared += len(got) > 20
        assert compared >= 20  # most queries have many near-ties to order, not a handful of hits
    finally:
        store.close()
