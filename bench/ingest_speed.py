"""Ingest throughput on one core: `SqliteMentionStore.upsert_many` of real posts in batches (what a crawl stores),
mentions/s with CPU time beside wall time, and in the same run its floors: store.tokens.tokenize alone on the same
titles and bodies (what indexing must cut) and jieba's own cut_for_search on them (the tokeniser before
store/_jiebac.c). Its table and run facts go into bench/runs/<time>-ingest_speed/ (or --out DIR).

    python bench/ingest_speed.py [--mentions 20000] [--batch 1000] [--shared ../shared/data]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jieba
from analysis_speed import _title_content, real_texts
from runinfo import bench_run  # bench/ is on sys.path when a bench script runs

from store.mentions import NewMention
from store.mentions.sqlite import SqliteMentionStore
from store.tokens import normalise, tokenize

REPO = Path(__file__).resolve().parent.parent

Row = tuple[str, float, float]  # label, wall s, CPU s


def timed(label: str, run: Callable[[], object]) -> Row:
    started, cpu = time.perf_counter(), time.process_time()
    run()
    return label, time.perf_counter() - started, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--mentions", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    args = parser.parse_args()
    load = os.getloadavg()
    pairs = [_title_content(t) for t in real_texts(args.shared, args.mentions)]
    mentions = [
        NewMention("bench", str(n), f"http://b/{n}", title, content) for n, (title, content) in enumerate(pairs)
    ]
    tokenize("")  # jieba's dictionary and the compiled copy loaded before the clock starts
    jieba.initialize()
    rows = [
        timed(
            "floor: jieba.cut_for_search alone",
            lambda: [(jieba.lcut_for_search(normalise(t)), jieba.lcut_for_search(normalise(c))) for t, c in pairs],
        ),
        timed("floor: store.tokens.tokenize alone", lambda: [(tokenize(t), tokenize(c)) for t, c in pairs]),
    ]
    with tempfile.TemporaryDirectory(prefix="yuqing-bench-") as tmp:
        store = SqliteMentionStore(Path(tmp) / "mentions.sqlite3")
        start = datetime.now(UTC) - timedelta(hours=1)

        def ingest() -> None:
            for i in range(0, len(mentions), args.batch):
                store.upsert_many(mentions[i : i + args.batch], now=start + timedelta(seconds=i))

        rows.append(timed(f"upsert_many, batches of {args.batch} (new posts)", ingest))
        rows.append(timed(f"upsert_many, batches of {args.batch} (the same posts again)", ingest))
        store.close()
    n = len(mentions)
    chars = sum(len(t) + len(c) for t, c in pairs) / n
    print(f"{n} mentions, {chars:.0f} characters on average (title + body)")
    print(f"load average at start {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, at end", end=" ")
    print(" ".join(f"{x:.2f}" for x in os.getloadavg()))
    print(f"{'stage':<52} {'mentions/s':>10} {'CPU µs':>9} {'per CPU s':>10} {'× tokenize':>10}")
    floor = rows[1][2]
    for label, wall, cpu in rows:
        print(f"{label:<52} {n / wall:>10,.0f} {cpu / n * 1e6:>9.1f} {n / cpu:>10,.0f} {cpu / floor:>9.2f}×")


if __name__ == "__main__":
    with bench_run("ingest_speed"):
        main()
