"""Train the post type model shipped as analysis/data/post_type_model.json.gz (card:
analysis/data/POST_TYPE_CARD.md).

    python -m training.train_post_type --labels ../shared/data/complaint_severity/dev_labels.jsonl \
        --out analysis/data/post_type_model.json.gz

Reads graded posts in the labelling guide's format, prints the k-fold type accuracy, per-type precision and
recall, then trains on every post and writes the model with its SHA-1. Deterministic: the same file (and the same
word-vector table, whose SHA-1 the model's meta records) gives the same bytes. Needs scikit-learn (a dev
dependency); the model it writes runs without it (analysis/post_type.py).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from analysis import wordvec
from analysis.facts import FactHit, find_facts
from analysis.grader import title_of
from analysis.modelfile import write_model
from analysis.post_type import (
    POOLS,
    TYPES,
    PostTypeModel,
    TypeGuess,
    features,
    heading_of,
    pooled,
    question_features,
    sentence_features,
)
from analysis.wordvec import WordVectors
from store.tokens import add_words, domain_words, segment
from training.train_grader import FOLDS, Graded, fold_of, labels_or_say_why

C = 2.0  # 5-fold CV on DEV with pooled vectors and densities: C 2, 3, 4 (POST_TYPE_CARD.md, "Densities")
MIN_DF = 2
# The rare types weigh more in the loss (5-fold CV on DEV: 0.777 unweighted, 0.784 at these, 0.784 at 3/1.5/3).
CLASS_WEIGHT = {"求助": 2.0, "举报": 1.3, "表扬": 2.0}
REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Example:
    graded: Graded
    heading: str
    heading_words: tuple[str, ...]
    words: tuple[str, ...]
    hits: tuple[FactHit, ...]

    def features(self) -> dict[str, float]:
        found = features(self.heading, self.heading_words, self.words, list(self.hits))
        found.update(question_features(self.heading, self.graded.text))
        found.update(sentence_features(self.graded.text))
        return found

    def pooled(self, vectors: WordVectors) -> npt.NDArray[np.float32]:
        return pooled(self.heading_words, self.words, self.graded.text, vectors)

    def classify(self, model: PostTypeModel) -> TypeGuess:
        return model.classify(self.heading, self.heading_words, self.words, list(self.hits), self.graded.text)


def examples(rows: Iterable[Graded]) -> list[Example]:
    """As the analyser reads a post for `yuqing analyse` (one line, 主题。详情), with the shipped domain words in
    jieba's dictionary as at run time."""
    add_words(domain_words())
    out = []
    for g in rows:
        words = segment(f"\n{g.text}")
        heading_words = segment(title_of("", g.text))
        out.append(Example(g, heading_of("", g.text), tuple(heading_words), tuple(words), tuple(find_facts(words))))
    return out


def fit(data: Sequence[Example], *, c: float = C, vectors: WordVectors | None = None) -> PostTypeModel:
    """A format 2 model: the named and word features beside the pooled vectors of `vectors` (the shipped table
    when None)."""
    return _fit(data, c=c, vectors=vectors or wordvec.shipped())


def fit_sparse(data: Sequence[Example], *, c: float = C) -> PostTypeModel:
    """A format 1 model: the named and word features alone."""
    return _fit(data, c=c, vectors=None)


def _fit(data: Sequence[Example], *, c: float, vectors: WordVectors | None) -> PostTypeModel:
    from scipy.sparse import csr_matrix, hstack
    from sklearn.linear_model import LogisticRegression

    rows = [ex.features() for ex in data]
    df = Counter(f for row in rows for f in row)
    names = sorted(f for f, n in df.items() if n >= MIN_DF)
    vocab = {f: i for i, f in enumerate(names)}
    indptr, indices, values = [0], [], []
    for row in rows:
        for f in sorted(row):
            if f in vocab:
                indices.append(vocab[f])
                values.append(row[f])
        indptr.append(len(indices))
    x: Any = csr_matrix((values, indices, indptr), shape=(len(rows), len(vocab)))
    if vectors is not None:
        x = hstack([x, csr_matrix(np.vstack([ex.pooled(vectors) for ex in data]).astype(np.float64))]).tocsr()
    classes = [t for t in TYPES if any(ex.graded.type == t for ex in data)]
    weight = {classes.index(t): w for t, w in CLASS_WEIGHT.items() if t in classes}
    model = LogisticRegression(C=c, solver="lbfgs", max_iter=3000, class_weight=weight or None)
    model.fit(x, [classes.index(ex.graded.type) for ex in data])
    present = [classes[int(k)] for k in model.classes_]
    coef = [list(row) for row in model.coef_]
    bias = [round(float(b), 4) for b in model.intercept_]
    if len(present) == 2:  # sklearn keeps one row for two classes: the second class's log-odds
        coef = [[0.0] * x.shape[1], coef[0]]
        bias = [0.0, bias[0]]
    weights: dict[str, list[float]] = {}
    for f, i in vocab.items():
        column = [round(float(coef[k][i]), 4) for k in range(len(present))]
        if any(abs(w) >= 1e-4 for w in column):
            weights[f] = column
    meta: dict[str, object] = {
        "posts": len(data),
        "c": c,
        "min_df": MIN_DF,
        "features": len(vocab),
        "class_weight": CLASS_WEIGHT,
    }
    if vectors is None:
        return PostTypeModel(present, weights, bias, meta)
    dense = [[round(float(coef[k][i]), 4) for k in range(len(present))] for i in range(len(vocab), x.shape[1])]
    meta["wordvec_sha1"] = wordvec_sha1()
    return PostTypeModel(present, weights, bias, meta, dense=dense, pools=POOLS)


def wordvec_sha1() -> str:
    """The SHA-1 of the shipped word-vector table the pooled weights were trained against."""
    with resources.as_file(resources.files("analysis") / "data" / "wordvec.bin.gz") as path:
        return hashlib.sha1(path.read_bytes()).hexdigest()


def out_of_fold(data: Sequence[Example], folds: int = FOLDS, *, c: float = C) -> list[PostTypeModel]:
    """One model per fold, trained on the other folds: model[fold_of(id)] has never seen the post."""
    return [fit([ex for ex in data if fold_of(ex.graded.id, folds) != k], c=c) for k in range(folds)]


def per_type(gold: Sequence[str], predicted: Sequence[str]) -> list[tuple[str, int, float, float]]:
    """(type, graded posts, precision, recall) for each type graded or predicted."""
    out = []
    for kind in TYPES:
        tp = sum(g == p == kind for g, p in zip(gold, predicted, strict=True))
        said = sum(p == kind for p in predicted)
        graded = sum(g == kind for g in gold)
        if said or graded:
            out.append((kind, graded, tp / said if said else 0.0, tp / graded if graded else 0.0))
    return out


def write(model: PostTypeModel, path: Path) -> None:
    write_model(model.to_json(), path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--labels", type=Path, default=REPO.parent / "shared/data/complaint_severity/dev_labels.jsonl")
    parser.add_argument("--out", type=Path, default=REPO / "analysis/data/post_type_model.json.gz")
    parser.add_argument("--c", type=float, default=C)
    args = parser.parse_args(argv)
    rows = labels_or_say_why(args.labels)
    if rows is None:
        return 2
    data = examples(rows)
    models = out_of_fold(data, c=args.c)
    gold = [ex.graded.type for ex in data]
    predicted = [ex.classify(models[fold_of(ex.graded.id)]).post_type for ex in data]
    right = sum(g == p for g, p in zip(gold, predicted, strict=True))
    print(f"{FOLDS}-fold CV on {len(data)} posts: type accuracy {right / len(data):.3f}")
    for kind, graded, precision, recall in per_type(gold, predicted):
        print(f"  {kind}: {graded} graded, precision {precision:.2f}, recall {recall:.2f}")
    write(fit(data, c=args.c), args.out)
    sha1 = hashlib.sha1(args.out.read_bytes()).hexdigest()
    print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes, SHA-1 {sha1})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
