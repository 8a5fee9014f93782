"""Search on both mention stores in one run: the same documents, the same queries, the embedded SQLite store
beside a real Elasticsearch node (`scripts/es-node start` prints one; its heap is YUQING_ES_NODE_HEAP).

The documents are bench/search_latency.py's (N mentions over a year, 30 sources, 60 units, all analysed; built
once and cached at --db). They are copied into the node under the index prefix --prefix — once: a re-run finds
them there — each document built by `yuqing store migrate`'s own export (store.mentions.migrate.export_batch),
except that its jieba tokens are the ones the embedded store indexed (its FTS columns, read back) instead of
cutting every text again: both stores then search exactly the same tokens. The copy goes in bulk with the index's
refresh off, then one refresh (the store's per-document path waits for a refresh per batch: hours at a million).
All documents sit in one monthly index behind the alias (one primary shard, no replica), as after a migration.

Queries are search_latency.py's four shapes (keyword + two filters + top 20 + a daily histogram; then again with
the API's three term aggregations), through `SqliteMentionStore.search` and `ElasticMentionStore.search` — the
code the API runs — each warmed first with other keywords. Per shape: matches (both stores must agree), wall
p50/p95, the CPU time of the calling thread p50/p95 (for Elasticsearch that is the client: decoding the answer),
and for Elasticsearch the node's CPU per query (its JVM's user+system time from /proc, mean over the runs: the
search itself). Run it under `nice`; on a shared machine the wall clock also counts waiting for a core.

    python bench/search_both_stores.py --es-url http://127.0.0.1:9250 [--mentions 200000] [--runs 60]
        [--db /tmp/yuqing-bench/mentions-200k.sqlite3] [--prefix yuqing-bench-200k]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any
from unittest.mock import patch

from elasticsearch import helpers
from runinfo import bench_run  # bench/ is on sys.path when a bench script runs
from search_latency import ensure_db, pct, queries  # bench/ is on sys.path when a bench script runs

from store.mentions import MentionStore, elastic_docs
from store.mentions.elastic import ElasticMentionStore, ElasticOptions
from store.mentions.migrate import export_batch
from store.mentions.sqlite import SqliteMentionStore

BATCH = 2_000
TICKS = os.sysconf("SC_CLK_TCK")


def documents(db: Path) -> Iterator[dict[str, Any]]:
    """Every mention of the embedded store as the migration builds it, tokens taken from its FTS columns."""
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        conn.row_factory = sqlite3.Row
        after = 0
        while True:
            fts = conn.execute(
                "SELECT f.title AS tt, f.body AS bt, m.title, m.content FROM mentions_fts f"
                " JOIN mentions m ON m.rowid = f.rowid WHERE f.rowid > ? ORDER BY f.rowid LIMIT ?",
                (after, BATCH),
            ).fetchall()
            known: dict[str, list[str]] = {}
            for row in fts:
                known[row["title"]] = row["tt"].split()
                known[row["content"]] = row["bt"].split()
            with patch.object(elastic_docs, "tokenize", known.__getitem__):
                batch = export_batch(conn, after=after, limit=BATCH)
            if not batch:
                return
            for _, doc in batch:
                yield doc
            after = batch[-1][0]


def ensure_index(store: ElasticMentionStore, db: Path, count: int) -> None:
    client = store.client
    alias = store.names.alias
    have = int(client.count(index=alias)["count"])
    if have == count:
        print(f"reusing {count:,} documents behind {alias}")
        return
    if have:
        raise SystemExit(f"{alias} holds {have:,} documents, not {count:,}: use another --prefix")
    write_index = next(iter(client.indices.get_alias(name=alias)))
    client.indices.put_settings(index=write_index, settings={"index": {"refresh_interval": "-1"}})
    print(f"copying {count:,} mentions into {write_index}")
    started = time.perf_counter()
    cpu = time.process_time()
    node_cpu = node_cpu_seconds(store)
    done = 0
    actions = ({"_op_type": "index", "_index": alias, "_id": d["id"], "_source": d} for d in documents(db))
    for ok, item in helpers.streaming_bulk(client, actions, chunk_size=1_000, max_retries=3, initial_backoff=2):
        if not ok:
            raise SystemExit(f"refused: {item}")
        done += 1
        if done % 50_000 == 0:
            print(f"  {done:>9,} documents  ({done / (time.perf_counter() - started):,.0f}/s)", flush=True)
    client.indices.put_settings(index=write_index, settings={"index": {"refresh_interval": "1s"}})
    client.indices.refresh(index=alias)
    print(
        f"  copied {done:,} in {time.perf_counter() - started:.0f} s wall; this process {time.process_time() - cpu:.0f}"
        f" s CPU, the node {node_cpu_seconds(store) - node_cpu:.0f} s CPU"
    )


def node_pid(store: ElasticMentionStore) -> int | None:
    """The node's JVM, when it runs on this machine (its CPU time is then readable from /proc)."""
    nodes = store.client.nodes.info(node_id="_local", metric="process")["nodes"]
    pid = int(next(iter(nodes.values()))["process"]["id"])
    return pid if Path(f"/proc/{pid}/stat").exists() else None


def node_cpu_seconds(store: ElasticMentionStore, pid: int | None = None) -> float:
    pid = pid or node_pid(store)
    if pid is None:
        return float("nan")
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def measure(
    name: str, store: MentionStore, runs: int, with_terms: bool, node_cpu: Callable[[], float] | None = None
) -> dict[str, Any]:
    for _, q in queries(runs, with_terms, seed=6):  # warm caches and pools, as a running API has them
        store.search(q)
    table: dict[str, dict[str, list[float]]] = {}
    for shape, q in queries(runs, with_terms):
        row = table.setdefault(shape, {"wall": [], "cpu": [], "node": [], "matches": []})
        node = node_cpu() if node_cpu else 0.0
        t, c = time.perf_counter(), time.thread_time()
        result = store.search(q)
        row["wall"].append((time.perf_counter() - t) * 1000)
        row["cpu"].append((time.thread_time() - c) * 1000)
        if node_cpu:
            row["node"].append((node_cpu() - node) * 1000)
        row["matches"].append(result.total)
    return {"store": name, "table": table}


def show(results: list[dict[str, Any]], with_terms: bool) -> None:
    label = "query" + (" (+ 3 terms aggs)" if with_terms else "")
    print(
        f"\n{label:<46} {'store':<14} {'runs':>4} {'matches':>8} {'p50 ms':>7} {'p95 ms':>7}"
        f" {'cpu p50':>8} {'cpu p95':>8} {'node cpu':>9}"
    )
    shapes = list(results[0]["table"])
    for shape in shapes:
        for r in results:
            row = r["table"][shape]
            node = f"{statistics.mean(row['node']):>9.1f}" if row["node"] else f"{'':>9}"
            print(
                f"{shape:<46} {r['store']:<14} {len(row['wall']):>4} {int(statistics.median(row['matches'])):>8,}"
                f" {pct(row['wall'], 50):>7.1f} {pct(row['wall'], 95):>7.1f}"
                f" {pct(row['cpu'], 50):>8.1f} {pct(row['cpu'], 95):>8.1f} {node}"
            )
    for shape in shapes:
        answers = {r["store"]: r["table"][shape]["matches"] for r in results}
        if len({tuple(v) for v in answers.values()}) > 1:
            print(f"  ! the stores disagree on the matches of {shape!r}: {answers}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--es-url", required=True, help="the node, e.g. the URL scripts/es-node start prints")
    parser.add_argument("--mentions", type=int, default=200_000)
    parser.add_argument("--db", type=Path, help="default /tmp/yuqing-bench/mentions-<N>.sqlite3")
    parser.add_argument("--prefix", help="the node's index prefix; default yuqing-bench-<N>")
    parser.add_argument("--runs", type=int, default=60, help="queries per table (cycling over four shapes)")
    args = parser.parse_args()
    db = args.db or Path(f"/tmp/yuqing-bench/mentions-{args.mentions}.sqlite3")
    ensure_db(db, args.mentions)
    embedded = SqliteMentionStore(db)
    node = ElasticMentionStore(
        ElasticOptions(url=args.es_url, index_prefix=args.prefix or f"yuqing-bench-{args.mentions}", replicas=0)
    )
    try:
        ensure_index(node, db, args.mentions)
        pid = node_pid(node)
        version = node.client.info()["version"]["number"]
        print(
            f"\nsearch on {embedded.count():,} mentions in each store (total + top 20 + aggregations):"
            f" SqliteMentionStore at {db}, ElasticMentionStore on Elasticsearch {version} at {node.url}"
        )
        for with_terms in (False, True):
            results = [
                measure("embedded", embedded, args.runs, with_terms),
                measure("elasticsearch", node, args.runs, with_terms, lambda: node_cpu_seconds(node, pid)),
            ]
            show(results, with_terms)
    finally:
        embedded.close()
        node.close()


if __name__ == "__main__":
    with bench_run("search_both_stores"):
        main()
