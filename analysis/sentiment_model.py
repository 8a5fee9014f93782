"""The shipped sentiment model: a linear model (NB-weighted logistic regression) over character n-grams and jieba
words, trained by `python -m training.train_sentiment` (analysis/data/MODEL_CARD.md). No scikit-learn, no download
at run time: the features are found, weighed and summed in C (store/_jiebac.c FeatureWeights) when the extension is
built, else in Python here, with the same results bit for bit.

score = 2·p(positive) − 1 = tanh(z / 2) in [-1, 1], z the linear model's log-odds. label is "neutral" when
|score| < NEUTRAL_BAND (p(positive) between 0.35 and 0.65); a text with no word at all (empty, emoji, garbage)
or no feature the model knows gives score 0.0, "neutral", no evidence. evidence: up to 8 (whole word, word pair or
negated word, signed contribution to z) pairs, largest |contribution| first; a negative contribution pushes towards
"negative". Character n-grams count in the score but are shown only where they are a word of the text.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from analysis.modelfile import read_model
from analysis.sentiment import Label, SentimentResult
from store.tokens import normalise, segment

if TYPE_CHECKING:
    from store._jiebac import FeatureWeights

NEUTRAL_BAND = 0.3
EVIDENCE = 8
FORMAT = "yuqing-sentiment-linear/1"
# A word after one of these (within NEGATION_SPAN words) also counts as the negated word: 不满意 is not 满意.
NEGATORS = frozenset(
    {"不", "没", "没有", "别", "无", "未", "不是", "不太", "不够", "并不", "毫无", "不会", "不能", "不要"}
)
NEGATION_SPAN = 3
CHAR_NGRAMS = (2, 3)  # single characters are left to the words: same accuracy, a quarter fewer features
# Clauses are runs of letters and digits: punctuation, spaces, brackets ([哈哈] gives 哈哈) and emoji end them.
_CLAUSE_END = re.compile(r"[\W_]+")
# Feature kinds, the first character of a feature in the model file: c characters, w word, b two adjacent words,
# n negated word.
KINDS = ("c", "w", "b", "n")
_SEP = " "  # between the two words of a "b" feature; words never hold a space


def feature_sets(text: str, words: Iterable[str]) -> tuple[set[str], set[str], set[str], set[str]]:
    """The binary features of a text by kind: character n-grams within a clause, words, pairs of adjacent words
    ("送餐 太慢"), and negated words. `words` are accurate-mode jieba words of it (`store.tokens.segment`)."""
    grams: set[str] = set()
    for clause in _CLAUSE_END.split(normalise(text)):
        size = len(clause)
        for n in CHAR_NGRAMS:
            grams.update([clause[i : i + n] for i in range(size - n + 1)])
    return (grams, *word_features(words))


def word_features(words: Iterable[str]) -> tuple[set[str], set[str], set[str]]:
    """feature_sets' words, pairs of adjacent words ("送餐 太慢") and negated words (up to NEGATION_SPAN words after
    a negator; a negator itself is never negated)."""
    words = words if isinstance(words, list) else list(words)
    seen = set(words)
    pairs = set(_pairs(words))
    negated: set[str] = set()
    if not NEGATORS.isdisjoint(seen):
        span = 0
        for word in words:
            if word in NEGATORS:
                span = NEGATION_SPAN
            elif span:
                negated.add(word)
                span -= 1
    return seen, pairs, negated


def _pairs(words: list[str]) -> dict[str, str]:
    """The word pair features ("送餐 太慢") in the order they first occur, each with what a reader sees (送餐太慢)."""
    return {a + _SEP + b: a + b for a, b in itertools.pairwise(words) if a}


def features(text: str, words: Iterable[str]) -> set[str]:
    """feature_sets() as one set of strings, each prefixed by its kind (KINDS): what training and the model
    file use."""
    return {kind + f for kind, found in zip(KINDS, feature_sets(text, words), strict=True) for f in found}


def readable(feature: str) -> str:
    """What the explanation shows: the characters or words themselves; a negated word as 不…word."""
    kind, body = feature[0], feature[1:]
    if kind == "n":
        return "不…" + body
    if kind == "b":
        return body.replace(_SEP, "")
    return body


class SentimentModel:
    def __init__(self, weights: dict[str, float], bias: float, meta: dict[str, object] | None = None) -> None:
        self.weights = weights  # feature (kind-prefixed, see KINDS) → weight
        self.bias = bias
        self.meta = meta or {}
        by_kind: dict[str, dict[str, float]] = {kind: {} for kind in KINDS}
        for feature, weight in weights.items():
            by_kind[feature[0]][feature[1:]] = weight
        self._by_kind = [by_kind[kind] for kind in KINDS]
        self._compiled = _compiled(weights)

    @classmethod
    def load(cls, path: Path) -> SentimentModel:
        data = read_model(path, FORMAT)
        weights = {str(k): float(v) for k, v in data["weights"].items()}
        return cls(weights, float(data["bias"]), dict(data.get("meta", {})))

    @classmethod
    def default(cls) -> SentimentModel:
        return _default()

    def to_json(self) -> dict[str, object]:
        return {"format": FORMAT, "bias": self.bias, "weights": self.weights, "meta": self.meta}

    def logit(self, text: str, words: Iterable[str]) -> tuple[float, list[tuple[str, float]]]:
        """z (log-odds of positive) and each known feature's contribution to it, as (readable text, contribution).
        Features are binary and L2-normalised over all the text's features, known or not, as in training."""
        if self._compiled is not None:
            total, count, hits = self._compiled.hits(normalise(text), _word_list(words))
            return (self.bias + total if count else self.bias), hits
        z, by_kind, _ = self._logit(text, words)
        return z, [hit for hits in by_kind for hit in hits]

    def _logit(self, text: str, words: Iterable[str]) -> tuple[float, tuple[list[tuple[str, float]], ...], set[str]]:
        """logit()'s z, its hits by kind (KINDS' order: characters, words, pairs, negated words) and the words, in
        Python. Pairs come in the order they first occur, as in C: two pairs can show the same text (a bc, ab c), and
        the order of three or more sums decides their last bit."""
        gram_w, word_w, pair_w, negated_w = self._by_kind
        words = _word_list(words)
        grams, seen, _, negated = feature_sets(text, words)
        pairs = _pairs(words)
        total = len(grams) + len(seen) + len(pairs) + len(negated)
        if not total:
            return self.bias, ([], [], [], []), seen
        norm = 1.0 / math.sqrt(total)
        # Set intersections run in C; only the features the model knows are looked up. z is math.fsum's correctly
        # rounded sum, whatever the order.
        by_kind = (
            [(f, gram_w[f] * norm) for f in grams & gram_w.keys()],
            [(f, word_w[f] * norm) for f in seen & word_w.keys()],
            [(shown, pair_w[f] * norm) for f, shown in pairs.items() if f in pair_w],
            [("不…" + f, negated_w[f] * norm) for f in negated & negated_w.keys()],
        )
        return self.bias + math.fsum([c for hits in by_kind for _, c in hits]), by_kind, seen

    def score(self, text: str, words: list[str] | None = None) -> SentimentResult:
        if words is None:
            words = segment(text)
        if not words:  # nothing a reader would call a word: empty, emoji, punctuation, control characters
            return SentimentResult(score=0.0, label="neutral", evidence=[])
        if self._compiled is not None:
            total, known, strongest = self._compiled.strongest(normalise(text), _word_list(words), EVIDENCE)
            if not known:
                return SentimentResult(score=0.0, label="neutral", evidence=[])
            return _result(self.bias + total, strongest)
        z, (grams, singles, pairs, negated), single = self._logit(text, words)
        if not (grams or singles or pairs or negated):
            return SentimentResult(score=0.0, label="neutral", evidence=[])
        # The word 干净 and the characters 干净 are two features but one piece of evidence to a reader. Evidence is
        # whole words only: a character n-gram that is no word of the text (生吃 from 学生吃) counts in the score
        # but is never shown. Added kind by kind in logit's order: the same sums.
        adjacent: set[str] | None = None
        folded: str | None = None
        by_text: dict[str, float] = {}
        get = by_text.get
        for checked, hits in ((True, grams), (False, singles), (True, pairs), (False, negated)):
            # A word of the text (singles) and a negated word (不…) are always shown: no check.
            for shown, contribution in hits:
                if checked and shown not in single and not shown.startswith("不…"):
                    if adjacent is None:
                        adjacent = {a + b for a, b in itertools.pairwise(words)}
                    if shown not in adjacent:
                        continue
                    # Two adjacent words across punctuation (了|送餐) are no phrase of the text: not shown.
                    folded = normalise(text) if folded is None else folded
                    if shown not in folded:
                        continue
                by_text[shown] = get(shown, 0.0) + contribution
        # Strongest first, ties by text: the tuples compare in C (texts are distinct, so c never decides).
        ranked = sorted([(-abs(c), shown, c) for shown, c in by_text.items()])[:EVIDENCE]
        return _result(z, [(shown, c) for _, shown, c in ranked])

    def score_many(self, texts: list[str]) -> list[SentimentResult]:
        return [self.score(text) for text in texts]


def _result(z: float, strongest: list[tuple[str, float]]) -> SentimentResult:
    """The score and label of log-odds z, with the strongest evidence (largest |contribution| first) as shown."""
    score = round(math.tanh(z / 2.0), 4)  # = 2·sigmoid(z) − 1
    label: Label = "neutral" if abs(score) < NEUTRAL_BAND else ("positive" if score > 0 else "negative")
    evidence = [(shown, r) for shown, c in strongest if (r := round(c, 3)) != 0.0]
    return SentimentResult(score=score, label=label, evidence=evidence)


def _word_list(words: Iterable[str]) -> list[str]:
    return words if isinstance(words, list) else list(words)


def _compiled(weights: dict[str, float]) -> FeatureWeights | None:
    try:
        from store._jiebac import FeatureWeights
    except ImportError:  # not built: the same features and sums in Python (store.tokens logs it once)
        return None
    if not all(map(math.isfinite, weights.values())):  # never in a trained model; math.fsum's own rules then apply
        return None
    return FeatureWeights(weights, CHAR_NGRAMS, NEGATORS, NEGATION_SPAN)


@functools.cache
def _default() -> SentimentModel:
    with resources.as_file(resources.files("analysis") / "data" / "sentiment_model.json.gz") as path:
        return SentimentModel.load(path)
