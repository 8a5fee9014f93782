"""The sentiment model's features found, counted, weighed and summed in C (store/_jiebac.c FeatureWeights) give the
same log-odds (bit for bit), features, evidence and results as the Python path (feature_sets, math.fsum)."""

from __future__ import annotations

import copy
import csv
import heapq
import itertools
import json
import math
import random
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.sentiment_model import (
    CHAR_NGRAMS,
    NEGATION_SPAN,
    NEGATORS,
    SentimentModel,
    features,
    word_features,
)
from store.tokens import normalise, segment
from tests.conftest import SHARED_DATA

pytest.importorskip("store._jiebac", reason="the C extension was not built (no compiler at install)")
from store._jiebac import FeatureWeights

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


def python_path(model: SentimentModel) -> SentimentModel:
    python = copy.copy(model)
    python._compiled = None
    return python


def test_the_features_and_their_count_are_feature_sets_own() -> None:
    weights = {"c送餐": 1.0, "c太慢": -2.0, "c不满": -1.5, "c好好好": 0.5, "ca1b": 0.25, "c学校": 0.1, "cabc": 3.0}
    weights |= {"w满意": 0.7, "b饭菜 都": -0.2, "n满意": -1.1, "n好吃": -0.3, "w差评": -2.5}
    table = FeatureWeights(weights, CHAR_NGRAMS, NEGATORS, NEGATION_SPAN)
    for text in texts():
        words = segment(text)
        found = features(text, words)
        total, count, hits = table.hits(normalise(text), words)
        assert count == len(found), text
        norm = 1.0 / math.sqrt(count) if count else 0.0
        known = sorted(f for f in found if f in weights)
        assert sorted(hits) == sorted(
            (f[1:] if f[0] in "cw" else "不…" + f[1:] if f[0] == "n" else f[1:].replace(" ", ""), weights[f] * norm)
            for f in known
        ), text
        assert total == math.fsum(weights[f] * norm for f in known), text


def test_scores_equal_the_python_features_path() -> None:
    model = SentimentModel.default()
    python = python_path(model)
    assert model._compiled is not None
    for text in texts():
        words = segment(text)
        z, hits = model.logit(text, words)
        z_py, hits_py = python.logit(text, words)
        assert z == z_py and sorted(hits) == sorted(hits_py), text
        assert model.score(text, words) == python.score(text, words), text
        assert model.score(text, iter(words)) == model.score(text, words)  # type: ignore[arg-type]


def test_the_sum_is_exact_as_math_fsum() -> None:
    # Added left to right, 1e16 swallows the small weights; math.fsum (and the C sum) keeps them.
    weights = {"w甲": 1e16, "w乙": 1.0, "w丙": -1e16, "w丁": 3.0, "b乙 丙": 1e-3, "c甲乙": 0.5}
    model = SentimentModel(weights, bias=0.25)
    text, words = "甲乙丙丁", ["甲", "乙", "丙", "丁"]
    z, hits = model.logit(text, words)
    assert (z, sorted(hits)) == (lambda r: (r[0], sorted(r[1])))(python_path(model).logit(text, words))
    contributions = [c for _, c in hits]
    assert z == 0.25 + math.fsum(contributions) != 0.25 + sum(contributions)


def test_features_showing_one_text_add_up_in_the_same_order() -> None:
    # The characters abc, the word abc and the pairs a|bc and ab|c all show "abc". Summed in another order these
    # weights give another evidence (2**53 swallows a 1 or not): both paths add the characters, the word, then
    # the pairs as they first occur.
    big = 2.0**53
    weights = {"cabc": big, "wabc": 1.0, "ba bc": 1.0, "bab c": -big}
    model = SentimentModel(weights, bias=0.0)
    for words in (["abc", "a", "bc", "ab", "c"], ["abc", "ab", "c", "a", "bc"]):
        text = "abc " + " ".join(words[1:]) + " abc"
        norm = 1.0 / math.sqrt(len(features(text, words)))
        first, second = (1.0, -big) if words[1] == "a" else (-big, 1.0)
        in_order = 0.0 + big * norm + 1.0 * norm + first * norm + second * norm
        other_order = 0.0 + big * norm + 1.0 * norm + second * norm + first * norm
        assert round(in_order, 3) != round(other_order, 3)
        assert model.score(text, words) == python_path(model).score(text, words), words
        assert model.score(text, words).evidence == [("abc", round(in_order, 3))]


def test_words_must_be_strings() -> None:
    table = FeatureWeights({"w好": 1.0}, CHAR_NGRAMS, NEGATORS, NEGATION_SPAN)
    with pytest.raises(TypeError):
        table.hits("好", ["好", 1])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        FeatureWeights({"w好": 1.0}, CHAR_NGRAMS, ["不"], NEGATION_SPAN)  # type: ignore[arg-type]


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


def test_without_the_extension_python_scores_the_same() -> None:
    # As if the build had failed: a fresh process where store._jiebac cannot be imported.
    code = (
        "import json, sys\n"
        "sys.modules['store._jiebac'] = None\n"
        "from analysis.sentiment_model import SentimentModel\n"
        "from store.tokens import segment\n"
        "model = SentimentModel.default()\n"
        "assert model._compiled is None\n"
        "cut = [(t, segment(t)) for t in json.loads(sys.stdin.read())]\n"
        "print(json.dumps([[w, repr(model.logit(t, w)[0]), repr(model.score(t, w))] for t, w in cut]))\n"
    )
    sample = texts()[:60]
    done = subprocess.run(
        [sys.executable, "-c", code],
        input=json.dumps(sample),
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr[-2000:]
    model = SentimentModel.default()
    assert model._compiled is not None
    found = json.loads(done.stdout)
    assert len(found) == len(sample)
    # The words as that process cut them: words added to the dictionary by other tests here would cut otherwise.
    for text, (words, z, result) in zip(sample, found, strict=True):
        assert [z, result] == [repr(model.logit(text, words)[0]), repr(model.score(text, words))], text


def test_overflow_and_weights_that_are_not_finite_behave_as_math_fsum() -> None:
    huge = SentimentModel({"w甲": 1.7e308, "w乙": 1.7e308, "b甲 乙": 1.7e308}, bias=0.0)
    for model in (huge, python_path(huge)):
        with pytest.raises(OverflowError):
            model.logit("甲乙", ["甲", "乙"])
    # inf and nan have math.fsum's own rules: such a model (never a trained one) scores in Python.
    odd = SentimentModel({"w甲": math.inf, "w乙": 1.0}, bias=0.0)
    assert odd._compiled is None and odd.logit("甲乙", ["甲", "乙"])[0] == math.inf
    with pytest.raises(ValueError):
        FeatureWeights({"w甲": math.nan}, CHAR_NGRAMS, NEGATORS, NEGATION_SPAN)


def test_short_long_and_supplementary_plane_features_are_found_alike() -> None:
    """Features of two or three characters, of seven, and of supplementary-plane characters are found, with their
    weights, as the Python path finds them; a feature that differs from a known one only in its last character is
    not."""
    weights = {
        "c学校": 0.5,
        "c学校食": -0.25,
        "w食堂": 1.0,
        "w中华人民共和国": -2.0,
        "w𠀀𠀁": 0.75,
        "c𠀀𠀁": 0.125,
        "b学校 食堂": 0.0625,
        "n满意": -0.5,
        "w食品": 3.0,
    }
    model = SentimentModel(weights, bias=0.1)
    python = python_path(model)
    for text, words in [
        ("学校食堂", ["学校", "食堂"]),
        ("中华人民共和国𠀀𠀁", ["中华人民共和国", "𠀀𠀁"]),
        ("不满意学校食物", ["不", "满意", "学校", "食物"]),  # 食物 is not 食品, 学校食 is a gram
        ("食堂中华人民共和", ["食堂", "中华人民共和"]),
    ]:
        z, hits = model.logit(text, words)
        z_py, hits_py = python.logit(text, words)
        assert (z, sorted(hits)) == (z_py, sorted(hits_py)), text
        assert hits, text
        assert model.score(text, words) == python.score(text, words), text
    assert "食品" not in dict(model.logit("学校食物", ["学校", "食物"])[1])
