"""Analysis throughput on one core: tokenisation, sentiment, schemes (5,000 keywords in one automaton), event
signatures, and the whole analyser. Prints a table of texts/s.

Texts: real posts from ../shared/data (COVID-19 weibo posts and government message-board posts) when present,
else the sample board's posts repeated. Keywords: 5,000 words from jieba's own dictionary (mid-frequency, 2–4
characters, so they really occur in posts), spread over 200 schemes of region/subject/event groups, plus the
example config's schemes.

    python bench/analysis_speed.py [--texts 5000] [--keywords 5000] [--shared ../shared/data]
"""

from __future__ import annotations

import argparse
import csv
import random
import time
from collections.abc import Callable
from pathlib import Path

import jieba

from analysis.analyser import Analyser
from analysis.events.minhash import signature
from analysis.schemes import SchemeMatcher
from config import Level, Scheme, load_config
from store.tokens import segment, tokenize

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


def rate(label: str, texts: list[str], fn: Callable[[str], object]) -> tuple[str, float, float, float]:
    """(label, texts/s, wall µs/text, CPU µs/text): CPU time says what a core of its own would do."""
    for text in texts[:50]:  # warm caches (jieba, fold table)
        fn(text)
    started, cpu = time.perf_counter(), time.process_time()
    for text in texts:
        fn(text)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return label, len(texts) / elapsed, elapsed / len(texts) * 1e6, cpu / len(texts) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=5000)
    parser.add_argument("--keywords", type=int, default=5000)
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    args = parser.parse_args()

    texts = real_texts(args.shared, args.texts)
    config = load_config(REPO / "config" / "example")
    big = keyword_schemes(args.keywords)
    matcher = SchemeMatcher(big + config.schemes)
    analyser = Analyser(config)
    plain = Analyser(config.model_copy(update={"territory": None}))
    flagged = sum(1 for t in texts if matcher.match(title="", content=t))
    avg_chars = sum(len(t) for t in texts) / len(texts)

    rows = [
        rate("tokenisation (jieba search mode)", texts, tokenize),
        rate("sentiment (incl. segmentation)", texts, lambda t: analyser.sentiment.score(t, segment(t))),
        rate(
            f"schemes: {len(matcher.words())} keywords, {len(big) + len(config.schemes)} schemes",
            texts,
            lambda t: matcher.match(title="", content=t),
        ),
        rate("event signature (MinHash)", texts, signature),
        rate("whole analysis (no event store)", texts, lambda t: analyser.analyse(title="", content=t)),
        # The territory check's cost, in the same run: the example configuration without its territory.
        rate("whole analysis, no territory", texts, lambda t: plain.analyse(title="", content=t)),
    ]
    print(f"{len(texts)} texts, {avg_chars:.0f} characters on average; schemes flagged {flagged / len(texts):.0%}")
    print(f"{'stage':<58} {'texts/s':>10} {'µs/text':>9} {'CPU µs':>9} {'texts/CPU s':>11}")
    for label, per_second, micros, cpu in rows:
        print(f"{label:<58} {per_second:>10,.0f} {micros:>9.1f} {cpu:>9.1f} {1e6 / cpu:>11,.0f}")


if __name__ == "__main__":
    main()
