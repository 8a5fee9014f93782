"""Department assignment on real government message-board posts (泰迪杯 2020, ../shared/data, DEV part).

Each of the 7 first-level topics (教育文体, 劳动和社会保障, …) becomes a department unit; its topic words are
learned from the training folds only (jieba words most over-represented in that topic's messages, by smoothed
log-odds, seen in at least 3 messages), then the real `UnitAttributor` routes each held-out message by those
words. 5-fold cross-validation, folds by hash of the message text. Prints accuracy overall and on the messages
it decided, how many it left undecided (they would stay with the board's own unit), and the majority baseline.

    python bench/attribution.py [--keywords 80] [--shared ../shared/data]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import math
from collections import Counter
from pathlib import Path

from runinfo import bench_run  # bench/ is on sys.path when a bench script runs

from analysis.attribution import UnitAttributor
from config import Unit
from store.tokens import segment

REPO = Path(__file__).resolve().parent.parent
FOLDS = 5


def fold(text: str) -> int:
    return int(hashlib.sha1(text.encode("utf-8")).hexdigest()[8:16], 16) % FOLDS


def learn_keywords(train: list[tuple[str, str, list[str]]], per_topic: int) -> dict[str, list[str]]:
    topics = sorted({t for t, _, _ in train})
    df: dict[str, Counter[str]] = {t: Counter() for t in topics}
    sizes = Counter(t for t, _, _ in train)
    for topic, _, words in train:
        df[topic].update({w for w in words if len(w) >= 2})
    total: Counter[str] = Counter()
    for counts in df.values():
        total.update(counts)
    out: dict[str, list[str]] = {}
    for topic in topics:
        rest = len(train) - sizes[topic]
        scored = []
        for word, n in df[topic].items():
            if total[word] < 3:
                continue
            inside = (n + 0.5) / (sizes[topic] + 1)
            outside = (total[word] - n + 0.5) / (rest + 1)
            scored.append((math.log(inside / outside), word))
        out[topic] = [w for _, w in sorted(scored, reverse=True)[:per_topic]]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keywords", type=int, default=80, help="topic words learned per department")
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    args = parser.parse_args()
    path = args.shared / "taidi2020_gov_messages" / "messages_labeled.csv"
    if not path.exists():
        raise SystemExit(f"{path} not found: this benchmark needs ../shared/data")
    with path.open(encoding="utf-8") as f:
        rows = [(r["一级分类"], r["留言主题"].strip(), " ".join(r["留言详情"].split())) for r in csv.DictReader(f)]
    messages = [(topic, title, content, segment(f"{title}\n{content}")) for topic, title, content in rows]

    right = decided = 0
    for k in range(FOLDS):
        train = [(t, ti, w) for t, ti, c, w in messages if fold(f"{ti}\n{c}") != k]
        test = [(t, ti, c) for t, ti, c, _ in messages if fold(f"{ti}\n{c}") == k]
        keywords = learn_keywords(train, args.keywords)
        units = [
            Unit(id=f"dept-{i}", name=f"{topic}部门", keywords=words)
            for i, (topic, words) in enumerate(sorted(keywords.items()))
        ]
        names = {u.id: u.name.removesuffix("部门") for u in units}
        attributor = UnitAttributor(units)
        for topic, title, content in test:
            result = attributor.attribute(title=title, content=content, default_unit=None)
            if result.unit is not None:
                decided += 1
                right += names[result.unit] == topic
    majority = Counter(t for t, *_ in messages).most_common(1)[0]
    n = len(messages)
    print(f"{n} labelled messages, 7 topics, {FOLDS}-fold CV, {args.keywords} learned topic words per department")
    print(f"{'measure':<44} {'value':>8}")
    print(f"{'accuracy, all messages (undecided = wrong)':<44} {right / n:>8.3f}")
    print(f"{'accuracy on the messages it routed':<44} {right / max(decided, 1):>8.3f}")
    print(f"{'routed (others stay with the board unit)':<44} {decided / n:>8.3f}")
    print(f"{'majority baseline (' + majority[0] + ')':<44} {majority[1] / n:>8.3f}")


if __name__ == "__main__":
    with bench_run("attribution"):
        main()
