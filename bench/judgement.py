"""Judgement on graded posts: what level and type the whole analyser gives real complaint-board posts, against
a duty officer's grades (../shared/data/complaint_severity, GUIDE.md), k-fold so no post is graded by a model
that saw it. Prints the issue's targets, the per-level confusion and the speed of the whole analysis.

    python bench/judgement.py [--labels FILE] [--config config/example] [--folds 5] [--tune] [--misses]

Each post is analysed as `yuqing analyse` reads it (one line, 主题。详情) by the Analyser with the example
configuration's schemes and the grader of the fold the post is not in (training/train_grader.py). The grader's
probability thresholds (analysis.yaml `grader:`) are chosen per fold on the other folds' out-of-fold grades (a
grid, `objective`): no threshold is tuned on the fold it scores. --tune also prints the setting chosen on all
folds (what analysis.yaml ships). The ≥重大 precision/recall curve is printed as the `major` threshold moves
(the other thresholds nested at each point). --fixed scores the configuration's own thresholds instead (optimistic: they
were chosen on these posts).
Speed: the shipped grader, one process, texts/s per CPU-second (process time) beside wall time.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from runinfo import bench_run  # bench/ is on sys.path when a bench script runs

from analysis.analyser import Analyser
from analysis.facts import find_facts
from analysis.grader import Grader, title_of
from analysis.post_type import heading_of
from analysis.risk import assess
from config import Config, GraderThresholds, load_config
from store.tokens import segment
from training import train_post_type
from training.train_grader import FOLDS, Graded, LabelError, examples, fold_of, out_of_fold, read_labels

REPO = Path(__file__).resolve().parent.parent
LABELS = REPO.parent / "shared" / "data" / "complaint_severity" / "dev_labels.jsonl"
CALM_TYPES = ("咨询", "建议", "表扬")
NAMES = ("无", "一般", "较大", "重大", "特别重大")


def prf(pairs: list[tuple[bool, bool]]) -> tuple[float, float, float]:
    tp = sum(g and p for g, p in pairs)
    fp = sum(p and not g for g, p in pairs)
    fn = sum(g and not p for g, p in pairs)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def targets(gold: list[tuple[int, str]], levels: list[int], types: list[str]) -> dict[str, float]:
    major = prf([(g >= 3, p >= 3) for (g, _), p in zip(gold, levels, strict=True)])
    large = prf([(g >= 2, p >= 2) for (g, _), p in zip(gold, levels, strict=True)])
    calm = [p for (g, t), p in zip(gold, levels, strict=True) if t in CALM_TYPES and g == 0]
    return {
        "major_p": major[0],
        "major_r": major[1],
        "large_f1": large[2],
        "large_p": large[0],
        "large_r": large[1],
        "calm_raised": sum(p >= 1 for p in calm) / len(calm) if calm else 0.0,
        "type_acc": sum(p == t for (_, t), p in zip(gold, types, strict=True)) / len(gold),
        "exact": sum(g == p for (g, _), p in zip(gold, levels, strict=True)) / len(gold),
    }


GRID = {
    "general": (0.5, 0.6, 0.7, 0.8),
    "large": (0.4, 0.5, 0.6),
    "major": (0.03, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5),
    "harm_major": (0.7, 0.8, 0.9, 1.0),
    "calm": (0.3, 0.4, 0.5, 0.6, 1.0),
}


def objective(m: dict[str, float]) -> float:
    """What the thresholds are chosen for: ≥重大 F1 plus ≥较大 F1, less the share of calm posts raised beyond the
    10% target."""
    major_f1 = 2 * m["major_p"] * m["major_r"] / (m["major_p"] + m["major_r"] or 1)
    return round(major_f1 + m["large_f1"] - max(0.0, m["calm_raised"] - 0.10), 4)


def grid_levels(
    analysers: list[Analyser], rows: list[Graded], folds: int, config: Config
) -> dict[GraderThresholds, list[int]]:
    """Every post's level under every setting of the grid, each post graded by the grader of the fold it is not
    in, with the schemes and facts as the analyser combines them."""
    at = datetime.now(UTC)
    inputs = []
    for g in rows:
        analyser = analysers[fold_of(g.id, folds)]
        words = segment(f"\n{g.text}")
        facts = find_facts(words)
        grade = analyser.grader.grade(
            segment(title_of("", g.text)), words, facts, heading=heading_of("", g.text), text=g.text
        )
        schemes = [m.scheme for m in analyser.schemes.match(title="", content=g.text, words=words)]
        inputs.append((schemes, grade, facts))
    out = {}
    for values in itertools.product(*GRID.values()):
        steps = GraderThresholds(**dict(zip(GRID, values, strict=True)))
        out[steps] = [
            assess(
                schemes=schemes,
                grade=grade,
                facts=facts,
                event=None,
                source_weight=1.0,
                periods=[],
                at=at,
                thresholds=config.analysis.risk,
                grader=steps,
            ).level
            for schemes, grade, facts in inputs
        ]
    return out


def choose(levels: dict[GraderThresholds, list[int]], rows: list[Graded], keep: list[bool]) -> GraderThresholds:
    """The grid setting with the best `objective` on the posts kept (the other folds': never the scored fold)."""
    gold = [(g.level, g.type) for g, k in zip(rows, keep, strict=True) if k]
    types = [g.type for g, k in zip(rows, keep, strict=True) if k]  # type is not thresholded: leave it out
    best: tuple[float, GraderThresholds] | None = None
    for steps, all_levels in levels.items():
        m = targets(gold, [lv for lv, k in zip(all_levels, keep, strict=True) if k], types)
        score = objective(m)
        if best is None or score > best[0]:
            best = (score, steps)
    assert best is not None
    return best[1]


def major_curve(
    levels: dict[GraderThresholds, list[int]], rows: list[Graded], folds: int
) -> list[tuple[float, float, float, int]]:
    """≥重大 (precision, recall, the `major` threshold, posts raised) of the whole analyser as `major` moves over the
    grid: at each value the other thresholds are chosen per fold on the other folds (nested, as the table's)."""
    out = []
    for major in sorted(GRID["major"]):
        at = {steps: lv for steps, lv in levels.items() if steps.major == major}
        graded = [0] * len(rows)
        for k in range(folds):
            steps = choose(at, rows, [fold_of(g.id, folds) != k for g in rows])
            for i, g in enumerate(rows):
                if fold_of(g.id, folds) == k:
                    graded[i] = at[steps][i]
        precision, recall, _ = prf([(g.level >= 3, p >= 3) for g, p in zip(rows, graded, strict=True)])
        out.append((precision, recall, major, sum(p >= 3 for p in graded)))
    return out


def with_steps(config: Config, steps: GraderThresholds) -> Config:
    return config.model_copy(update={"analysis": config.analysis.model_copy(update={"grader": steps})})


def _line(m: dict[str, float]) -> str:
    return (
        f"≥重大 P {m['major_p']:.2f} R {m['major_r']:.2f}; ≥较大 F1 {m['large_f1']:.2f}; "
        f"calm raised {m['calm_raised']:.1%}; exact {m['exact']:.2f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--config", type=Path, default=REPO / "config" / "example")
    parser.add_argument("--folds", type=int, default=FOLDS)
    parser.add_argument("--tune", action="store_true", help="also print the thresholds chosen on all folds")
    parser.add_argument("--fixed", action="store_true", help="use the configuration's thresholds on every fold")
    parser.add_argument(
        "--misses",
        action="store_true",
        help="list the ≥重大 misses and false alarms, and the calm posts raised, with their facts and type",
    )
    args = parser.parse_args()
    if not args.labels.exists():
        print(f"no graded posts at {args.labels} (../shared/data/complaint_severity): nothing to measure")
        return 0
    config = load_config(args.config)
    try:
        rows = read_labels(args.labels)
    except LabelError as exc:
        print(f"标注文件有误：{exc}", file=sys.stderr)
        return 2
    data = examples(rows)
    type_models = train_post_type.out_of_fold(train_post_type.examples(rows), args.folds)
    graders = [g.with_types(t) for g, t in zip(out_of_fold(data, args.folds), type_models, strict=True)]
    if args.fixed:
        fold_steps = [config.analysis.grader] * args.folds
    else:
        # Nested: each fold's thresholds are chosen on the other folds' posts, then used on its own.
        grid = grid_levels([Analyser(config, grader=g) for g in graders], rows, args.folds, config)
        fold_steps = [choose(grid, rows, [fold_of(g.id, args.folds) != k for g in rows]) for k in range(args.folds)]
        for k, steps in enumerate(fold_steps):
            print(f"fold {k}: thresholds chosen on the other folds {steps.model_dump()}")
        if args.tune:
            shipped = choose(grid, rows, [True] * len(rows))
            print(f"chosen on all folds (for analysis.yaml `grader:`): {shipped.model_dump()}")
        print("≥重大 precision/recall as the `major` threshold moves (other thresholds nested per fold):")
        for precision, recall, major, raised in major_curve(grid, rows, args.folds):
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
            print(f"  major {major:<5} P {precision:.3f} R {recall:.3f} F1 {f1:.3f} ({raised} posts raised to ≥重大)")
    analysers = [Analyser(with_steps(config, steps), grader=g) for g, steps in zip(graders, fold_steps, strict=True)]

    gold = [(g.level, g.type) for g in rows]
    levels: list[int] = []
    types: list[str] = []
    calm_outside = calm_total = 0
    wrong: list[str] = []
    for g in rows:
        result = analysers[fold_of(g.id, args.folds)].analyse(title="", content=g.text)
        levels.append(result.level)
        types.append(result.post_type or "其他")
        if args.misses and (g.level >= 3) != (result.level >= 3):
            facts = " ".join(f"{fact}:{'/'.join(words[:3])}" for fact, words in result.facts) or "-"
            kind = "miss" if g.level >= 3 else "false alarm"
            wrong.append(
                f"  {kind:<11} {g.id} graded {g.level} analysed {result.level} {result.post_type} [{facts}] "
                + g.text[:50]
            )
        if g.level == 0 and g.type in CALM_TYPES:
            calm_total += 1
            if args.misses and result.level >= 1:
                facts = " ".join(f"{fact}:{'/'.join(words[:3])}" for fact, words in result.facts) or "-"
                wrong.append(
                    f"  calm raised {g.id} graded {g.type} analysed {result.level} {result.post_type} [{facts}] "
                    + g.text[:50]
                )
            calm_outside += result.sentiment_label != "neutral"

    m = targets(gold, levels, types)
    how = "the configuration's" if args.fixed else "chosen on the other folds (nested)"
    print(f"{len(rows)} graded posts, {args.folds}-fold; grader thresholds {how}; config {args.config}")
    print(f"{'measure':<52} {'DEV k-fold':>10} {'target':>8}  met")
    table = [
        ("≥重大 recall", m["major_r"], "≥ 0.80", m["major_r"] >= 0.8),
        ("≥重大 precision", m["major_p"], "≥ 0.60", m["major_p"] >= 0.6),
        ("≥较大 F1", m["large_f1"], "≥ 0.80", m["large_f1"] >= 0.8),
        ("  ≥较大 precision / recall", m["large_p"], "", None),
        ("", m["large_r"], "", None),
        ("咨询/建议/表扬 graded 无 raised to ≥一般", m["calm_raised"], "≤ 0.10", m["calm_raised"] <= 0.10),
        ("type accuracy", m["type_acc"], "≥ 0.80", m["type_acc"] >= 0.8),
        ("level exactly right (annotators agree on 0.88)", m["exact"], "", None),
        (
            "咨询/建议/表扬 graded 无: sentiment not neutral",
            calm_outside / calm_total if calm_total else 0.0,
            "≤ 0.10",
            calm_total and calm_outside / calm_total <= 0.10,
        ),
    ]
    for label, value, target, met in table:
        mark = "" if met is None else ("yes" if met else "NO")
        print(f"{label:<52} {value:>10.3f} {target:>8}  {mark}")

    if args.misses:
        print(f"\n≥重大 misses and false alarms, calm posts raised ({len(wrong)}):")
        print("\n".join(sorted(wrong)))

    print("\nconfusion (rows: graded level, columns: analysed level)")
    counts = Counter(zip((g for g, _ in gold), levels, strict=True))
    print(f"{'':>8}" + "".join(f"{n:>8}" for n in NAMES) + f"{'total':>8}")
    for graded in range(5):
        print(
            f"{NAMES[graded]:>8}"
            + "".join(f"{counts[(graded, p)]:>8}" for p in range(5))
            + f"{sum(counts[(graded, p)] for p in range(5)):>8}"
        )
    print("\ntype confusion (rows: graded, columns: analysed)")
    kinds = sorted(
        {t for _, t in gold} | set(types),
        key=lambda t: ("投诉", "举报", "求助", "咨询", "建议", "表扬", "其他").index(t),
    )
    tc = Counter(zip((t for _, t in gold), types, strict=True))
    print(f"{'':>6}" + "".join(f"{kind:>6}" for kind in kinds))
    for kind in kinds:
        print(f"{kind:>6}" + "".join(f"{tc[(kind, q)]:>8}" for q in kinds))
    for kind, graded, precision, recall in train_post_type.per_type([t for _, t in gold], types):
        print(f"  {kind}: {graded} graded, precision {precision:.2f}, recall {recall:.2f}")

    timed = Analyser(config, grader=Grader.default())
    texts = [g.text for g in rows]
    for text in texts[:50]:
        timed.analyse(title="", content=text)
    cpu, wall = time.process_time(), time.perf_counter()
    for text in texts:
        timed.analyse(title="", content=text)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    chars = sum(len(t) for t in texts) / len(texts)
    print(
        f"\nwhole analysis (shipped grader, {len(texts)} DEV posts, {chars:.0f} chars on average): "
        f"{len(texts) / cpu:,.0f} texts per CPU-second ({cpu:.2f} s CPU, {wall:.2f} s wall); target ≥ 2,000"
    )
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    with bench_run("judgement"):
        code = main()
    sys.exit(code)
