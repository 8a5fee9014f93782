"""The analyser's faster scoring paths give what the code they replaced gave: the grader's level probabilities,
known features and evidence (scored row after row in Python, the same order and bits as numpy's sum over
rows), the post type's scores (one pass over the features), the sentiment's evidence (checked kind by kind),
the facts' spelled runs (most tokens spell nothing longer) and the facts found (only the tokens that can start
one, negate or suppose visited). Each reference below is the replaced code,
kept here; the texts are the demo board's posts and awkward ones, and the DEV corpora when present."""

from __future__ import annotations

import functools
import heapq
import itertools
import math
from pathlib import Path

import numpy as np
import pytest
import yaml

from analysis import wordvec
from analysis.analyser import _words
from analysis.facts import FactHit, find_facts
from analysis.facts.finder import (
    _COUNTED,
    _ENDINGS,
    _NUMERALS,
    FACTS,
    HYPOTHETICAL,
    HYPOTHETICAL_WITHIN,
    MAX_SPAN,
    NEAR_WITHIN,
    NEGATED_WITHIN,
    NEGATORS,
    _count,
    _in_context,
    _index,
    _inner_words,
    _partner,
    _spelled,
)
from analysis.grader import EVIDENCE, FUNCTION_WORDS, Grader, _sigmoid, feature_sets, norms
from analysis.post_type import PostTypeModel, features, heading_of
from analysis.sentiment import SentimentResult
from analysis.sentiment_model import EVIDENCE as SENTIMENT_EVIDENCE
from analysis.sentiment_model import NEUTRAL_BAND, SentimentModel
from store.tokens import add_words, domain_words, normalise
from tests.store.test_tokens_compiled import TRICKY, dev_texts

REPO = Path(__file__).resolve().parents[2]


def repo_texts() -> list[str]:
    seed = yaml.safe_load((REPO / "yuqing" / "demo" / "board_seed.yaml").read_text(encoding="utf-8"))
    posts = [f"{p['title']}\n{p['content']}" for p in seed["posts"]]
    return [
        *posts,
        *TRICKY,
        "",
        "！！！",
        "不满意，没有人管，学生被打伤住院，二十多名家长聚集",
        "一旦倒塌将造成伤亡，希望尽快处理。请问何时维修？",
    ]


@functools.cache
def _grader_matrix(grader: Grader) -> tuple[dict[str, int], np.ndarray]:
    names = sorted(grader.level_weights)
    return {f: i for i, f in enumerate(names)}, np.array([grader.level_weights[f] for f in names]).reshape(-1, 3)


def reference_grade_scores(grader: Grader, title_words: list[str], words: list[str], text_facts: list) -> tuple:
    # Grader.grade's scoring before: numpy rows of the known features, scaled, summed over rows.
    found, fact_features = feature_sets(title_words, words, text_facts)
    scale = norms(found)
    index, matrix = _grader_matrix(grader)
    known = [f for f in found if f in index] + [f for f in fact_features if f in index]
    rows = matrix[[index[f] for f in known]]
    weights = np.array([scale.get(f[0], 1.0) for f in known])
    contributions = rows * weights[:, None]
    sums = contributions.sum(axis=0)
    if grader.dense is not None:
        # The dense part (format 2): each mean vector word by word, then the weights.
        sums = sums + reference_means(title_words, words) @ np.array(grader.dense)
    at_least = tuple(round(_sigmoid(b + float(z)), 4) for b, z in zip(grader.level_bias, sums, strict=True))
    hits = list(zip(known, contributions[:, 1].tolist(), strict=True))
    by_text: dict[str, float] = {}
    names = {h.fact: h.zh for h in text_facts}
    for feature, contribution in hits:
        kind, body = feature[0], feature[1:]
        if kind in "wt" and len(body) > 1 and body not in FUNCTION_WORDS:
            by_text[body] = by_text.get(body, 0.0) + contribution
        elif kind == "f":
            by_text[names.get(body, body)] = contribution
    strongest = heapq.nlargest(EVIDENCE, by_text.items(), key=lambda item: (item[1], item[0]))
    return at_least, len(hits), [(shown, round(c, 2)) for shown, c in strongest if c >= 0.01]


def reference_means(title_words: list[str], words: list[str]) -> np.ndarray:
    table = wordvec.shipped()
    parts = []
    for ws in (title_words, words):
        known = [v for v in (table.vector(w) for w in ws) if v is not None]
        parts.append(np.mean(known, axis=0) if known else np.zeros(table.dim))
    return np.concatenate(parts)


def reference_type_scores(model: PostTypeModel, found: dict[str, float]) -> list[float]:
    index = model._index
    known = [f for f in found if f in index]
    values = np.array([found[f] for f in known])
    return list((model._bias + values @ model._matrix[[index[f] for f in known]]).tolist())


def reference_sentiment(model: SentimentModel, text: str, words: list[str]) -> SentimentResult:
    # SentimentModel.score before: one evidence loop over logit's hits, every hit checked.
    if not words:
        return SentimentResult(score=0.0, label="neutral", evidence=[])
    z, hits = model.logit(text, words)
    if not hits:
        return SentimentResult(score=0.0, label="neutral", evidence=[])
    score = round(math.tanh(z / 2.0), 4)
    label = "neutral" if abs(score) < NEUTRAL_BAND else ("positive" if score > 0 else "negative")
    single = set(words)
    pairs = {a + b for a, b in itertools.pairwise(words)}
    by_text: dict[str, float] = {}
    for shown, contribution in hits:
        shown_as_is = shown in single or shown.startswith("不…")
        if not shown_as_is and (shown not in pairs or shown not in normalise(text)):
            continue
        by_text[shown] = by_text.get(shown, 0.0) + contribution
    strongest = sorted([(-abs(c), shown, c) for shown, c in by_text.items()])[:SENTIMENT_EVIDENCE]
    evidence = [(shown, round(c, 3)) for _, shown, c in strongest if round(c, 3) != 0.0]
    return SentimentResult(score=score, label=label, evidence=evidence)  # type: ignore[arg-type]


def reference_spelled(tokens: list[str], prefixes: frozenset[str]) -> list[list[str]]:
    out = []
    for i in range(len(tokens)):
        runs, spelled = [], ""
        counting = tokens[i][0] in _NUMERALS
        for j in range(i, min(i + MAX_SPAN, len(tokens))):
            spelled += tokens[j]
            runs.append(spelled)
            if not counting and spelled not in prefixes:
                break
        out.append(runs)
    return out


def reference_facts(words: list[str]) -> list[FactHit]:
    """find_facts as it was: every token visited, the counters moved one token at a time."""
    index, prefixes, near_words = _index()[:3]
    tokens: list[str] = []
    for word in words:
        if len(word) >= 4 and word.lower() not in index and word[0] not in _NUMERALS:
            tokens.extend(_inner_words(word))
        else:
            tokens.append(word)
    runs = _spelled(tokens, prefixes)
    near_at = [[s for s in r if s in near_words or (_ENDINGS and len(s) > 1 and s.endswith(_ENDINGS))] for r in runs]
    found: dict[str, list[str]] = {}

    def add(fact_id: str, *shown: str) -> None:
        seen = found.setdefault(fact_id, [])
        seen.extend(s for s in shown if s not in seen)

    since_negator = NEGATED_WITHIN + 1
    since_hypothetical = HYPOTHETICAL_WITHIN + 1
    for i, token in enumerate(tokens):
        if token in NEGATORS:
            since_negator = 0
            continue
        since_negator += 1
        since_hypothetical = 0 if token in HYPOTHETICAL else since_hypothetical + 1
        if since_negator <= NEGATED_WITHIN:
            continue
        possible = 0 < since_hypothetical <= HYPOTHETICAL_WITHIN
        for length, spelled in enumerate(runs[i], start=1):
            for f in index.get(spelled, ()):
                if possible and f.feared_blocks:
                    continue
                if (f.not_after or f.not_before) and _in_context(tokens, i, i + length, f):
                    continue
                if not f.near:
                    add(f.id, spelled)
                    continue
                window = range(max(0, i - NEAR_WITHIN), min(len(tokens), i + NEAR_WITHIN + 1))
                partner = next((w for j in window if j != i for w in near_at[j] if w in f.near), None) or next(
                    (w for j in window if j != i for w in near_at[j] if _partner(w, f)), None
                )
                if partner is not None:
                    add(f.id, partner, spelled)
            if spelled[0] in _NUMERALS and (value := _count(spelled)):
                for f in _COUNTED:
                    if value >= f.counts_at_least:
                        add(f.id, spelled)
    return [FactHit(f.id, f.zh, found[f.id]) for f in FACTS if f.id in found]


# Negators and suppositions next to harm, one after another: the counters' edge cases.
FACT_EDGES = [
    "没有人受伤",
    "没 没 受伤",
    "一旦 没 倒塌 将 造成 伤亡",
    "担心 没有 孩子 受伤",
    "扬言 没 没 没 上访",
    "会 受伤 。 担心 无 人 受伤 死亡",
    "一旦 未 无 死亡",
    "二十 多 名 学生 被 打 无人 受伤 以免 中毒",
]


def test_facts_are_the_replaced_loop_s() -> None:
    for text in FACT_EDGES:
        words = text.split()
        for start in range(len(words)):
            assert find_facts(words[start:]) == reference_facts(words[start:]), words[start:]


def check(texts: list[str]) -> None:
    grader, types, sentiment = Grader.default(), PostTypeModel.default(), SentimentModel.default()
    prefixes = _index()[1]
    for text in texts:
        title_words, words = _words("", text)
        text_facts = find_facts(words)
        grade = grader.grade(title_words, words, text_facts, heading=heading_of("", text), text=text)
        at_least, known, evidence = reference_grade_scores(grader, title_words, words, text_facts)
        assert (grade.known, grade.evidence) == (known, evidence), text
        # The dense part is folded into per-word rows at load (another summation order than the mean vectors times
        # the matrix): a probability on a rounding edge may differ in its fourth decimal, never more.
        assert all(abs(a - b) < 1.5e-4 for a, b in zip(grade.at_least, at_least, strict=True)), text
        found = features(heading_of("", text), title_words, words, text_facts)
        assert types.scores(found) == reference_type_scores(types, found), text
        assert sentiment.score(text, words) == reference_sentiment(sentiment, text, words), text
        assert _spelled(words, prefixes) == reference_spelled(words, prefixes), text
        assert text_facts == reference_facts(words), text


def test_the_fast_paths_give_the_replaced_code_s_results() -> None:
    add_words(domain_words())
    check(repo_texts())


@pytest.mark.skipif(not (REPO.parent / "shared" / "data").exists(), reason="DEV corpora (../shared/data) not present")
def test_the_fast_paths_give_the_replaced_code_s_results_on_the_dev_corpora() -> None:
    add_words(domain_words())
    texts = [t for corpus in dev_texts(300).values() for t in corpus]
    assert texts, "../shared/data holds none of the DEV corpora"
    check(texts)
