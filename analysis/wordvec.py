"""Word vectors shipped as analysis/data/wordvec.bin.gz (card: analysis/data/WORDVEC_CARD.md), made by
training/train_wordvec.py from unlabelled complaint-board and weibo texts.

A word's vector is unit length, stored as int8 (×127) to keep the file small; the table is read once per process,
on first use. `mean(words)` is what a model is given: the average of the known words' vectors (unknown words are
skipped, zeros when none is known), so posts that use different words for the same thing look alike.

File form (gzip'd, written without name or time so the same table gives the same bytes): the line `YQWV1`, a JSON
line {"dim", "count"}, the words UTF-8 one a line (`count` lines), then `count × dim` int8 values row by row."""

from __future__ import annotations

import functools
import gzip
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt

MAGIC = b"YQWV1\n"
SCALE = 127.0  # int8 steps per unit of a (unit-length) word vector's component


@dataclass(frozen=True)
class WordVectors:
    index: dict[str, int]
    vectors: npt.NDArray[np.float32]  # count × dim, unit rows

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def vector(self, word: str) -> npt.NDArray[np.float32] | None:
        row = self.index.get(word)
        return None if row is None else self.vectors[row]

    def mean(self, words: Iterable[str]) -> npt.NDArray[np.float32]:
        """The average vector of the known words (each occurrence counts); zeros when none is known."""
        index = self.index
        rows = [r for r in (index.get(w) for w in words) if r is not None]
        if not rows:
            return np.zeros(self.dim, dtype=np.float32)
        return self.vectors[rows].mean(axis=0)

    def means(self, texts: Sequence[Iterable[str]]) -> npt.NDArray[np.float32]:
        """`mean` of each word list, one row each: one gather and one sum for the lot."""
        index = self.index
        rows: list[int] = []
        owners: list[int] = []
        for i, words in enumerate(texts):
            for w in words:
                r = index.get(w)
                if r is not None:
                    rows.append(r)
                    owners.append(i)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if rows:
            np.add.at(out, np.asarray(owners), self.vectors[np.asarray(rows)])
            counts = np.bincount(np.asarray(owners), minlength=len(texts)).astype(np.float32)
            out /= np.maximum(counts, 1.0)[:, None]
        return out


def encode(words: Sequence[str], vectors: npt.NDArray[np.floating]) -> bytes:
    """The file's uncompressed bytes for `words` and their vectors (rows are made unit length here)."""
    if len(words) != vectors.shape[0]:
        raise ValueError("one vector a word")
    if any("\n" in w or not w for w in words):
        raise ValueError("words must be non-empty and hold no newline")
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit = vectors / np.maximum(norms, 1e-12)
    quantised = np.clip(np.rint(unit * SCALE), -127, 127).astype(np.int8)
    header = json.dumps({"dim": int(vectors.shape[1]), "count": len(words)}).encode() + b"\n"
    return MAGIC + header + "".join(w + "\n" for w in words).encode("utf-8") + quantised.tobytes()


def write(words: Sequence[str], vectors: npt.NDArray[np.floating], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as f:
        f.write(encode(words, vectors))


def decode(data: bytes) -> WordVectors:
    if not data.startswith(MAGIC):
        raise ValueError("not a word-vector table")
    pos = len(MAGIC)
    end = data.index(b"\n", pos)
    header = json.loads(data[pos:end])
    dim, count = int(header["dim"]), int(header["count"])
    pos = end + 1
    words: list[str] = []
    for _ in range(count):
        end = data.index(b"\n", pos)
        words.append(data[pos:end].decode("utf-8"))
        pos = end + 1
    raw = np.frombuffer(data, dtype=np.int8, count=count * dim, offset=pos)
    if pos + count * dim != len(data):
        raise ValueError("word-vector table has the wrong length")
    vectors = (raw.reshape(count, dim).astype(np.float32) / SCALE).astype(np.float32)
    return WordVectors({w: i for i, w in enumerate(words)}, vectors)


def read(path: Path) -> WordVectors:
    with gzip.open(path, "rb") as f:
        return decode(f.read())


@functools.cache
def shipped() -> WordVectors:
    """The shipped table, read on first use (about 20k words × 100 dimensions)."""
    with resources.as_file(resources.files("analysis") / "data" / "wordvec.bin.gz") as path:
        return read(path)


def mean(words: Iterable[str]) -> npt.NDArray[np.float32]:
    """The shipped table's mean vector of `words` (unknown words skipped; zeros when none is known)."""
    return shipped().mean(words)
