"""Analysis throughput on one core: tokenisation, sentiment, schemes (5,000 keywords in one automaton), event
signatures, the whole analyser, the `yuqing analyse --json` path (events among the texts and the JSON lines
included) and the scheduled analysis job (events, the store's reads and writes included); the last three in a
settled heap, as the command and the service run them, with the whole analyser again in that heap beside them
(their own cost is their row minus that one). Prints a table of
texts/s with CPU time beside wall time, the load average, and `jieba.lcut` alone on the same texts in the same
run as the floor (the × column: CPU time per text over jieba's), and raw pyahocorasick over the schemes' words
as the schemes' floor. Its table and run facts go into bench/runs/<time>-analysis_speed/ (or --out DIR).

Texts: real posts from ../shared/data (COVID-19 weibo posts and government message-board posts) when present,
else the sample board's posts repeated. Keywords: 5,000 words from jieba's own dictionary (mid-frequency, 2–4
characters, so they really occur in posts), spread over 200 schemes of region/subject/event groups, plus the
example config's schemes.

    python bench/analysis_speed.py [--texts 5000] [--keywords 5000] [--shared ../shared/data] [--no-job]
        [--postgres "host=127.0.0.1 user=postgres dbname=postgres"]

`--postgres ADMIN_DSN` adds the job on a PostgreSQL workflow store (the events' tables, as in production): a
throw-away database created through that connection and dropped after.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import ahocorasick
import jieba
from runinfo import bench_run  # bench/ is on sys.path when a bench script runs

from analysis.analyser import Analyser
from analysis.events.minhash import signature
from analysis.job import analyse_pending
from analysis.schemes import SchemeMatcher
from analysis.standalone import json_lines
from config import Config, Level, Scheme, load_config
from store.mentions import NewMention
from store.mentions.sqlite import SqliteMentionStore
from store.tokens import segment, tokenize
from store.workflow import make_engine, make_session_factory
from store.workflow.migrate import upgrade
from yuqing.heap import settle_heap

REPO = Path(__file__).resolve().parent.parent


def real_texts(shared: Path, limit: int) -> list[str]:
    texts: list[str] = []
    weibo = shared / "covid19_weibo_unlabeled" / "weibo_posts.csv"
    gov = shared / "taidi2020_gov_messages" / "messages_labeled.csv"
    if gov.exists():
        with gov.open(encoding="utf-8") as f:
            texts += [f"{r['留言主题']}\n{' '.join(r['留言详情'].split())}" for r in csv.DictReader(f)]
    if weibo.exists():
        with weibo.open(encoding="utf-8") as f:
            texts += [r["text"] for r in csv.DictReader(f)]
    if not texts:
        import yaml

        seed = yaml.safe_load((REPO / "yuqing" / "demo" / "board_seed.yaml").read_text(encoding="utf-8"))
        texts = [f"{p['title']}\n{p['content']}" for p in seed["posts"]]
    random.Random(1).shuffle(texts)
    return (texts * (limit // len(texts) + 1))[:limit]


def keyword_schemes(count: int) -> list[Scheme]:
    jieba.initialize()
    words: list[str] = []
    dictionary = Path(jieba.__file__).parent / "dict.txt"
    with dictionary.open(encoding="utf-8") as f:
        for line in f:
            word, freq, *_ = line.split()
            if 2 <= len(word) <= 4 and 50 <= int(freq) <= 5_000:
                words.append(word)
    rng = random.Random(7)
    chosen = rng.sample(words, count)
    per = max(3, count // 200)
    schemes: list[Scheme] = []
    for i in range(0, count, per):
        group = chosen[i : i + per]
        third = max(1, len(group) // 3)
        schemes.append(
            Scheme(
                id=f"bench-{i}",
                name=f"方案{i}",
                severity=Level.LARGE,
                region=group[:third],
                subject=group[third : 2 * third],
                event=group[2 * third :] or group[:1],
            )
        )
    return schemes


Row = tuple[str, float, float, float]


def rate(label: str, texts: list[str], fn: Callable[[str], object]) -> Row:
    """(label, texts/s, wall µs/text, CPU µs/text): CPU time says what a core of its own would do."""
    for text in texts[:50]:  # warm caches (jieba, fold table)
        fn(text)
    started, cpu = time.perf_counter(), time.process_time()
    for text in texts:
        fn(text)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return label, len(texts) / elapsed, elapsed / len(texts) * 1e6, cpu / len(texts) * 1e6


def whole(label: str, count: int, run: Callable[[], object]) -> Row:
    started, cpu = time.perf_counter(), time.process_time()
    run()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return label, count / elapsed, elapsed / count * 1e6, cpu / count * 1e6


def cli_path(config: Config, texts: list[str], analyser: Analyser) -> None:
    """What `yuqing analyse --json` does with stdin lines once its analyser is built and settled (yuqing.heap):
    json_lines (analyse_texts, one JSON text each), printing left out."""
    lines = [" ".join(t.split()) for t in texts]  # one post a line, as the command reads them
    for _ in json_lines(config, lines, analyser=analyser):
        pass


def job_row(config: Config, texts: list[str], workflow_url: str | None = None) -> Row:
    """analyse_pending over a store of the texts as crawled mentions (stored before the clock starts), with the
    SQLite workflow store for events (or the empty database at `workflow_url`): the scheduled job with all its
    reads and writes."""
    with tempfile.TemporaryDirectory(prefix="yuqing-bench-") as tmp:
        store = SqliteMentionStore(Path(tmp) / "mentions.sqlite3")
        url = workflow_url or f"sqlite:///{Path(tmp) / 'workflow.sqlite3'}"
        upgrade(url)
        engine = make_engine(url)
        sessions = make_session_factory(engine)
        start = datetime.now(UTC) - timedelta(hours=1)
        for i in range(0, len(texts), 1000):
            store.upsert_many(
                [
                    NewMention("bench", str(n), f"http://b/{n}", *_title_content(text))
                    for n, text in enumerate(texts[i : i + 1000], start=i)
                ],
                now=start + timedelta(seconds=i),
            )
        analyser = Analyser(config)
        settle_heap()  # as the service settles it once its analyser is built (yuqing.services)
        done: list[int] = []
        row = whole(
            "scheduled analysis job, PostgreSQL events"
            if workflow_url
            else "scheduled analysis job (events + store writes)",
            len(texts),
            lambda: done.append(analyse_pending(store, analyser, sessions=sessions, max_batches=10**9)),
        )
        assert done == [len(texts)], done
        store.close()
        engine.dispose()
    return row


@contextmanager
def throwaway_postgres(admin_dsn: str, prefix: str = "yuqing_bench") -> Iterator[str]:
    """A PostgreSQL database for one bench run (created and dropped through `admin_dsn`); yields its URL."""
    import psycopg

    name = f"{prefix}_{os.getpid()}"
    params = psycopg.conninfo.conninfo_to_dict(admin_dsn)
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        host, port, user = params.get("host", "127.0.0.1"), params.get("port", 5432), params.get("user", "postgres")
        yield f"postgresql+psycopg://{user}@{host}:{port}/{name}"
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def postgres_job_row(config: Config, texts: list[str], admin_dsn: str) -> Row:
    """job_row with its events in a throw-away PostgreSQL database."""
    with throwaway_postgres(admin_dsn) as url:
        return job_row(config, texts, url)


def _title_content(text: str) -> tuple[str, str]:
    title, _, content = text.partition("\n")
    return (title, content) if content else ("", title)


def raw_automaton(words: set[str]) -> Callable[[str], object]:
    """The schemes' floor: pyahocorasick alone over the same words, every occurrence listed (no folding, no
    whole-word check, no scheme logic)."""
    automaton = ahocorasick.Automaton()
    for word in words:
        automaton.add_word(word, word)
    automaton.make_automaton()
    return lambda text: list(automaton.iter(text))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=5000)
    parser.add_argument("--keywords", type=int, default=5000)
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--no-job", action="store_true", help="leave out the scheduled job's row")
    parser.add_argument("--postgres", metavar="ADMIN_DSN", help="also the job with its events on PostgreSQL")
    args = parser.parse_args()

    load = os.getloadavg()
    texts = real_texts(args.shared, args.texts)
    config = load_config(REPO / "config" / "example")
    big = keyword_schemes(args.keywords)
    matcher = SchemeMatcher(big + config.schemes)
    analyser = Analyser(config)
    plain = Analyser(config.model_copy(update={"territory": None}))
    flagged = sum(1 for t in texts if matcher.match(title="", content=t))
    avg_chars = sum(len(t) for t in texts) / len(texts)

    floor = rate("floor: jieba.lcut alone", texts, jieba.lcut)
    rows = [
        floor,
        rate("tokenisation (store.tokens.tokenize, search mode)", texts, tokenize),
        rate("sentiment (incl. segmentation)", texts, lambda t: analyser.sentiment.score(t, segment(t))),
        rate(
            f"schemes: {len(matcher.words())} keywords, {len(big) + len(config.schemes)} schemes",
            texts,
            lambda t: matcher.match(title="", content=t),
        ),
        rate("floor for schemes: raw pyahocorasick, same words", texts, raw_automaton(matcher.words())),
        rate("event signature (MinHash)", texts, signature),
        rate("whole analysis (no event store)", texts, lambda t: analyser.analyse(title="", content=t)),
        # The territory check's cost, in the same run: the example configuration without its territory.
        rate("whole analysis, no territory", texts, lambda t: plain.analyse(title="", content=t)),
    ]
    # The command's and the service's start-up, before the clock: an analyser, the heap settled (yuqing.heap; the
    # rows above ran unsettled). The analyser again in that heap: what the command's and the job's rows add to it.
    command_analyser = Analyser(config)
    settle_heap()
    rows += [
        rate("whole analysis, heap settled", texts, lambda t: command_analyser.analyse(title="", content=t)),
        whole(
            "yuqing analyse --json path (events among the texts)",
            len(texts),
            lambda: cli_path(config, texts, command_analyser),
        ),
    ]
    if not args.no_job:
        rows.append(job_row(config, texts))
        if args.postgres:
            rows.append(postgres_job_row(config, texts, args.postgres))
    print(f"{len(texts)} texts, {avg_chars:.0f} characters on average; schemes flagged {flagged / len(texts):.0%}")
    print(f"load average at start {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, at end", end=" ")
    print(" ".join(f"{x:.2f}" for x in os.getloadavg()))
    print(f"{'stage':<58} {'texts/s':>9} {'µs/text':>9} {'CPU µs':>9} {'texts/CPU s':>11} {'× jieba':>8}")
    for label, per_second, micros, cpu in rows:
        ratio = cpu / floor[3]
        print(f"{label:<58} {per_second:>9,.0f} {micros:>9.1f} {cpu:>9.1f} {1e6 / cpu:>11,.0f} {ratio:>7.2f}×")


if __name__ == "__main__":
    with bench_run("analysis_speed"):
        main()
