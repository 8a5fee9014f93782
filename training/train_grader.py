"""Train the grader shipped as analysis/data/grader_model.json.gz (card: analysis/data/GRADER_CARD.md).

    python -m training.train_grader --labels ../shared/data/complaint_severity/dev_labels.jsonl \
        --out analysis/data/grader_model.json.gz

Reads graded posts in the labelling guide's format (one JSON object a line with id, level, type and text),
prints the k-fold cross-validated level accuracy, then trains on every post and writes the model (format 2: with
the mean word vectors of analysis/data/wordvec.bin.gz as dense features; `--dense-scale 0` writes format 1) and
prints its SHA-1.
Deterministic: the same file gives the same bytes. Needs scikit-learn (a dev dependency); the model it writes
runs without it (analysis/grader.py).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from analysis.facts import FactHit, find_facts
from analysis.grader import STEPS, TYPES, Grade, Grader, dense_features, feature_sets, norms, title_of
from analysis.modelfile import write_model
from store.tokens import add_words, domain_words, segment

LEVEL_C = 4.0  # chosen by 5-fold CV on DEV over {1, 4, 16} (see GRADER_CARD.md)
# The mean word vectors are multiplied by this before fitting (their weights by it after, so the model file holds
# weights for the plain means): with L2 regularisation it sets how much the vectors may weigh beside the words.
DENSE_SCALE = 2.0  # 5-fold CV on DEV over {1, 2, 3, 5, 10}: lowest ≥较大 log-loss (GRADER_CARD.md)
MIN_DF = 2
FOLDS = 5
REPO = Path(__file__).resolve().parent.parent


class LabelError(ValueError):
    """A graded file's bad line: the message names the file, the line and the field."""


@dataclass(frozen=True)
class Graded:
    id: str
    level: int
    type: str
    text: str
    line: int


@dataclass(frozen=True)
class Example:
    graded: Graded
    words: frozenset[str]  # kind-prefixed word features (w/t)
    facts: frozenset[str]  # kind-prefixed fact features (f/p)
    hits: tuple[FactHit, ...]
    title_words: tuple[str, ...]  # as the analyser gives them to the grader (repeats kept: the mean vectors)
    all_words: tuple[str, ...]


def read_labels(path: Path) -> list[Graded]:
    """Graded posts from a file in the guide's format; a bad line raises LabelError naming it and the field."""
    out: list[Graded] = []
    with path.open(encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise LabelError(f"{path} line {number}: not JSON ({exc.msg})") from None
            if not isinstance(row, dict):
                raise LabelError(f"{path} line {number}: not a JSON object")
            for field, kind in (("id", str), ("text", str), ("type", str), ("level", int)):
                if not isinstance(row.get(field), kind) or isinstance(row.get(field), bool):
                    raise LabelError(f"{path} line {number}: field {field!r} missing or not a {kind.__name__}")
            if not 0 <= row["level"] <= 4:
                raise LabelError(f"{path} line {number}: field 'level' must be 0–4, got {row['level']}")
            if row["type"] not in TYPES:
                raise LabelError(f"{path} line {number}: field 'type' must be one of {'/'.join(TYPES)}")
            out.append(Graded(row["id"], row["level"], row["type"], row["text"], number))
    return out


def fold_of(post_id: str, folds: int = FOLDS) -> int:
    return int(hashlib.sha1(post_id.encode()).hexdigest()[8:16], 16) % folds


def examples(rows: Iterable[Graded]) -> list[Example]:
    """Features as the analyser computes them for `yuqing analyse` (one line per post, the title its first
    sentence), with the shipped domain words in jieba's dictionary as at run time."""
    add_words(domain_words())
    out = []
    for g in rows:
        words = segment(f"\n{g.text}")
        hits = find_facts(words)
        title = segment(title_of("", g.text))
        found, facts = feature_sets(title, words, hits)
        out.append(Example(g, frozenset(found), frozenset(facts), tuple(hits), tuple(title), tuple(words)))
    return out


def _matrix(data: Sequence[Example], vocab: dict[str, int]) -> Any:
    """Sparse rows: word features L2-normalised as at run time (analysis.grader.norms), fact features 1."""
    from scipy.sparse import csr_matrix

    indptr: list[int] = [0]
    indices: list[int] = []
    values: list[float] = []
    for ex in data:
        scale = norms(set(ex.words))
        row = [(vocab[f], scale[f[0]]) for f in sorted(ex.words) if f in vocab]
        row += [(vocab[f], 1.0) for f in sorted(ex.facts) if f in vocab]
        indices.extend(c for c, _ in row)
        values.extend(v for _, v in row)
        indptr.append(len(indices))
    return csr_matrix((values, indices, indptr), shape=(len(data), len(vocab)))


def _dense(data: Sequence[Example]) -> Any:
    return np.array([dense_features(list(ex.title_words), list(ex.all_words)) for ex in data], dtype=np.float64)


def fit(data: Sequence[Example], *, level_c: float = LEVEL_C, dense_scale: float = DENSE_SCALE) -> Grader:
    from scipy.sparse import csr_matrix, hstack
    from sklearn.linear_model import LogisticRegression

    df = Counter(f for ex in data for f in ex.words | ex.facts)
    names = sorted(f for f, n in df.items() if n >= MIN_DF)
    vocab = {f: i for i, f in enumerate(names)}

    # One binary model per step k (level ≥ k); 特别重大 counts as 重大 (two posts in DEV). The post type has its
    # own model (training/train_post_type.py): what the writer is doing is not how urgent it is.
    sparse_x = _matrix(data, vocab)
    level_x = hstack([sparse_x, csr_matrix(_dense(data) * dense_scale)], format="csr") if dense_scale else sparse_x
    level_names = list(vocab)
    levels = [min(ex.graded.level, STEPS) for ex in data]
    coefs, level_bias = [], []
    for step in range(1, STEPS + 1):
        model = LogisticRegression(C=level_c, solver="liblinear", random_state=0, max_iter=1000)
        model.fit(level_x, [int(level >= step) for level in levels])
        coefs.append(model.coef_[0])
        level_bias.append(round(float(model.intercept_[0]), 4))
    dense = None
    if dense_scale:
        tail = np.array([c[len(level_names) :] for c in coefs]).T * dense_scale
        dense = [[round(float(x), 4) for x in row] for row in tail]
    level_weights = {}
    for i, f in enumerate(level_names):
        column = [round(float(c[i]), 4) for c in coefs]
        if any(abs(w) >= 1e-4 for w in column):
            level_weights[f] = column

    meta: dict[str, object] = {
        "posts": len(data),
        "level_c": level_c,
        "min_df": MIN_DF,
        "features": len(vocab),
        "dense_scale": dense_scale,
        "wordvec_sha1": wordvec_sha1(),
    }
    return Grader(level_weights, level_bias, meta, dense=dense)


def wordvec_sha1() -> str:
    """The word-vector table the dense weights were fitted against (analysis/data/wordvec.bin.gz)."""
    return hashlib.sha1((REPO / "analysis" / "data" / "wordvec.bin.gz").read_bytes()).hexdigest()


def out_of_fold(data: Sequence[Example], folds: int = FOLDS, **options: float) -> list[Grader]:
    """One grader per fold, trained on the other folds: grader[fold_of(id)] has never seen the post."""
    return [fit([ex for ex in data if fold_of(ex.graded.id, folds) != k], **options) for k in range(folds)]


def write(grader: Grader, path: Path) -> None:
    write_model(grader.to_json(), path)


def labels_or_say_why(path: Path) -> list[Graded] | None:
    """The graded posts of a training command's --labels; None, having said why on stderr, when the file is
    missing or has a bad line (which the error names with its field)."""
    if not path.exists():
        print(f"没有找到标注文件：{path}", file=sys.stderr)
        return None
    try:
        return read_labels(path)
    except LabelError as exc:
        print(f"标注文件有误：{exc}", file=sys.stderr)
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=Path, default=REPO.parent / "shared/data/complaint_severity/dev_labels.jsonl")
    parser.add_argument("--out", type=Path, default=REPO / "analysis/data/grader_model.json.gz")
    parser.add_argument("--level-c", type=float, default=LEVEL_C)
    parser.add_argument("--dense-scale", type=float, default=DENSE_SCALE, help="0: no word vectors (format 1)")
    args = parser.parse_args(argv)
    rows = labels_or_say_why(args.labels)
    if rows is None:
        return 2
    data = examples(rows)
    graders = out_of_fold(data, level_c=args.level_c, dense_scale=args.dense_scale)
    exact = 0
    for ex in data:
        g = graders[fold_of(ex.graded.id)]
        grade = grade_example(g, ex)
        expected = sum(p >= 0.5 for p in grade.at_least)
        exact += expected == min(ex.graded.level, STEPS)
    print(
        f"{FOLDS}-fold CV on {len(data)} posts: level (0–3, thresholds 0.5) accuracy {exact / len(data):.3f} "
        "(post type: python -m training.train_post_type)"
    )
    write(fit(data, level_c=args.level_c, dense_scale=args.dense_scale), args.out)
    digest = hashlib.sha1(args.out.read_bytes()).hexdigest()
    print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes) sha1 {digest}")
    return 0


def grade_example(grader: Grader, ex: Example) -> Grade:
    """Grade an example from its own words (already segmented), as the analyser would."""
    return grader.grade(list(ex.title_words), list(ex.all_words), list(ex.hits))


if __name__ == "__main__":
    sys.exit(main())
