"""The embedded store's relevance order against FTS5's bm25 over title and body alone (the index before the filter
tags joined it, mention-store schema 5), on the bench corpus.

A copy of the 200k bench store (bench/search_latency.py's, cached at --db) is opened by the store (schema 6: the
tags in the FTS index); beside it, an FTS5 index of the same rows' title and body only is built in a scratch file.
For --queries searches of the API's mix sorted by relevance (a word of ten, or two, a unit or a source, negative),
the first --size hits of `SqliteMentionStore.search` are compared with the same page ordered by
bm25(title 3, body 1) on the title-and-body index; and, for scale, with bm25() on the tagged index itself (what
the store returned before). Prints the pages that differ (target 0) and the CPU a search, relevance beside time.

    python bench/relevance_order.py [--queries 100] [--size 200] [--db /var/tmp/yuqing-bench/mentions-200k.sqlite3]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from api_load import WORDS  # bench/ is on sys.path when a bench script runs
from runinfo import bench_run
from search_latency import SOURCES, UNITS, ensure_db

from store.mentions import SearchQuery
from store.mentions.sqlite import SqliteMentionStore
from store.mentions.sqltime import us


def mix(count: int, size: int) -> list[SearchQuery]:
    rng = random.Random(17)
    out = []
    for _ in range(count):
        words = " ".join(rng.sample(WORDS, rng.choice([1, 1, 2])))
        since = datetime.fromisoformat(f"2020-01-01T00:00:00.{rng.randrange(10**6):06d}+00:00")
        query = SearchQuery(text=words, since=since, sentiment_labels=("negative",), size=size)
        if rng.random() < 0.5:
            out.append(replace(query, sources=(rng.choice(SOURCES[:6]),)))
        else:
            out.append(replace(query, units=(rng.choice(UNITS[:10]),)))
    return out


def reference(conn: sqlite3.Connection, query: SearchQuery, table: str, weights: str) -> list[str]:
    """The page by bm25 on `table` (ties: newest first, then id descending), the query's filters on the copy."""
    match = " AND ".join(f'"{w}"' for w in (query.text or "").split())
    where = ["m.sentiment_label = 'negative'", "m.discovered_at >= ?"]
    params: list[object] = [match, us(query.since)] if query.since else [match, 0]
    if table == "mentions_fts":  # the tagged index: the words kept to title and body
        params[0] = f"{{title body}} : ({match})"
    for column, values in (("source", query.sources), ("unit", query.units)):
        if values:
            where.append(f"m.{column} = ?")
            params.append(values[0])
    column = table.split(".")[-1]  # FTS5's hidden column, named as the table
    rows = conn.execute(
        f"SELECT m.id FROM {table} AS f CROSS JOIN main.mention_facets m ON m.rowid = f.rowid"
        f" WHERE f.{column} MATCH ? AND {' AND '.join(where)}"
        f" ORDER BY bm25(f.{column}, {weights}), m.discovered_at DESC, m.id DESC LIMIT ?",
        [*params, query.size],
    )
    return [r[0] for r in rows]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--size", type=int, default=200)
    parser.add_argument("--mentions", type=int, default=200_000)
    parser.add_argument("--db", type=Path, default=Path("/var/tmp/yuqing-bench/mentions-200k.sqlite3"))
    args = parser.parse_args()
    ensure_db(args.db, args.mentions)
    work = Path(tempfile.mkdtemp(prefix="yuqing-relevance-"))
    try:
        shutil.copyfile(args.db, work / "m.sqlite3")
        store = SqliteMentionStore(work / "m.sqlite3")  # migrated to the tagged index on open if older
        conn = sqlite3.connect(work / "m.sqlite3")
        conn.execute(f"ATTACH '{work / 'ref.sqlite3'}' AS ref")
        conn.execute("CREATE VIRTUAL TABLE ref.words USING fts5(title, body)")
        conn.execute("INSERT INTO ref.words (rowid, title, body) SELECT rowid, title, body FROM main.mentions_fts")
        conn.commit()
        queries = mix(args.queries, args.size)
        differ = differ_tagged = positions = positions_tagged = hits = 0
        for query in queries:
            got = [m.id for m in store.search(replace(query, sort="relevance")).hits]
            want = reference(conn, query, "ref.words", "3.0, 1.0")
            tagged = reference(conn, query, "mentions_fts", "3.0, 1.0, 0.0")
            assert sorted(want) == sorted(tagged) or len(want) == args.size, "reference pages hold different hits"
            hits += len(got)
            differ += got != want
            positions += sum(a != b for a, b in zip(got, want, strict=False)) + abs(len(got) - len(want))
            differ_tagged += tagged != want
            positions_tagged += sum(a != b for a, b in zip(tagged, want, strict=False))
        print(
            f"{len(queries)} relevance pages of up to {args.size} hits ({hits:,} hits), 200k store, tags in the index:"
        )
        print(f"  store.search vs bm25 on title+body alone: {differ} pages differ, {positions} positions")
        print(
            f"  bm25() on the tagged index (before)      : {differ_tagged} pages differ, {positions_tagged} positions"
        )
        for sort in ("time", "relevance", "time", "relevance"):
            started = time.process_time()
            for i, query in enumerate(queries):  # a different since each round: none answered from recent results
                store.search(
                    replace(query, sort=sort, size=20, since=datetime.fromtimestamp(i + time.time() % 1000, UTC))
                )
            spent = (time.process_time() - started) / len(queries) * 1000
            print(f"  CPU a search, sort={sort:<9}: {spent:.2f} ms (page of 20)")
        print(f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
        store.close()
        conn.close()
        return 0 if differ == 0 else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    with bench_run("relevance_order"):
        code = main()
    sys.exit(code)
