"""The shipped grader: how urgent a post is (level 0–3 probabilities), from whole jieba words, the title's words
and the facts found (analysis/facts.py), trained on graded complaint-board posts by `python -m
training.train_grader` (analysis/data/GRADER_CARD.md); what its writer is doing (post type) comes from its own
model (analysis/post_type.py) and is carried in the same Grade. Plain Python at run time: no scikit-learn, no
download.

Level: one logistic model per step, P(level ≥ k) = σ(w_k·x + b_k) for k = 1 (一般), 2 (较大), 3 (重大) (Frank &
Hall's ordinal reduction: a shared weight vector separated 重大 worse on DEV); 特别重大 is left to the facts
(analysis/risk.py). Word features are binary and L2-normalised, the post's words and its title's words
each on their own; fact features count 1 each, so a fact weighs the same in a short and a long post.

Format 2 adds dense features: the mean word vector (analysis/wordvec.py) of the title's words and of the post's
words, weighed by a (2 × dim) × 3 matrix, so a post worded unlike any graded one is still graded by what it is
about. The matrix is folded into the table when the model loads, in one numpy product (each word's vector times the
weights: 3 numbers a word for the title, 3 for the post), so grading a post averages those rows: the same sums as
the mean vectors times the matrix, in plain Python like the word features (~37 µs a 175-word post where numpy's
gather took ~69 µs: a post has too few words for its per-call overhead). They move the probabilities but are
never evidence (a vector explains nothing to a reader). A format 1 file (no dense part) still loads and grades as
before.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt

from analysis import judgec, wordvec
from analysis.facts import WEIGHED, FactHit
from analysis.modelfile import read_model
from analysis.post_type import CALM_TYPES, TYPES, PostTypeModel

__all__ = ["CALM_TYPES", "TYPES", "Grade", "Grader", "dense_features", "feature_sets", "norms", "title_of"]

FORMAT = "yuqing-grader-linear/2"
FORMAT_1 = "yuqing-grader-linear/1"  # without the dense part: still read
STEPS = 3  # P(level ≥ 1), P(≥ 2), P(≥ 3)
EVIDENCE = 6
TITLE_CHARS = 60
# Shown as evidence only when they carry meaning (they still count in the grade).
FUNCTION_WORDS = frozenset(
    [
        "一个",
        "我们",
        "他们",
        "你们",
        "这个",
        "那个",
        "这些",
        "那些",
        "没有",
        "什么",
        "因为",
        "所以",
        "但是",
        "已经",
        "可以",
        "就是",
        "还是",
        "或者",
        "而且",
        "并且",
        "如果",
        "这样",
        "那么",
        "自己",
        "现在",
        "目前",
        "一些",
        "一直",
        "进行",
        "相关",
        "有关",
        "以及",
        "对于",
        "关于",
        "其中",
        "同时",
        "然后",
        "还有",
        "只是",
        "不是",
        "一下",
        "希望",
    ]
)
# Without a separate title (`yuqing analyse` reads one line per post, 主题。详情), the first sentence serves as it.
_FIRST_SENTENCE = re.compile(r"[。！？!?\n]")


def title_of(title: str, content: str) -> str:
    if title.strip():
        return title
    return _FIRST_SENTENCE.split(content.strip(), maxsplit=1)[0][:TITLE_CHARS]


def feature_sets(title_words: Iterable[str], words: Iterable[str], facts: list[FactHit]) -> tuple[set[str], set[str]]:
    """(word features, fact features), kind-prefixed: w word of the post, t word of its title, f fact, p a pair
    of facts found together (minors with violence is not the sum of the two)."""
    title = set(title_words)
    found = {"w" + w for w in words} | {"t" + w for w in title}
    return found, _fact_features(facts)


def _fact_features(facts: list[FactHit]) -> set[str]:
    ids = sorted(h.fact for h in facts if h.fact in WEIGHED)
    fact_features = {"f" + f for f in ids}
    fact_features.update("p" + a + "+" + b for i, a in enumerate(ids) for b in ids[i + 1 :])
    return fact_features


@dataclass(frozen=True)
class Grade:
    at_least: tuple[float, ...]  # P(level ≥ 1), P(≥ 2), P(≥ 3)
    post_type: str
    type_probability: float
    evidence: list[tuple[str, float]]  # (whole word or fact name, contribution to the level's log-odds)

    known: int = 1  # features of the post the model knows: none (empty, garbage, another language) grades 无
    calm: float = 0.0  # P(咨询) + P(建议) + P(表扬): how likely the writer is asking, suggesting or thanking

    def level(self, thresholds: tuple[float, ...]) -> int:
        """The highest step whose probability reaches its threshold (steps are nested: ≥ 2 implies ≥ 1)."""
        if not self.known:
            return 0
        level = 0
        for step, (p, t) in enumerate(zip(self.at_least, thresholds, strict=True), start=1):
            if p >= t:
                level = step
        return level


class Grader:
    def __init__(
        self,
        level_weights: dict[str, list[float]],
        level_bias: list[float],
        meta: dict[str, object] | None = None,
        *,
        types: PostTypeModel | None = None,
        dense: list[list[float]] | None = None,
    ) -> None:
        if len(level_bias) != STEPS or any(len(w) != STEPS for w in level_weights.values()):  # _scored: 3
            raise ValueError(f"grader: level weights and biases must have {STEPS} steps")
        # The dense part: one row per dimension of [mean vector of the title's words, of the post's words], a
        # weight per step; None for a format 1 model.
        self.dense = dense
        # Each known word's (title, post) contribution to the three steps; None for a format 1 model.
        self._projected: tuple[dict[str, tuple[float, ...]], dict[str, tuple[float, ...]]] | None = None
        # The same rows read in C by the table's word index (analysis/judgec.py), when built.
        self._compiled: tuple[judgec.Rows, judgec.Rows] | None = None
        self._vector_index: judgec.Lookup = {}  # the table's word -> row as the compiled rows read it
        if dense is not None:
            table = wordvec.shipped()
            matrix = np.array(dense, dtype=np.float64).reshape(-1, STEPS)
            if matrix.shape[0] != 2 * table.dim:
                raise ValueError(f"grader: dense weights must have {2 * table.dim} rows of {STEPS}")
            vectors = table.vectors.astype(np.float64)
            title_rows, post_rows = vectors @ matrix[: table.dim], vectors @ matrix[table.dim :]
            compiled = judgec.rows(title_rows), judgec.rows(post_rows)
            if compiled[0] is not None and compiled[1] is not None:
                self._compiled = (compiled[0], compiled[1])
                self._vector_index = judgec.lookup(table.index)
            else:
                words = list(table.index)
                by_title = map(tuple, title_rows.tolist())
                by_post = map(tuple, post_rows.tolist())
                self._projected = (dict(zip(words, by_title, strict=True)), dict(zip(words, by_post, strict=True)))
        self.level_weights = level_weights
        self.level_bias = level_bias
        self.meta = meta or {}
        self.types = types  # None: the shipped post type model (analysis/post_type.py)
        # Scoring reads one row per feature: its level steps' weights, as Python floats (a post has ~100 features,
        # too few for numpy's per-call overhead to pay off; summed in the same order, so the same bits).
        self._rows = {f: tuple(float(x) for x in w) for f, w in level_weights.items()}
        # The word features in C (analysis/judgec.py) when built: a row per feature, read by the word itself.
        self._words: tuple[judgec.Rows, judgec.Lookup, judgec.Lookup] | None = None
        features = list(level_weights)
        weights = judgec.rows(np.array([self._rows[f] for f in features], dtype=np.float64).reshape(-1, STEPS))
        if weights is not None:
            by_word = judgec.table(judgec.intern_keys({f[1:]: i for i, f in enumerate(features) if f[0] == "w"}))
            by_title_word = judgec.table(judgec.intern_keys({f[1:]: i for i, f in enumerate(features) if f[0] == "t"}))
            self._words = (weights, by_word, by_title_word)

    def with_types(self, types: PostTypeModel) -> Grader:
        """This level model with another post type model (a fold's, in bench/judgement.py)."""
        return Grader(self.level_weights, self.level_bias, self.meta, types=types, dense=self.dense)

    @classmethod
    def load(cls, path: Path) -> Grader:
        return cls.from_json(read_model(path, FORMAT, FORMAT_1))

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Grader:
        """A file written before the post type had its own model also holds a "type" section: not read."""
        level = data["level"]
        assert isinstance(level, dict)
        dense = level.get("dense")
        return cls(
            {str(k): [float(x) for x in v] for k, v in level["weights"].items()},
            [float(b) for b in level["bias"]],
            dict(data.get("meta", {})),  # type: ignore[call-overload]
            dense=None if dense is None else [[float(x) for x in row] for row in dense],
        )

    def to_json(self) -> dict[str, object]:
        level: dict[str, object] = {"weights": self.level_weights, "bias": self.level_bias}
        if self.dense is None:
            return {"format": FORMAT_1, "level": level, "meta": self.meta}
        return {"format": FORMAT, "level": level | {"dense": self.dense}, "meta": self.meta}

    @classmethod
    def default(cls) -> Grader:
        return _default()

    def _scored_compiled(
        self,
        compiled: tuple[judgec.Rows, judgec.Lookup, judgec.Lookup],
        title_set: set[str],
        word_set: set[str],
        facts: list[FactHit],
    ) -> tuple[list[float], int, dict[str, float]]:
        """(sums, known features, evidence by text) as `_scored` over `feature_sets` and `_evidence` give them, with
        the word features summed in C by the word itself (no prefixed feature built): the same sums up to the
        order of the additions, the same evidence (a word's title and body shares added in either order give
        the same number; the facts come after the words, as in `_scored`'s groups). The words come as their sets,
        set(title_words) and set(words), built once a post for every table that reads them (in the same order)."""
        table, by_word, by_title_word = compiled
        body, title = len(word_set), len(title_set)
        by_text: dict[str, float] = {}
        in_post, known_post = table.scored(
            by_word, word_set, 1.0 / math.sqrt(body) if body else 0.0, 1, by_text, FUNCTION_WORDS
        )
        in_title, known_title = table.scored(
            by_title_word, title_set, 1.0 / math.sqrt(title) if title else 0.0, 1, by_text, FUNCTION_WORDS
        )
        if not facts:  # no fact features: their sums are zeros, added as below
            return [a + b + 0.0 for a, b in zip(in_post, in_title, strict=True)], known_post + known_title, by_text
        in_facts, fact_hits = _scored(self._rows, (_fact_features(facts),), {})
        sums = [a + b + c for a, b, c in zip(in_post, in_title, in_facts, strict=True)]
        return sums, known_post + known_title + len(fact_hits), _evidence(fact_hits, facts, by_text)

    def _graded_compiled(
        self,
        words_part: tuple[judgec.Rows, judgec.Lookup, judgec.Lookup],
        dense_part: tuple[judgec.Rows, judgec.Rows],
        title_words: list[str],
        words: list[str],
        sets: tuple[set[str], set[str]],
        facts: list[FactHit],
    ) -> tuple[Sequence[float], int, dict[str, float]]:
        """`_scored_compiled` and then the mean projected rows of the title's and the post's words added, in one C
        call (Rows.grade): the same additions in the same order, so the same bits, and the same evidence (the
        facts' added after the words', as there)."""
        table, by_word, by_title_word = words_part
        fact_sums, fact_hits = _scored(self._rows, (_fact_features(facts),), {}) if facts else (None, [])
        by_text: dict[str, float] = {}
        sums, known = table.grade(
            by_word,
            sets[1],
            by_title_word,
            sets[0],
            1,
            by_text,
            FUNCTION_WORDS,
            fact_sums,
            self._vector_index,
            dense_part[0],
            title_words,
            dense_part[1],
            words,
        )
        if facts:
            known += len(fact_hits)
            _evidence(fact_hits, facts, by_text)
        return sums, known, by_text

    def grade(
        self,
        title_words: Iterable[str],
        words: Iterable[str],
        facts: list[FactHit],
        *,
        heading: str | None = None,
        text: str = "",
    ) -> Grade:
        """`heading`: the title or opening sentence as written (analysis.post_type.heading_of; the title's words
        joined when not given), `text` the whole post: the post type reads their forms and question marks."""
        title_words = title_words if isinstance(title_words, list) else list(title_words)
        words = words if isinstance(words, list) else list(words)
        sets = set(title_words), set(words)
        if self._words is not None and self._compiled is not None:
            sums, known, by_text = self._graded_compiled(self._words, self._compiled, title_words, words, sets, facts)
        elif self._words is not None:  # a format 1 model (no dense part)
            sums, known, by_text = self._scored_compiled(self._words, *sets, facts)
        else:  # without the extension
            found, fact_features = feature_sets(title_words, words, facts)
            sums, hits = _scored(self._rows, (found, fact_features), norms(found))
            known, by_text = len(hits), _evidence(hits, facts)
            if self._projected is not None:
                by_title, by_post = self._projected
                title_part, post_part = _mean(by_title, title_words), _mean(by_post, words)
                sums = [z + a + b for z, a, b in zip(sums, title_part, post_part, strict=True)]
        at_least = tuple(round(_sigmoid(b + z), 4) for b, z in zip(self.level_bias, sums, strict=True))

        # Only what reaches 0.01 is shown: the largest of those are the largest shown of all, by contribution then
        # by name (names are distinct: one order, whatever sorts them).
        shown = [(c, name) for name, c in by_text.items() if c >= 0.01]
        shown.sort(reverse=True)
        guess = (self.types or PostTypeModel.default()).classify(
            "".join(title_words) if heading is None else heading, title_words, words, facts, text, sets=sets
        )
        return Grade(
            at_least=at_least,
            post_type=guess.post_type,
            type_probability=guess.probability,
            evidence=[(name, round(c, 2)) for c, name in shown[:EVIDENCE]],
            known=known,
            calm=guess.calm,
        )


def _scored(
    rows: dict[str, tuple[float, ...]], groups: Iterable[Iterable[str]], scale: dict[str, float]
) -> tuple[list[float], list[tuple[str, float]]]:
    """Σ row·scale over the known features of each group in turn (scale by the feature's kind, 1.0 for a kind
    without one), added feature after feature as numpy's sum over rows did; and each known feature with its
    contribution to step 2 (较大)."""
    low = mid = high = 0.0
    hits: list[tuple[str, float]] = []
    get, add = rows.get, hits.append
    for group in groups:
        for feature in group:
            row = get(feature)
            if row is not None:
                k = scale.get(feature[0], 1.0)
                a, b, c = row
                b *= k
                low += a * k
                mid += b
                high += c * k
                add((feature, b))
    return [low, mid, high], hits


def _evidence(
    hits: list[tuple[str, float]], facts: list[FactHit], by_text: dict[str, float] | None = None
) -> dict[str, float]:
    """Evidence: the whole words (title and body counted once) and facts that pushed towards 较大 and above, each
    with its contribution to step 2, added to `by_text` (the words' when already counted)."""
    by_text = {} if by_text is None else by_text
    names = {h.fact: h.zh for h in facts}
    for feature, contribution in hits:
        kind = feature[0]
        if kind == "w" or kind == "t":
            body = feature[1:]
            if len(body) > 1 and body not in FUNCTION_WORDS:
                by_text[body] = by_text.get(body, 0.0) + contribution
        elif kind == "f":
            body = feature[1:]
            by_text[names.get(body, body)] = contribution
    return by_text


def _mean(rows: dict[str, tuple[float, ...]], words: list[str]) -> tuple[float, float, float]:
    """The average row of the known words (each occurrence counts); zeros when none is known."""
    low = mid = high = 0.0
    known = 0
    for row in map(rows.get, words):
        if row is not None:
            a, b, c = row
            low += a
            mid += b
            high += c
            known += 1
    return (low / known, mid / known, high / known) if known else (0.0, 0.0, 0.0)


def dense_features(title_words: list[str], words: list[str]) -> npt.NDArray[np.float32]:
    """[mean vector of the title's words, mean vector of the post's words] (zeros for a part with no known word)."""
    return wordvec.shipped().means((title_words, words)).reshape(-1)


def norms(found: set[str]) -> dict[str, float]:
    """Per kind: the post's words and its title's words are each L2-normalised, so a title weighs as much in a
    long post as in a short one."""
    body = sum(1 for f in found if f[0] == "w")
    title = len(found) - body
    return {"w": 1.0 / math.sqrt(body) if body else 0.0, "t": 1.0 / math.sqrt(title) if title else 0.0}


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


@functools.cache
def _default() -> Grader:
    with resources.as_file(resources.files("analysis") / "data" / "grader_model.json.gz") as path:
        return Grader.load(path)
