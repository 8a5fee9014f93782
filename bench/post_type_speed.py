"""What the post type costs inside the whole analysis: the shipped post type model's `classify` (features,
sentences, pooled word vectors, scoring) on the same texts as `Analyser.analyse`, in the same run, with the
share of the whole it is. CPU time (process time) beside wall time; the texts are bench/analysis_speed.py's
(real posts from ../shared/data when present, else the sample board's).

    python bench/post_type_speed.py [--texts 3000] [--shared ../shared/data] [--compare MODEL_FILE]

--compare also times another post type model file (e.g. main's, `git show main:analysis/data/post_type_model.json.gz`)
on the same inputs in the same run.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

from analysis_speed import real_texts  # bench/ is on sys.path when a bench script runs
from runinfo import bench_run

from analysis.analyser import Analyser
from analysis.facts import find_facts
from analysis.grader import title_of
from analysis.post_type import PostTypeModel, heading_of
from config import load_config
from store.tokens import segment

REPO = Path(__file__).resolve().parent.parent


def timed(work: Callable[[], object]) -> tuple[float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    work()
    return time.process_time() - cpu, time.perf_counter() - wall


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--texts", type=int, default=3000)
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--compare", type=Path, help="another post type model file to time beside the shipped one")
    args = parser.parse_args()
    texts = real_texts(args.shared, args.texts)
    analyser = Analyser(load_config(REPO / "config" / "example"))
    model = PostTypeModel.default()
    # What the analyser hands the post type model (analysis/grader.py), cut beforehand: only classify is timed.
    inputs = []
    for text in texts:
        title, _, content = text.partition("\n")
        words = segment(f"{title}\n{content}")
        inputs.append((heading_of(title, content), segment(title_of(title, content)), words, find_facts(words), text))

    def types(model: PostTypeModel = model) -> None:
        for heading, heading_words, words, facts, text in inputs:
            model.classify(heading, heading_words, words, facts, text)

    def whole() -> None:
        for text in texts:
            title, _, content = text.partition("\n")
            analyser.analyse(title=title, content=content)

    for text in texts[:50]:  # warm: vectors, models, caches
        analyser.analyse(title="", content=text)
    chars = sum(len(t) for t in texts) / len(texts)
    print(f"{len(texts)} texts, {chars:.0f} characters on average; model {model.format}")
    print(f"{'stage':<44} {'CPU µs/text':>12} {'wall µs/text':>13} {'share of whole (CPU)':>21}")
    whole_cpu, whole_wall = timed(whole)
    rows = [("whole analysis (Analyser.analyse)", whole_cpu, whole_wall)]
    rows.append((f"post type (classify, shipped {model.format})", *timed(types)))
    if args.compare:
        other = PostTypeModel.load(args.compare)
        rows.append((f"post type (classify, {args.compare.name} {other.format})", *timed(lambda: types(other))))
    for name, cpu, wall in rows:
        share = cpu / whole_cpu
        print(f"{name:<44} {cpu / len(texts) * 1e6:>12.1f} {wall / len(texts) * 1e6:>13.1f} {share:>21.1%}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    with bench_run("post_type_speed"):
        code = main()
    sys.exit(code)
