"""Train the shipped sentiment model from the labelled DEV corpora in ../shared/data, reproducibly.

    python -m training.train_sentiment --data ../shared/data --out analysis/data/sentiment_model.json.gz \
        [--folds 5] [--eval-only] [--c 16] [--no-nb]

1. Reads the binary review/post corpora (hotel, ChnSentiCorp, waimai, online_shopping, weibo) and the COVID-19
   weibo emotions mapped to polarity. Weibo's [哈哈]-style emoticons are stripped from its TRAINING texts (its
   labels were made from them). Identical texts are one training example with their most frequent label.
2. k-fold cross-validation where a text's fold is int(sha1(text.strip())[8:16], 16) % k, so a text shared by two
   corpora (hotel reviews are in three) is never in training and test at once. Prints accuracy per corpus
   (mean ± sd over the folds), weibo both as is and with its emoticons stripped, and the share of held-out texts
   the model calls neutral.
3. Trains on all DEV data and writes the model (the MAX_FEATURES strongest weights) as gzipped JSON.

The model: binary features (analysis.sentiment_model.features), L2-normalised per text, each scaled by its
naive-Bayes log-count ratio (NBSVM, Wang & Manning 2012), then an L2 logistic regression (liblinear, C=16). The
NB scale is folded into the weights written, so run time is one dot product. Deterministic: the same data give
the same bytes. Needs scikit-learn (the dev extra); the model it writes runs without it.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import re
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.linear_model import LogisticRegression

from analysis.modelfile import write_model
from analysis.sentiment_model import NEUTRAL_BAND, SentimentModel, features
from store.tokens import segment

# (name, folder, file, text column, label column); label 1 positive, 0 negative
CORPORA = [
    ("hotel", "sophonplus_chnsenticorp_htl_all", "chnsenticorp_htl_all.csv", "review", "label"),
    ("chnsenticorp", "chnsenticorp_12k", "chnsenticorp.csv", "text", "label"),
    ("waimai", "sophonplus_waimai_10k", "waimai_10k.csv", "review", "label"),
    ("shopping", "sophonplus_online_shopping_10_cats", "online_shopping_10_cats.csv", "review", "label"),
    ("weibo", "weibo_senti_100k_subset2400", "weibo_senti_2400.csv", "review", "label"),
]
# Emotions to polarity: optimism (2) and gratitude (4) positive; fear, disgust, sadness, anger (0, 1, 5, 6)
# negative; surprise (3) dropped. Deduplicated first (majority label), as its SOURCE.md asks.
COVID = ("covid-weibo", "covid19_weibo_emotion_7class", "labeledData.csv")
EMOTICON = re.compile(r"\[[^\[\]\s]{1,8}\]")
MIN_COUNT = 2  # a feature in one training text only is noise
MAX_FEATURES = 200_000  # the strongest weights are kept: about 1.5 MB gzipped, same accuracy
C = 16.0
NB_ALPHA = 1.0


@dataclass(frozen=True)
class Example:
    corpus: str
    text: str
    label: int


def fold_of(text: str, folds: int) -> int:
    return int(hashlib.sha1(text.strip().encode("utf-8")).hexdigest()[8:16], 16) % folds


def strip_emoticons(text: str) -> str:
    return EMOTICON.sub(" ", text).strip()


def read_corpora(data: Path) -> list[Example]:
    out: list[Example] = []
    for name, folder, file, text_col, label_col in CORPORA:
        with (data / folder / file).open(encoding="utf-8") as f:
            for row in csv.DictReader(f):
                text = row[text_col].strip()
                if text:
                    out.append(Example(name, text, int(row[label_col])))
    path = data / COVID[1] / COVID[2]
    if path.exists():
        votes: dict[str, Counter[int]] = defaultdict(Counter)
        with path.open(encoding="utf-8") as f:
            for row in csv.DictReader(f):
                emotion, text = int(row["label"]), row["review"].strip()
                if emotion != 3 and text:
                    votes[text][1 if emotion in (2, 4) else 0] += 1
        out.extend(Example(COVID[0], t, c.most_common(1)[0][0]) for t, c in votes.items())
    return out


def training_set(examples: Iterable[Example]) -> tuple[list[str], list[int]]:
    """One example per distinct text (weibo's without emoticons), with its most frequent label; sorted."""
    votes: dict[str, Counter[int]] = defaultdict(Counter)
    for e in examples:
        text = strip_emoticons(e.text) if e.corpus == "weibo" else e.text
        if text:
            votes[text][e.label] += 1
    texts = sorted(votes)
    return texts, [votes[t].most_common(1)[0][0] for t in texts]


class Featurizer:
    """jieba words and features() of a text, computed once (cross-validation sees every text five times)."""

    def __init__(self) -> None:
        self.cache: dict[str, tuple[list[str], frozenset[str]]] = {}

    def _get(self, text: str) -> tuple[list[str], frozenset[str]]:
        got = self.cache.get(text)
        if got is None:
            words = segment(text)
            got = self.cache[text] = (words, frozenset(features(text, words)))
        return got

    def __call__(self, text: str) -> frozenset[str]:
        return self._get(text)[1]

    def words(self, text: str) -> list[str]:
        return self._get(text)[0]


def _matrix(rows: list[frozenset[str]], vocab: dict[str, int]) -> csr_matrix:
    indptr, indices, data = [0], [], []
    for found in rows:
        known = sorted(vocab[f] for f in found if f in vocab)
        norm = 1.0 / np.sqrt(len(found)) if found else 0.0
        indices.extend(known)
        data.extend([norm] * len(known))
        indptr.append(len(indices))
    shape = (len(rows), len(vocab))
    return csr_matrix((np.array(data, dtype=np.float64), np.array(indices, dtype=np.int64), np.array(indptr)), shape)


def train(
    texts: list[str], labels: list[int], featurize: Featurizer, *, c: float = C, nb: bool = True
) -> SentimentModel:
    rows = [featurize(t) for t in texts]
    counts: Counter[str] = Counter(f for found in rows for f in found)
    names = sorted(f for f, n in counts.items() if n >= MIN_COUNT)
    vocab = {f: i for i, f in enumerate(names)}
    x = _matrix(rows, vocab)
    y = np.array(labels)
    scale = np.ones(len(names))
    if nb:  # log-count ratio of each (binary) feature between positive and negative texts
        present = (x > 0).astype(np.float64)
        p = NB_ALPHA + np.asarray(present[y == 1].sum(axis=0)).ravel()
        q = NB_ALPHA + np.asarray(present[y == 0].sum(axis=0)).ravel()
        scale = np.log((p / p.sum()) / (q / q.sum()))
        x = csr_matrix(x.multiply(scale))
    clf = LogisticRegression(C=c, solver="liblinear", max_iter=5000, random_state=0)
    clf.fit(x, y)
    weights = clf.coef_[0] * scale
    keep = sorted(np.argsort(-np.abs(weights), kind="stable")[:MAX_FEATURES].tolist())
    kept = {names[i]: round(float(weights[i]), 4) for i in keep if round(float(weights[i]), 4) != 0.0}
    return SentimentModel(kept, round(float(clf.intercept_[0]), 6))


def evaluate(model: SentimentModel, examples: list[Example], featurize: Featurizer) -> tuple[float, float]:
    """(accuracy of the sign of the score, share of texts inside the neutral band)."""
    if not examples:
        return float("nan"), float("nan")
    right = neutral = 0
    for e in examples:
        z, _ = model.logit(e.text, featurize.words(e.text))
        right += (z > 0) == (e.label == 1)
        neutral += abs(np.tanh(z / 2)) < NEUTRAL_BAND
    return right / len(examples), neutral / len(examples)


def held_out_sets(examples: list[Example], fold: int, folds: int) -> dict[str, list[Example]]:
    held: dict[str, list[Example]] = defaultdict(list)
    for e in examples:
        if fold_of(e.text, folds) == fold:
            held[e.corpus].append(e)
            if e.corpus == "weibo" and strip_emoticons(e.text):
                held["weibo, emoticons stripped"].append(Example(e.corpus, strip_emoticons(e.text), e.label))
    return held


def cross_validate(
    examples: list[Example], *, folds: int, c: float = C, nb: bool = True
) -> dict[str, list[tuple[float, float]]]:
    featurize = Featurizer()
    scores: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for k in range(folds):
        texts, labels = training_set(e for e in examples if fold_of(e.text, folds) != k)
        model = train(texts, labels, featurize, c=c, nb=nb)
        for name, held in sorted(held_out_sets(examples, k, folds).items(), key=lambda item: _order(item[0])):
            scores[name].append(evaluate(model, held, featurize))
        print(f"fold {k}: " + ", ".join(f"{n} {v[-1][0]:.4f}" for n, v in scores.items()), flush=True)
    return scores


def _order(name: str) -> int:
    names = [c[0] for c in CORPORA] + ["weibo, emoticons stripped", COVID[0]]
    return names.index(name) if name in names else len(names)


def table(scores: dict[str, list[tuple[float, float]]], examples: list[Example], folds: int) -> str:
    """The cross-validation figures as a Markdown table (printed, and pasted into the model card)."""
    sizes = Counter(e.corpus for e in examples)
    lines = [
        f"| corpus | texts | accuracy, {folds}-fold CV (mean ± sd) | share neutral (abs(score) < {NEUTRAL_BAND}) |",
        "|---|---:|---:|---:|",
    ]
    for name, values in scores.items():
        accuracy = [a for a, _ in values]
        sd = statistics.stdev(accuracy) if len(accuracy) > 1 else 0.0
        neutral = statistics.mean(n for _, n in values)
        size = sizes[name.split(",")[0]]
        lines.append(f"| {name} | {size:,} | {statistics.mean(accuracy):.4f} ± {sd:.4f} | {neutral:.3f} |")
    return "\n".join(lines)


def write(model: SentimentModel, out: Path) -> None:
    write_model(model.to_json(), out)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    parser.add_argument("--out", type=Path, default=Path("analysis/data/sentiment_model.json.gz"))
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--c", type=float, default=C, help="inverse L2 regularisation of the logistic regression")
    parser.add_argument("--no-nb", action="store_true", help="plain binary features, no naive-Bayes scaling")
    parser.add_argument("--eval-only", action="store_true", help="cross-validate, write nothing")
    parser.add_argument("--skip-cv", action="store_true", help="train and write without cross-validating")
    args = parser.parse_args()

    examples = read_corpora(args.data)
    print(
        f"{len(examples)} labelled texts: "
        + ", ".join(f"{n} {c}" for n, c in Counter(e.corpus for e in examples).items())
    )
    cv = ""
    if not args.skip_cv and args.folds > 1:
        started = time.perf_counter()
        scores = cross_validate(examples, folds=args.folds, c=args.c, nb=not args.no_nb)
        cv = table(scores, examples, args.folds)
        print(f"\n{cv}\n({time.perf_counter() - started:.0f} s)")
    if args.eval_only:
        return
    started = time.perf_counter()
    texts, labels = training_set(examples)
    model = train(texts, labels, Featurizer(), c=args.c, nb=not args.no_nb)
    model.meta = {
        "trained_on": [f"{folder}/{file}" for _, folder, file, *_ in CORPORA] + [f"{COVID[1]}/{COVID[2]}"],
        "distinct_texts": len(texts),
        "c": args.c,
        "nb": not args.no_nb,
        "cv": cv,
    }
    write(model, args.out)
    size = args.out.stat().st_size / 1e6
    print(
        f"\nwrote {args.out} ({size:.2f} MB, {len(model.weights):,} features) in {time.perf_counter() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
