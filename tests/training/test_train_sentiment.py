"""The training script on a tiny corpus written here (trains, writes a model that loads, deterministic), and its
reading of the shared DEV corpora when they are present."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.sentiment_model import SentimentModel
from training.train_sentiment import (
    Example,
    Featurizer,
    fold_of,
    held_out_sets,
    read_corpora,
    train,
    training_set,
    write,
)

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
POSITIVE = ["很好吃，很满意", "服务很好，满意", "环境干净，很好", "送餐很快，满意", "味道很好，干净", "非常满意，推荐"]
NEGATIVE = ["太难吃了，失望", "服务很差，失望", "环境很脏，很差", "送餐太慢，难吃", "味道很差，很脏", "很失望，不推荐"]


def test_trains_writes_loads_and_classifies_its_training_sentences(tmp_path: Path) -> None:
    texts = POSITIVE + NEGATIVE
    labels = [1] * len(POSITIVE) + [0] * len(NEGATIVE)
    model = train(texts, labels, Featurizer(), c=10.0)
    out = tmp_path / "model.json.gz"
    write(model, out)
    loaded = SentimentModel.load(out)
    assert loaded.weights == model.weights and loaded.bias == model.bias
    assert [loaded.score(t).score > 0 for t in texts] == [y == 1 for y in labels]
    assert loaded.score("很好吃，很满意").label == "positive"
    assert loaded.score("太难吃了，失望").label == "negative"
    again = tmp_path / "again.json.gz"
    write(train(texts, labels, Featurizer(), c=10.0), again)
    assert again.read_bytes() == out.read_bytes()  # same data, same bytes


def test_folds_follow_the_text_and_duplicates_take_the_majority_label() -> None:
    assert fold_of("同一句话", 5) == fold_of("同一句话  ", 5)
    examples = [Example("a", "好", 1), Example("b", "好", 1), Example("c", "好", 0), Example("a", "差", 0)]
    assert training_set(examples) == (["好", "差"], [1, 0]) or training_set(examples) == (["差", "好"], [0, 1])
    weibo = training_set([Example("weibo", "开心[哈哈]", 1), Example("weibo", "[哈哈]", 1)])
    assert weibo == (["开心"], [1])  # trained without the emoticons that made the labels


def test_held_out_weibo_is_scored_as_is_and_without_emoticons() -> None:
    text = next(t for t in (f"今天{i}[哈哈]" for i in range(100)) if fold_of(t, 5) == 0)
    held = held_out_sets([Example("weibo", text, 1)], 0, 5)
    assert [e.text for e in held["weibo"]] == [text]
    assert [e.text for e in held["weibo, emoticons stripped"]] == [text.replace("[哈哈]", "").strip()]


def test_reads_the_shared_dev_corpora() -> None:
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is absent")
    counts: dict[str, int] = {}
    for e in read_corpora(SHARED):
        counts[e.corpus] = counts.get(e.corpus, 0) + 1
        assert e.label in (0, 1) and e.text == e.text.strip() and e.text
    # DEV row counts from each folder's SOURCE.md; COVID weibo: distinct texts with a polarity
    assert counts["hotel"] == 5428 and counts["waimai"] == 8363 and counts["shopping"] == 20_000
    assert counts["chnsenticorp"] == 8346 and counts["weibo"] == 1679
    assert 6000 < counts.get("covid-weibo", 0) < 7713
