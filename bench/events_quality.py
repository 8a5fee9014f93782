"""Same-story clustering quality on reposts built from real posts.

Stories: real government message-board posts and COVID-19 weibo posts from ../shared/data (texts of at least
40 characters that share under 30% of their shingles with each other — the weibo set has copypasta). A share
of them is "reposted" 1–4 times with the edits reposters make: a prefix or comment added, characters dropped,
punctuation and spacing changed, converted to traditional characters, cut short. Everything goes through the
real event service (MinHash + LSH + similarity threshold from config) in time order; pairwise precision and
recall are computed against the known stories.

    python bench/events_quality.py [--stories 2000] [--reposted 0.3] [--shared ../shared/data]
"""

from __future__ import annotations

import argparse
import csv
import random
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from itertools import combinations
from pathlib import Path

import numpy as np
import opencc
from runinfo import bench_run  # bench/ is on sys.path when a bench script runs
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import StaticPool

from analysis.events.minhash import signature
from analysis.events.models import Event, EventBand, EventKey, EventMember
from analysis.events.service import assign
from config.models import EventSettings

REPO = Path(__file__).resolve().parent.parent
PREFIXES = ["转发：", "求扩散！", "【网友爆料】", "//@热心市民：", "大家看看这个：", ""]
SUFFIXES = ["大家评评理！", "求关注", "转给相关部门", "？？？", "", "#城关身边事#"]
PUNCT = {"，": ",", "。": ".", "！": "!!", "？": "?", "、": " "}


def stories(shared: Path, limit: int, rng: random.Random) -> list[str]:
    texts: list[str] = []
    for name in ("messages_labeled.csv", "messages_with_replies.csv", "hot_messages_with_votes.csv"):
        path = shared / "taidi2020_gov_messages" / name
        if path.exists():
            with path.open(encoding="utf-8") as f:
                texts += [" ".join(f"{r['留言主题']}。{r['留言详情']}".split()) for r in csv.DictReader(f)]
    weibo = shared / "covid19_weibo_unlabeled" / "weibo_posts.csv"
    if weibo.exists():
        with weibo.open(encoding="utf-8") as f:
            texts += [r["text"] for r in csv.DictReader(f)]
    distinct = sorted({t for t in texts if len(t) >= 40})
    if not distinct:
        raise SystemExit(f"no posts under {shared}: this benchmark needs ../shared/data")
    rng.shuffle(distinct)
    # The weibo set holds copypasta under different hashtags: those are one story already, so keep only posts
    # that share less than 30% of their shingles with every post kept before them.
    kept: list[str] = []
    signatures: list[np.ndarray] = []
    for text in distinct:
        sig = signature(text)
        if sig is None:
            continue
        if signatures and float((np.vstack(signatures) == sig).mean(axis=1).max()) >= 0.3:
            continue
        kept.append(text)
        signatures.append(sig)
        if len(kept) == limit:
            break
    return kept


def repost(text: str, rng: random.Random, to_traditional: opencc.OpenCC) -> str:
    edits = rng.sample(["prefix", "drop", "punct", "traditional", "cut", "suffix"], k=rng.randint(1, 3))
    out = text
    if "drop" in edits:
        out = "".join(ch for ch in out if rng.random() > 0.05)
    if "punct" in edits:
        out = "".join(PUNCT.get(ch, ch) for ch in out)
    if "traditional" in edits:
        out = to_traditional.convert(out)
    if "cut" in edits:
        out = out[: max(30, int(len(out) * rng.uniform(0.6, 0.9)))]
    if "prefix" in edits:
        out = rng.choice(PREFIXES) + out
    if "suffix" in edits:
        out = out + rng.choice(SUFFIXES)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=2000)
    parser.add_argument("--reposted", type=float, default=0.3, help="share of stories that get reposts")
    parser.add_argument("--similarity", type=float, default=EventSettings().similarity)
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    args = parser.parse_args()
    rng = random.Random(11)
    to_traditional = opencc.OpenCC("s2t")

    posts: list[tuple[int, str]] = []  # (story, text)
    for story, text in enumerate(stories(args.shared, args.stories, rng)):
        posts.append((story, text))
        if rng.random() < args.reposted:
            posts += [(story, repost(text, rng, to_traditional)) for _ in range(rng.randint(1, 4))]
    rng.shuffle(posts)

    engine = create_engine("sqlite://", poolclass=StaticPool)
    tables = Event.metadata.tables
    Event.metadata.create_all(
        engine, tables=[tables[m.__tablename__] for m in (Event, EventMember, EventBand, EventKey)]
    )
    sessions = sessionmaker(engine)
    settings = EventSettings(similarity=args.similarity)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    predicted: dict[str, list[int]] = defaultdict(list)  # event id -> indexes of posts
    unclustered = 0
    began, cpu = time.perf_counter(), time.process_time()
    for index, (_story, text) in enumerate(posts):
        with sessions.begin() as session:
            heat = assign(
                session,
                mention_id=f"p{index}",
                source=f"s{index % 5}",
                title="",
                text=text,
                discovered_at=start + timedelta(seconds=30 * index),  # all inside the 72 h window
                replies=None,
                views=None,
                settings=settings,
            )
        if heat is None:
            unclustered += 1
        else:
            predicted[heat.id].append(index)
    elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu

    true_pairs = {
        (a, b)
        for a, b in combinations(range(len(posts)), 2)
        if posts[a][0] == posts[b][0]  # O(n²) over ~3,000 posts: fine for a benchmark
    }
    found_pairs = {tuple(sorted(p)) for members in predicted.values() for p in combinations(members, 2)}
    right = len(true_pairs & found_pairs)
    precision = right / len(found_pairs) if found_pairs else 1.0
    recall = right / len(true_pairs) if true_pairs else 1.0
    stories_with_copies = len({posts[a][0] for a, _ in true_pairs})
    print(f"{len(posts)} posts: {args.stories} real stories, {stories_with_copies} of them reposted with edits")
    print(f"similarity threshold {settings.similarity}, window {settings.window_hours} h; {unclustered} too short")
    print(f"{'measure':<40} {'value':>10}")
    print(f"{'pairwise precision (same event = same story)':<40} {precision:>10.3f}")
    print(f"{'pairwise recall (reposts found)':<40} {recall:>10.3f}")
    print(f"{'events formed':<40} {len(predicted):>10}")
    print(f"{'posts/s through the event store':<40} {len(posts) / elapsed:>10,.0f}")
    print(f"{'posts per CPU-second, same':<40} {len(posts) / cpu:>10,.0f}")


if __name__ == "__main__":
    with bench_run("events_quality"):
        main()
