"""What the search copy's triggers (store/mentions/sqlite_facets.py) cost the embedded store's writes.

The store's own `upsert_many` of the same N new posts in batches of 500, then `record_counts` of all of them,
on a fresh store with the triggers and on one with them dropped (the floor: the store as it was without the
copy), interleaved `--pairs` times; CPU time of this process per post beside the wall time:

    python bench/facets_write_cost.py [--posts 5000] [--pairs 3]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from runinfo import bench_run  # bench/ is on sys.path when a bench script runs

from store.mentions import CountUpdate, NewMention
from store.mentions.sqlite import SqliteMentionStore
from store.tokens import tokenize

WORDS = ["食堂", "学校", "收费", "物业", "拖欠", "工资", "噪音", "道路", "医院", "补课", "问题", "工作"]


def posts(count: int) -> list[NewMention]:
    rng = random.Random(1)
    return [
        NewMention(
            "board",
            str(i),
            f"http://board.example/{i}",
            "帖子" + rng.choice(WORDS),
            "，".join(rng.choices(WORDS, k=30)),
            reply_count=i % 7,
        )
        for i in range(count)
    ]


def run(batch: list[NewMention], *, triggers: bool) -> tuple[float, float, float]:
    """(upsert CPU µs a post, record_counts CPU µs a post, upsert wall µs a post)."""
    with tempfile.TemporaryDirectory() as directory:
        store = SqliteMentionStore(Path(directory) / "m.sqlite3")
        try:
            if not triggers:
                with store._connection() as conn:
                    for kind in ("insert", "update", "delete"):
                        conn.execute(f"DROP TRIGGER mention_facets_{kind}")
            start = datetime(2026, 1, 1, tzinfo=UTC)
            cpu, wall = time.process_time(), time.perf_counter()
            for i in range(0, len(batch), 500):
                store.upsert_many(batch[i : i + 500], now=start + timedelta(minutes=i))
            upsert_cpu, upsert_wall = time.process_time() - cpu, time.perf_counter() - wall
            cpu = time.process_time()
            store.record_counts([CountUpdate(f"board:{p.post_id}", int(p.post_id) % 11, 100) for p in batch])
            counts_cpu = time.process_time() - cpu
        finally:
            store.close()
    n = len(batch) / 1e6
    return upsert_cpu / n, counts_cpu / n, upsert_wall / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=5000)
    parser.add_argument("--pairs", type=int, default=3)
    args = parser.parse_args()
    tokenize("预热")  # the tokeniser's dictionary, loaded before timing
    batch = posts(args.posts)
    print(f"{'':<22} {'upsert CPU µs':>14} {'counts CPU µs':>14} {'upsert wall µs':>15}  (a post)")
    for _ in range(args.pairs):
        for triggers in (False, True):
            up, counts, wall = run(batch, triggers=triggers)
            name = "with the copy" if triggers else "without (the floor)"
            print(f"{name:<22} {up:>14.1f} {counts:>14.1f} {wall:>15.1f}", flush=True)


if __name__ == "__main__":
    with bench_run("facets_write_cost"):
        main()
