"""Elasticsearch document size on real complaint-board posts: the basis of docs/sizing.md.

Builds each post's document exactly as the Elasticsearch mention store writes it (crawl, then the real
analyser's analysis) from the 泰迪杯 2020 government message-board posts in ../shared/data, and prints what a
mention weighs: characters, the JSON _source, and the part of it that is jieba tokens.

    python bench/es_document_size.py [--posts 2000] [--shared ../shared/data]
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

from runinfo import bench_run  # bench/ is on sys.path when a bench script runs

from analysis.analyser import Analyser
from config import load_config
from store.mentions import NewMention
from store.mentions.elastic_docs import apply_analysis, apply_crawl

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    args = parser.parse_args()
    path = args.shared / "taidi2020_gov_messages" / "messages_labeled.csv"
    if not path.exists():
        raise SystemExit(f"{path} not found: this benchmark needs ../shared/data")
    with path.open(encoding="utf-8") as f:
        rows = [(r["留言主题"].strip(), " ".join(r["留言详情"].split())) for r in csv.DictReader(f)][: args.posts]
    analyser = Analyser(load_config(REPO / "config" / "example"))
    now = datetime(2026, 3, 5, tzinfo=UTC).isoformat(timespec="microseconds")
    chars, source, tokens = [], [], []
    started, cpu = time.perf_counter(), time.process_time()
    for i, (title, content) in enumerate(rows):
        post = NewMention(
            "gov-board", str(i), f"https://board.example.gov.cn/thread/{i}", title, content, unit="county"
        )
        _, doc = apply_crawl(None, post, now)
        doc = apply_analysis(doc, analyser.analyse(title=title, content=content), stamp=now, seq=i + 1)
        raw = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()
        chars.append(len(title) + len(content))
        source.append(len(raw))
        token_bytes = len((doc["title_tokens"] + doc["content_tokens"]).encode()) + len(
            json.dumps(doc["tokens"], ensure_ascii=False).encode()
        )
        tokens.append(token_bytes)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(
        f"{len(rows)} posts of the 泰迪杯 2020 government message board, analysed in {elapsed:.1f}s (CPU {cpu:.1f}s)\n"
    )
    print("| measure | mean | median | p95 |")
    print("|---|---|---|---|")
    for name, values in (
        ("characters (title + text)", chars),
        ("_source bytes (JSON, UTF-8)", source),
        ("  of which jieba tokens (3 fields)", tokens),
    ):
        ordered = sorted(values)
        p95 = ordered[int(len(ordered) * 0.95)]
        print(f"| {name} | {statistics.mean(values):,.0f} | {statistics.median(values):,.0f} | {p95:,} |")
    print(f"\nbytes of _source per character: {sum(source) / sum(chars):.1f}")


if __name__ == "__main__":
    with bench_run("es_document_size"):
        main()
