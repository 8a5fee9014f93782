"""Search latency on the embedded mention store at scale: keyword + two filters + top 20 + a date histogram.

Builds N mentions (default 1,000,000) in a SQLite store at --db, once: a re-run with the same N reuses it.
Texts are sentences assembled from jieba's dictionary (words drawn by their corpus frequency, so common words
are common) with complaint-domain words mixed in; each word is tokenised once with the store's own tokenizer
(jieba search mode, folding), so the FTS index holds exactly what indexing those texts would give. Rows are
written in bulk straight into the store's schema (the store's per-post path would take hours for a million),
then the store's indexes are created by opening it normally. Mentions spread over a year and 30 sources, 60
units; all are analysed (sentiment, level; ~4% flagged by a scheme).

Queries go through `SqliteMentionStore.search` — the code the API runs — with a warm page cache:

    python bench/search_latency.py [--mentions 1000000] [--db /tmp/yuqing-bench/mentions-1m.sqlite3] [--runs 60]
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jieba
from runinfo import bench_run  # bench/ is on sys.path when a bench script runs

from config import Settings
from store.mentions import DateHistogram, SearchQuery, Terms
from store.mentions.content import content_hash
from store.mentions.search_cache import SearchCache
from store.mentions.sqlite import SqliteMentionStore
from store.mentions.sqlite_facets import fts_tags
from store.mentions.sqltime import us
from store.tokens import domain_words, tokenize

NOW = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
DAYS = 365
SOURCES = [f"board-{i:02d}" for i in range(30)]
UNITS = [f"unit-{i:02d}" for i in range(60)]
SCHEMES = ["校园安全", "食品安全", "欠薪讨薪", "乱收费", "环境污染", "拆迁征地", "医疗纠纷", "交通事故"]
# Complaint words placed into texts beside the dictionary's words (one in ~30 words is one of these).
TOPIC = [
    *sorted(domain_words()),
    "学校",
    "老师",
    "学生",
    "食堂",
    "饭菜",
    "变质",
    "呕吐",
    "腹泻",
    "欺凌",
    "打架",
    "收费",
    "补课",
    "学费",
    "工资",
    "拖欠",
    "农民工",
    "讨薪",
    "拆迁",
    "征地",
    "补偿",
    "污水",
    "排放",
    "异味",
    "噪音",
    "医院",
    "医生",
    "投诉",
    "举报",
    "维权",
    "信访",
    "小区",
    "物业",
    "停水",
    "停电",
    "道路",
    "塌陷",
    "车祸",
    "城管",
]
BATCH = 20_000


def vocabulary() -> tuple[list[str], list[float]]:
    """Words of jieba's dictionary of 1–4 characters with their frequencies (a Zipf-like draw)."""
    jieba.initialize()
    words: list[str] = []
    weights: list[float] = []
    with (Path(jieba.__file__).parent / "dict.txt").open(encoding="utf-8") as f:
        for line in f:
            word, freq, *_ = line.split()
            if 1 <= len(word) <= 4 and int(freq) >= 300 and word.isalnum():
                words.append(word)
                weights.append(float(freq))
    return words, weights


class TextMaker:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        words, weights = vocabulary()
        self.words = words
        self.cum = list(_accumulate(weights))
        self._tokens: dict[str, str] = {}

    def tokens_of(self, word: str) -> str:
        got = self._tokens.get(word)
        if got is None:
            got = self._tokens[word] = " ".join(tokenize(word))
        return got

    def sentence_words(self, count: int) -> list[str]:
        picked = self.rng.choices(self.words, cum_weights=self.cum, k=count)
        for i in range(count):
            if self.rng.random() < 1 / 30:
                picked[i] = self.rng.choice(TOPIC)
        return picked

    def text(self, low: int, high: int) -> tuple[str, str]:
        """(text, its FTS column: space-joined search tokens)."""
        words = self.sentence_words(self.rng.randint(low, high))
        parts: list[str] = []
        for i, word in enumerate(words):
            parts.append(word)
            if i % 9 == 8:
                parts.append("，" if i % 27 != 26 else "。")
        return "".join(parts) + "。", " ".join(t for t in (self.tokens_of(w) for w in words) if t)


def _accumulate(values: list[float]) -> list[float]:
    total = 0.0
    out: list[float] = []
    for v in values:
        total += v
        out.append(total)
    return out


def build(path: Path, count: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    SqliteMentionStore(path).close()  # the store's schema
    conn = sqlite3.connect(path, isolation_level=None)
    indexes = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index' AND sql IS NOT NULL")]
    for name in indexes:  # rebuilt by the store after the bulk load: faster than maintaining them row by row
        conn.execute(f"DROP INDEX {name}")
    conn.execute("PRAGMA synchronous = OFF")
    maker = TextMaker(seed=20261130)
    rng = maker.rng
    span_us = DAYS * 86_400_000_000
    start_us = us(NOW) - span_us
    started = time.perf_counter()
    seq = 0
    for first in range(0, count, BATCH):
        rows = []
        fts = []
        schemes = []
        for i in range(first, min(first + BATCH, count)):
            rowid = i + 1
            title, title_tokens = maker.text(4, 9)
            content, body_tokens = maker.text(25, 90)
            # Posts come more in the day than at night, and a little more each month.
            at = start_us + int(span_us * (rng.random() ** 0.8))
            source = SOURCES[min(int(rng.expovariate(1 / 6)), len(SOURCES) - 1)]
            unit = UNITS[min(int(rng.expovariate(1 / 12)), len(UNITS) - 1)]
            roll = rng.random()
            label = "negative" if roll < 0.32 else "positive" if roll > 0.86 else "neutral"
            sentiment = {"negative": -0.6, "neutral": 0.0, "positive": 0.5}[label]
            flagged = rng.random() < 0.04
            level = rng.choice((2, 2, 2, 3, 3, 4)) if flagged else (1 if rng.random() < 0.1 else 0)
            seq += 1
            flags = []
            if flagged:
                scheme = rng.choice(SCHEMES)
                flags = [{"scheme": scheme, "words": [], "positions": []}]
                schemes.append((scheme, rowid))
            rows.append(
                (
                    rowid,
                    f"{source}:{i}",
                    source,
                    str(i),
                    f"https://{source}.example.cn/thread/{i}",
                    title,
                    content,
                    f"网友{rng.randint(1, 99999)}",
                    at - rng.randint(0, 3_600_000_000),
                    at,
                    at,
                    rng.randint(0, 200),
                    rng.randint(0, 20000),
                    content_hash(title, content),
                    unit,
                    unit,
                    at + 5_000_000,
                    seq,
                    sentiment,
                    label,
                    json.dumps(flags, ensure_ascii=False),
                    level,
                    at,
                )
            )
            fts.append((rowid, title_tokens, body_tokens))
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO mentions (rowid, id, source, post_id, url, title, content, author, published_at,"
            " discovered_at, updated_at, reply_count, view_count, content_hash, crawl_unit, unit, analysed_at,"
            " analysis_seq, sentiment, sentiment_label, flags, level, last_seen_at, tokens, explanation)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '[]', '[]')",
            rows,
        )
        conn.executemany(
            "INSERT INTO mentions_fts (rowid, title, body, tags)"
            f" SELECT ?, ?, ?, {fts_tags('m')} FROM mentions m WHERE m.rowid = ?",
            [(*row, row[0]) for row in fts],
        )
        conn.executemany("INSERT INTO mention_schemes (scheme, mention_rowid) VALUES (?, ?)", schemes)
        conn.execute("COMMIT")
        done = min(first + BATCH, count)
        rate = done / (time.perf_counter() - started)
        print(f"  built {done:>9,} mentions  ({rate:,.0f}/s)", flush=True)
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('analysis_seq', ?)", (seq,))
    conn.close()
    t = time.perf_counter()
    SqliteMentionStore(path).close()  # recreates the store's indexes
    print(f"  indexes: {time.perf_counter() - t:.0f} s; total build {time.perf_counter() - started:.0f} s", flush=True)


def ensure_db(path: Path, count: int) -> None:
    if path.exists():
        conn = sqlite3.connect(path)
        try:
            have = conn.execute("SELECT COUNT(*) FROM mentions").fetchone()[0]
        except sqlite3.DatabaseError:
            have = -1
        finally:
            conn.close()
        if have == count:
            print(f"reusing {path} ({count:,} mentions)")
            return
        print(f"{path} has {have:,} mentions, want {count:,}: rebuilding")
    print(f"building {count:,} mentions in {path}")
    build(path, count)


def queries(runs: int, with_terms: bool, seed: int = 5) -> list[tuple[str, SearchQuery]]:
    """Keyword + two filters + top 20 + a date histogram, in four shapes, cycling over keywords and values."""
    rng = random.Random(seed)
    common = ["学校", "问题", "工作", "发展"]
    topical = ["食堂", "欺凌", "拖欠", "拆迁", "乱收费", "物业", "补课", "污水"]
    two_words = ["学校 食堂", "拖欠 工资", "小区 物业", "老师 补课"]
    out: list[tuple[str, SearchQuery]] = []
    for i in range(runs):
        aggs: list[DateHistogram | Terms] = [DateHistogram("volume", "discovered_at", "day")]
        if with_terms:
            aggs += [Terms("sources", "source"), Terms("units", "unit"), Terms("schemes", "schemes")]
        shape = i % 4
        if shape == 0:  # topic word, a unit and negative sentiment, over the whole year
            name = "topic word + unit + sentiment"
            q = SearchQuery(
                text=rng.choice(topical),
                units=(rng.choice(UNITS[:8]),),
                sentiment_labels=("negative",),
                size=20,
                aggs=tuple(aggs),
            )
        elif shape == 1:  # common word, a source and the last 30 days
            name = "common word + source + 30 days"
            q = SearchQuery(
                text=rng.choice(common),
                sources=(rng.choice(SOURCES[:6]),),
                since=NOW - timedelta(days=30),
                size=20,
                aggs=tuple(aggs),
            )
        elif shape == 2:  # two words, a scheme and a level
            name = "two words + scheme + level"
            q = SearchQuery(
                text=rng.choice(two_words),
                schemes=(rng.choice(SCHEMES),),
                min_level=2,
                size=20,
                aggs=tuple(aggs),
            )
        else:  # common word, sentiment and the last 90 days, by relevance
            name = "common word + sentiment + 90 days, relevance"
            q = SearchQuery(
                text=rng.choice(common),
                sentiment_labels=("negative",),
                since=NOW - timedelta(days=90),
                size=20,
                sort="relevance",
                aggs=tuple(aggs),
            )
        out.append((name, q))
    return out


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def measure(store: SqliteMentionStore, runs: int, with_terms: bool) -> None:
    """Wall-clock latency, and the CPU time of this thread alone: on a shared machine the wall clock also
    counts waiting for a core, which the CPU column leaves out."""
    plan = queries(runs, with_terms)
    for _, q in queries(runs, with_terms, seed=6):  # warm the page cache and the pool, as a running API has
        store.search(q)
    times: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    totals: dict[str, list[int]] = {}
    for name, q in plan:
        t, c = time.perf_counter(), time.thread_time()
        result = store.search(q)
        times.setdefault(name, []).append((time.perf_counter() - t) * 1000)
        cpu.setdefault(name, []).append((time.thread_time() - c) * 1000)
        totals.setdefault(name, []).append(result.total)
    label = "+ 3 terms aggs" if with_terms else ""
    print(
        f"\n{'query ' + label:<46} {'runs':>4} {'matches':>8} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7}"
        f" {'cpu p50':>8} {'cpu p95':>8}"
    )

    def row(name: str, wall: list[float], used: list[float], matches: str) -> None:
        print(
            f"{name:<46} {len(wall):>4} {matches:>8} {pct(wall, 50):>7.1f} {pct(wall, 95):>7.1f} {max(wall):>7.1f}"
            f" {pct(used, 50):>8.1f} {pct(used, 95):>8.1f}"
        )

    for name, values in times.items():
        row(name, values, cpu[name], f"{int(statistics.median(totals[name])):,}")
    # The target shape sorts by time (the API's default); relevance ranks every match, listed apart.
    target = [n for n in times if "relevance" not in n]
    row(
        "all time-sorted (the target shape)",
        [t for n in target for t in times[n]],
        [t for n in target for t in cpu[n]],
        "",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mentions", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, default=Path("/tmp/yuqing-bench/mentions-1m.sqlite3"))
    parser.add_argument("--runs", type=int, default=60, help="queries per table (cycling over four shapes)")
    parser.add_argument("--build-only", action="store_true")
    args = parser.parse_args()
    ensure_db(args.db, args.mentions)
    if args.build_only:
        return
    # The mapping the service would use (YUQING_SQLITE_MMAP_MB, docs/sizing.md).
    store = SqliteMentionStore(args.db, mmap_bytes=Settings().sqlite_mmap_mb << 20)
    # Every search a fresh one: the store's recent results (store/mentions/search_cache.py) would answer the
    # queries this bench repeats from memory, and the table would time the cache.
    store._searches = SearchCache(0)
    try:
        print(f"\nsearch on {store.count():,} mentions (SqliteMentionStore.search: total + top 20 + aggregations)")
        measure(store, args.runs, with_terms=False)
        measure(store, args.runs, with_terms=True)
    finally:
        store.close()


if __name__ == "__main__":
    with bench_run("search_latency"):
        main()
