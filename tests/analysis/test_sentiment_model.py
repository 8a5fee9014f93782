"""The shipped sentiment model on clear sentences written for this test, odd inputs, and its evidence."""

from __future__ import annotations

import math

import pytest

from analysis.sentiment_model import NEUTRAL_BAND, SentimentModel, features, readable
from store.tokens import segment

CLEAR = [
    ("服务态度很好，环境干净", "positive"),
    ("饭菜都凉了，送餐太慢，再也不点了", "negative"),
    ("不好吃", "negative"),
    ("质量很好，物流也快，非常满意", "positive"),
    ("房间有异味，隔音很差，前台态度恶劣", "negative"),
    ("味道不错，分量足，送餐也快，下次还点", "positive"),
    ("手机用了两天就坏了，客服也不理人，太失望了", "negative"),
    ("衣服质量很差，洗一次就掉色，不推荐", "negative"),
    ("酒店位置好，早餐丰富，性价比很高", "positive"),
    ("这本书写得非常精彩，值得一读", "positive"),
    ("投诉了三次都没人处理，太失望了", "negative"),
    ("问题很快就解决了，谢谢，非常满意", "positive"),
    ("处理结果不满意", "negative"),
]


@pytest.fixture(scope="module")
def model() -> SentimentModel:
    return SentimentModel.default()


@pytest.mark.parametrize(("text", "label"), CLEAR)
def test_clear_sentences(model: SentimentModel, text: str, label: str) -> None:
    result = model.score(text)
    assert result.label == label, result
    assert -1.0 <= result.score <= 1.0 and abs(result.score) >= NEUTRAL_BAND


@pytest.mark.parametrize("text", ["", "   ", "😀😀😀", "👍", "\x00\x01\ufffd\ufffe", "。。。！！？", "\u200b\u200b"])
def test_empty_emoji_and_garbage_are_neutral(model: SentimentModel, text: str) -> None:
    result = model.score(text)
    assert result.label == "neutral" and result.score == 0.0 and result.evidence == []


@pytest.mark.parametrize("text", ["\udcff坏", "a" * 5000, "1234567890", "服务很好。" * 20_000, "😀很好😀"])
def test_any_text_gives_a_score_in_range(model: SentimentModel, text: str) -> None:
    result = model.score(text)
    assert -1.0 <= result.score <= 1.0 and not math.isnan(result.score)
    assert result.label in ("negative", "neutral", "positive")
    assert (result.label == "neutral") == (abs(result.score) < NEUTRAL_BAND)


def test_evidence_is_readable_signed_and_sorted(model: SentimentModel) -> None:
    text = "饭菜都凉了，送餐太慢，再也不点了"
    result = model.score(text)
    assert 0 < len(result.evidence) <= 8
    assert len({shown for shown, _ in result.evidence}) == len(result.evidence)
    assert all(shown.removeprefix("不…") in text for shown, _ in result.evidence)  # text of the post itself
    assert result.evidence[0][1] < 0  # the strongest piece of evidence pushes towards negative
    assert all(abs(a[1]) >= abs(b[1]) for a, b in zip(result.evidence, result.evidence[1:], strict=False))


def test_words_given_by_the_caller_give_the_same_result(model: SentimentModel) -> None:
    for text, _ in CLEAR:
        assert model.score(text, segment(text)) == model.score(text)


def test_score_many_equals_score(model: SentimentModel) -> None:
    texts = [t for t, _ in CLEAR] + ["", "😀"]
    assert model.score_many(texts) == [model.score(t) for t in texts]


def test_default_is_loaded_once() -> None:
    assert SentimentModel.default() is SentimentModel.default()


def test_features_and_their_readable_form() -> None:
    found = features("处理结果不满意！", ["处理", "结果", "不", "满意"])
    assert {"c不满", "c不满意", "w满意", "b不 满意", "n满意"} <= found
    assert not any("！" in f for f in found)  # punctuation ends a clause, it is no feature
    assert "n满意" not in features("处理结果很满意", ["处理", "结果", "很", "满意"])
    assert [readable(f) for f in ("c不错", "w干净", "b送餐 太慢", "n满意")] == ["不错", "干净", "送餐太慢", "不…满意"]
