"""A first sentiment score in [-1, 1] from a shipped complaint-domain lexicon, with negation.

Deliberately simple and explainable; the analysis issue replaces it with a trained model behind the same API.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from importlib import resources
from typing import Literal

Label = Literal["negative", "neutral", "positive"]
NEUTRAL_BAND = 0.2


@dataclass(frozen=True)
class SentimentResult:
    score: float
    label: Label
    evidence: list[tuple[str, float]]  # (word, contribution)


class LexiconSentiment:
    def __init__(self, weights: dict[str, float], negators: set[str]) -> None:
        self.weights = weights
        self.negators = negators

    @classmethod
    def default(cls) -> LexiconSentiment:
        data = resources.files("analysis") / "data"
        weights: dict[str, float] = {}
        for line in (data / "sentiment_seed.txt").read_text(encoding="utf-8").splitlines():
            if line and not line.startswith("#"):
                word, weight = line.split("\t")
                weights[word] = float(weight)
        negators = {w.strip() for w in (data / "negators.txt").read_text(encoding="utf-8").splitlines() if w.strip()}
        return cls(weights, negators)

    def score(self, tokens: list[str]) -> SentimentResult:
        total = 0.0
        evidence: list[tuple[str, float]] = []
        for i, token in enumerate(tokens):
            weight = self.weights.get(token)
            if weight is None:
                continue
            # "不满意" is tokenised 不 / 满意: a negator just before flips the word.
            if i > 0 and tokens[i - 1] in self.negators:
                weight = -weight
            total += weight
            evidence.append((token, weight))
        score = math.tanh(total / 3.0)
        label: Label = "negative" if score < -NEUTRAL_BAND else "positive" if score > NEUTRAL_BAND else "neutral"
        return SentimentResult(score=round(score, 4), label=label, evidence=evidence)
