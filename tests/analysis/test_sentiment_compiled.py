"""The sentiment model's character n-grams counted and looked up in C (store/_jiebac.c GramWeights) give the same
log-odds, features and results as feature_sets in Python."""

from __future__ import annotations

import copy
import csv
import heapq
import itertools
import random

import pytest

from analysis.sentiment_model import (
    CHAR_NGRAMS,
    NEGATION_SPAN,
    NEGATORS,
    SentimentModel,
    feature_sets,
    word_features,
)
from store.tokens import normalise, segment
from tests.conftest import SHARED_DATA

pytest.importorskip("store._jiebac", reason="the C extension was not built (no compiler at install)")
from store._jiebac import GramWeights

TEXTS = [
    "送餐太慢了，饭菜都凉了！！差评",
    "环境干净，服务热情，下次还来😀",
    "[哈哈]不满意，不太好吃_真的a1b2 ＡＢＣ",
    "",
    "😀😀",
    "好好好好好好好",  # repeated n-grams count once
    "學校門口ＡＢＣ超市賣過期食品，孩子吃了上吐下瀉",
]


def texts() -> list[str]:
    found = list(TEXTS)
    weibo = SHARED_DATA / "covid19_weibo_unlabeled" / "weibo_posts.csv"
    if weibo.exists():
        with weibo.open(encoding="utf-8") as f:
            rows = [r["text"] for r in csv.DictReader(f)]
        random.Random(5).shuffle(rows)
        found += rows[:500]
    return found


def test_the_grams_and_their_count_are_feature_sets_own() -> None:
    weights = {"送餐": 1.0, "太慢": -2.0, "不满": -1.5, "好好好": 0.5, "a1b": 0.25, "学校": 0.1, "abc": 3.0}
    table = GramWeights(weights)
    for text in texts():
        grams = feature_sets(text, [])[0]
        count, known = table.hits(normalise(text), CHAR_NGRAMS)
        assert count == len(grams), text
        assert sorted(known) == sorted((g, weights[g]) for g in grams if g in weights), text


def test_scores_equal_the_python_features_path() -> None:
    model = SentimentModel.default()
    python = copy.copy(model)
    python._grams = None
    assert model._grams is not None
    for text in texts():
        words = segment(text)
        z, hits = model.logit(text, words)
        z_py, hits_py = python.logit(text, words)
        assert z == z_py and sorted(hits) == sorted(hits_py), text
        assert model.score(text, words) == python.score(text, words), text


def reference_word_features(words: list[str]) -> tuple[set[str], set[str], set[str]]:
    # The loop word_features replaced, kept here as the reference.
    seen: set[str] = set()
    pairs: set[str] = set()
    negated: set[str] = set()
    previous, span = "", 0
    for word in words:
        if word in NEGATORS:
            span = NEGATION_SPAN
        elif span:
            negated.add(word)
            span -= 1
        seen.add(word)
        if previous:
            pairs.add(previous + " " + word)
        previous = word
    return seen, pairs, negated


def test_word_features_equal_the_reference_loop() -> None:
    cases = [["不", "满意", "不", "不", "好吃", "真的", "很", "差"], ["没有", "不是", "好", "a", "b"], [], ["好"]]
    cases += [segment(text) for text in texts()]
    for words in cases:
        assert word_features(words) == reference_word_features(words), words
        assert word_features(iter(words)) == reference_word_features(words)


def reference_evidence(model: SentimentModel, text: str, words: list[str]) -> list[tuple[str, float]]:
    # The evidence as score() chose it with heapq.nsmallest and a key function, kept here as the reference.
    _, hits = model.logit(text, words)
    single, pairs = set(words), {a + b for a, b in itertools.pairwise(words)}
    by_text: dict[str, float] = {}
    for shown, contribution in hits:
        shown_as_is = shown in single or shown.startswith("不…")
        if not shown_as_is and (shown not in pairs or shown not in normalise(text)):
            continue
        by_text[shown] = by_text.get(shown, 0.0) + contribution
    strongest = heapq.nsmallest(8, by_text.items(), key=lambda item: (-abs(item[1]), item[0]))
    return [(shown, round(c, 3)) for shown, c in strongest if round(c, 3) != 0.0]


def test_evidence_is_the_strongest_eight_as_before() -> None:
    model = SentimentModel.default()
    for text in texts():
        words = segment(text)
        if words and model.logit(text, words)[1]:
            assert model.score(text, words).evidence == reference_evidence(model, text, words), text
