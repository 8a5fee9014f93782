"""What a sentiment score is: a number in [-1, 1], a label, and the evidence for the explanation.

The scorer is the trained model in analysis/sentiment_model.py (model card: analysis/data/MODEL_CARD.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Label = Literal["negative", "neutral", "positive"]


@dataclass(frozen=True)
class SentimentResult:
    score: float
    label: Label
    evidence: list[tuple[str, float]]  # (readable feature, contribution)
