"""Train the word vectors shipped as analysis/data/wordvec.bin.gz (card: analysis/data/WORDVEC_CARD.md).

    python -m training.train_wordvec --data ../shared/data --out analysis/data/wordvec.bin.gz

Unlabelled DEV texts (taidi2020 message-board posts and titles, COVID-19 weibo posts), cut with
store.tokens.segment after the shipped domain words are added (the words the analyser sees). Every text that is
also a graded post of complaint_severity/dev_labels.jsonl is left out (compared normalised, without whitespace),
so the grader's k-fold figures do not see their own test posts through the vectors.

Vocabulary: words seen at least MIN_COUNT times, the VOCAB most frequent. Co-occurrence within ±WINDOW words (words
outside the vocabulary removed first), positive PMI with the context counts smoothed (^0.75), then a truncated SVD
(randomised, numpy only, fixed seed) of rank DIM; a word's vector is U·√S. Deterministic: the same inputs give the
same bytes; prints the SHA-1 of the file written.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from analysis.wordvec import write
from store.tokens import add_words, domain_words, normalise, segment

MIN_COUNT = 5
VOCAB = 20_000
WINDOW = 5
DIM = 100
CDS = 0.75  # context-distribution smoothing: rare contexts get less inflated PMI
SEED = 0
POWER_ITERATIONS = 4
OVERSAMPLE = 20
REPO = Path(__file__).resolve().parent.parent

# (folder, file, title column, body column): every row's title + "。" + body is one text.
POSTS = (
    ("taidi2020_full", "messages_7class.csv", "留言主题", "留言详情"),
    ("taidi2020_full", "hot_messages_with_votes.csv", "留言主题", "留言详情"),
    ("taidi2020_full", "messages_with_replies.csv", "留言主题", "留言详情"),
    ("taidi2020_full", "titles_7class.csv", "留言主题", None),
    ("taidi2020_gov_messages", "messages_labeled.csv", "留言主题", "留言详情"),
    ("taidi2020_gov_messages", "hot_messages_with_votes.csv", "留言主题", "留言详情"),
    ("taidi2020_gov_messages", "messages_with_replies.csv", "留言主题", "留言详情"),
    ("covid19_weibo_unlabeled", "weibo_posts.csv", None, "text"),
)
LABELS = ("complaint_severity", "dev_labels.jsonl")
_SPACE = re.compile(r"\s+")
SHINGLE = 30  # characters of a body compared against the graded posts


def _key(text: str) -> str:
    return _SPACE.sub("", normalise(text.replace("_x000D_", " ")))


@dataclass
class Graded:
    """The graded posts' texts, for leaving them out: whole, by title, and every SHINGLE-character run."""

    whole: set[str]
    titles: set[str]
    shingles: set[str]

    @classmethod
    def read(cls, path: Path) -> Graded:
        whole: set[str] = set()
        titles: set[str] = set()
        shingles: set[str] = set()
        with path.open(encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    key = _key(json.loads(line)["text"])
                    whole.add(key)
                    titles.add(key.split("。", 1)[0])
                    shingles.update(key[i : i + SHINGLE] for i in range(max(1, len(key) - SHINGLE + 1)))
        return cls(whole, titles, shingles)

    def holds(self, title: str, body: str) -> bool:
        t, b = _key(title), _key(body)
        if t and (t in self.titles or (t + "。" + b) in self.whole):
            return True
        # A body is the graded post's when its first or last run of characters is one of theirs.
        return len(b) >= SHINGLE and (b[:SHINGLE] in self.shingles or b[-SHINGLE:] in self.shingles)


def texts(data: Path, graded: Graded, stats: Counter[str]) -> Iterator[str]:
    """Each distinct text once, graded posts left out; `stats` counts read/kept/graded/duplicate per file."""
    seen: set[str] = set()
    for folder, name, title_col, body_col in POSTS:
        path = data / folder / name
        tag = f"{folder}/{name}"
        with path.open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                title = (row.get(title_col) or "") if title_col else ""
                body = (row.get(body_col) or "") if body_col else ""
                title, body = _SPACE.sub(" ", title).strip(), _SPACE.sub(" ", body.replace("_x000D_", " ")).strip()
                stats[tag + " read"] += 1
                if not title and not body:
                    continue
                if graded.holds(title, body):
                    stats[tag + " graded"] += 1
                    continue
                text = f"{title}。{body}" if title and body else title or body
                key = _key(text)
                if key in seen:
                    stats[tag + " duplicate"] += 1
                    continue
                seen.add(key)
                stats[tag + " kept"] += 1
                yield text


def vocabulary(docs: list[list[str]]) -> list[str]:
    counts = Counter(w for d in docs for w in d)
    ranked = sorted((w for w, n in counts.items() if n >= MIN_COUNT), key=lambda w: (-counts[w], w))
    return ranked[:VOCAB]


def cooccurrence(
    docs: list[list[str]], words: list[str]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """(rows, cols, counts) of word pairs within ±WINDOW, sorted by row then column."""
    index = {w: i for i, w in enumerate(words)}
    n = len(words)
    keys: list[npt.NDArray[np.int64]] = []
    for doc in docs:
        ids = np.fromiter((index[w] for w in doc if w in index), dtype=np.int64)
        for d in range(1, WINDOW + 1):
            if len(ids) <= d:
                break
            a, b = ids[:-d], ids[d:]
            keys.append(a * n + b)
            keys.append(b * n + a)
    pairs, counts = np.unique(np.concatenate(keys), return_counts=True)
    return pairs // n, pairs % n, counts.astype(np.float64)


Triples = tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]


class Sparse:
    """A sparse matrix as sorted (row, col, value) triples: just the two products a randomised SVD needs."""

    def __init__(self, rows: npt.NDArray[np.int64], cols: npt.NDArray[np.int64], vals: npt.NDArray[np.float64], n: int):
        self.n = n
        self.by_row: Triples = (rows, cols, vals)
        order = np.lexsort((rows, cols))
        self.by_col: Triples = (cols[order], rows[order], vals[order])

    @staticmethod
    def _product(triples: Triples, x: npt.NDArray[np.float64], n: int) -> npt.NDArray[np.float64]:
        out_rows, in_cols, vals = triples
        out = np.zeros((n, x.shape[1]))
        step = 1_000_000
        for s in range(0, len(vals), step):
            r, c, v = out_rows[s : s + step], in_cols[s : s + step], vals[s : s + step]
            prod = v[:, None] * x[c]
            starts = np.flatnonzero(np.r_[True, r[1:] != r[:-1]])
            out[r[starts]] += np.add.reduceat(prod, starts, axis=0)
        return out

    def dot(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return self._product(self.by_row, x, self.n)

    def tdot(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return self._product(self.by_col, x, self.n)


def ppmi(rows: npt.NDArray[np.int64], cols: npt.NDArray[np.int64], counts: npt.NDArray[np.float64], n: int) -> Sparse:
    row_sums = np.bincount(rows, weights=counts, minlength=n)
    context = np.bincount(cols, weights=counts, minlength=n) ** CDS
    # log(P(w,c) / (P(w) P_α(c))) with P(w,c) = n(w,c)/N, P(w) = n(w)/N and P_α(c) = n(c)^α / Σ n(c)^α
    pmi = np.log(counts * context.sum() / (row_sums[rows] * context[cols]))
    keep = pmi > 0
    return Sparse(rows[keep], cols[keep], pmi[keep], n)


def truncated_svd(m: Sparse, k: int) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """(U, S) of the rank-k randomised SVD (Halko et al. 2011, power iterations with re-orthonormalisation)."""
    rng = np.random.default_rng(SEED)
    q, _ = np.linalg.qr(m.dot(rng.standard_normal((m.n, k + OVERSAMPLE))))
    for _ in range(POWER_ITERATIONS):
        z, _ = np.linalg.qr(m.tdot(q))
        q, _ = np.linalg.qr(m.dot(z))
    b = m.tdot(q).T  # = Qᵀ M
    ub, s, _ = np.linalg.svd(b, full_matrices=False)
    u = (q @ ub)[:, :k]
    # A column's sign is arbitrary; fixing it makes the file the same bytes on every run.
    signs = np.sign(u[np.abs(u).argmax(axis=0), np.arange(k)])
    return u * signs, s[:k]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=REPO / "analysis" / "data" / "wordvec.bin.gz")
    args = parser.parse_args(argv)
    started = time.process_time()

    graded = Graded.read(args.data.joinpath(*LABELS))
    add_words(domain_words())
    stats: Counter[str] = Counter()
    docs = [segment(t) for t in texts(args.data, graded, stats)]
    for tag, n in sorted(stats.items()):
        print(f"{tag}: {n}")
    tokens = sum(len(d) for d in docs)
    words = vocabulary(docs)
    print(f"texts {len(docs)}, tokens {tokens}, vocabulary {len(words)} (count ≥ {MIN_COUNT}, at most {VOCAB})")

    rows, cols, counts = cooccurrence(docs, words)
    matrix = ppmi(rows, cols, counts, len(words))
    print(f"pairs {len(counts)}, positive PMI {len(matrix.by_row[2])}")
    u, s = truncated_svd(matrix, DIM)
    write(words, u * np.sqrt(s), args.out)
    digest = hashlib.sha1(args.out.read_bytes()).hexdigest()
    print(
        f"wrote {args.out} ({args.out.stat().st_size} bytes) sha1 {digest}; {time.process_time() - started:.0f} CPU-s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
