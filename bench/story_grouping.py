"""Story grouping on stories marked by hand in the DEV hot messages (bench/data/dev_stories.jsonl).

The marked posts of ../shared/data/taidi2020_full/hot_messages_with_votes.csv go through the real event service
in the order they were posted, with their own times: once with near-copies only (MinHash), once also joining
posts about the same place and matter (analysis/events/subject.py). Pairwise precision and recall against the
marked stories, the stories formed, and the heat the biggest story gets from its count.

    python bench/story_grouping.py [--shared ../shared/data]
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from collections import defaultdict
from datetime import UTC, datetime
from itertools import combinations
from pathlib import Path

from runinfo import bench_run  # bench/ is on sys.path when a bench script runs
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import StaticPool

from analysis.events.models import Event, EventBand, EventKey, EventMember
from analysis.events.service import assign
from config.models import EventSettings

REPO = Path(__file__).resolve().parent.parent
MARKED = REPO / "bench" / "data" / "dev_stories.jsonl"


def parse_time(text: str) -> datetime:
    text = " ".join(text.split())
    for pattern in ("%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=UTC)
        except ValueError:
            continue
    return datetime.strptime(text.split(" ")[0], "%Y/%m/%d").replace(tzinfo=UTC)


def run(posts: list[tuple[str, str, str, datetime]], settings: EventSettings) -> tuple[dict[str, str], int, float]:
    engine = create_engine("sqlite://", poolclass=StaticPool)
    tables = Event.metadata.tables
    Event.metadata.create_all(
        engine, tables=[tables[m.__tablename__] for m in (Event, EventMember, EventBand, EventKey)]
    )
    sessions = sessionmaker(engine)
    event_of: dict[str, str] = {}
    subject_joins = 0
    began = time.process_time()
    for post_id, title, body, at in posts:
        with sessions.begin() as session:
            heat = assign(
                session,
                mention_id=post_id,
                source="taidi",
                title=title,
                text=f"{title}\n{body}",
                discovered_at=at,
                replies=None,
                views=None,
                settings=settings,
            )
        event_of[post_id] = heat.id if heat is not None else post_id
        subject_joins += heat is not None and heat.subject is not None
    cpu = time.process_time() - began
    engine.dispose()
    return event_of, subject_joins, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    args = parser.parse_args()
    path = args.shared / "taidi2020_full" / "hot_messages_with_votes.csv"
    if not path.exists():
        raise SystemExit(f"{path} not found: this benchmark needs ../shared/data")
    story = {r["id"]: r["story"] for r in map(json.loads, MARKED.read_text(encoding="utf-8").splitlines())}
    with path.open(encoding="utf-8") as f:
        rows = {r["留言编号"]: r for r in csv.DictReader(f) if r["留言编号"] in story}
    missing = sorted(set(story) - set(rows))
    if missing:
        raise SystemExit(f"marked posts not in {path}: {', '.join(missing)}")
    posts = sorted(
        (
            (
                pid,
                " ".join(r["留言主题"].split()),
                " ".join(r["留言详情"].replace("_x000D_", " ").split()),
                parse_time(r["留言时间"]),
            )
            for pid, r in rows.items()
        ),
        key=lambda p: (p[3], p[0]),
    )
    truth = {tuple(sorted(p)) for p in combinations(story, 2) if story[p[0]] == story[p[1]]}
    stories = len(set(story.values()))
    print(f"{len(posts)} marked DEV posts in {stories} stories ({len(truth)} same-story pairs)")
    print(f"{'grouping':<34} {'precision':>9} {'recall':>7} {'stories':>8} {'subject joins':>14} {'cpu s':>6}")
    for label, settings in (
        ("near-copies only (MinHash)", EventSettings(same_subject=False)),
        ("+ same place and matter", EventSettings()),
    ):
        event_of, joins, cpu = run(posts, settings)
        members: dict[str, list[str]] = defaultdict(list)
        for pid, event in event_of.items():
            members[event].append(pid)
        found = {tuple(sorted(p)) for group in members.values() for p in combinations(group, 2)}
        right = len(found & truth)
        precision = right / len(found) if found else 1.0
        recall = right / len(truth) if truth else 1.0
        print(f"{label:<34} {precision:>9.3f} {recall:>7.3f} {len(members):>8} {joins:>14} {cpu:>6.2f}")
        biggest = max(members.values(), key=len)
        names = sorted({story[p] for p in biggest})
        print(f"  biggest story: {len(biggest)} posts — marked as {'、'.join(names)}")


if __name__ == "__main__":
    with bench_run("story_grouping"):
        main()
