"""Sentiment accuracy beside SnowNLP, and texts/s on one core including jieba tokenisation.

    python bench/sentiment.py [--data ../shared/data] [--limit 300]

Fair comparison: the shipped model has seen every DEV text, so the accuracy here comes from a model trained in
this process by the training script's own functions on folds 1-4 and tested on fold 0 (folds by hash of the
text, exactly as the model card's cross-validation; one fold of it, so expect figures within about a point of the
card's 5-fold means). SnowNLP (its bundled model, `SnowNLP(text).sentiments > 0.5` = positive) is slow, so it
is scored on the first --limit fold-0 texts of each corpus, and ours is shown on the same texts beside it.

Speed: the SHIPPED model, `score(text)` one text at a time (jieba segmentation included, jieba warmed up
first), in one process on real fold-0 review texts: hotel (long), waimai (short), shopping, and the three together
as they come (up to 4,000 texts each); jieba alone beside it, as the floor. SnowNLP on --limit shopping texts.
Caution: SnowNLP's bundled sentiment model was trained on product reviews, possibly including these very texts.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from runinfo import bench_run  # bench/ is on sys.path when a bench script runs
from snownlp import SnowNLP

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from analysis.sentiment_model import SentimentModel  # noqa: E402
from store.tokens import segment  # noqa: E402
from training.train_sentiment import (  # noqa: E402
    Example,
    Featurizer,
    evaluate,
    fold_of,
    held_out_sets,
    read_corpora,
    train,
    training_set,
)


def snownlp_accuracy(examples: list[Example]) -> float:
    right = sum((SnowNLP(e.text).sentiments > 0.5) == (e.label == 1) for e in examples)
    return right / len(examples)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--limit", type=int, default=300, help="fold-0 texts per corpus for SnowNLP")
    args = parser.parse_args()

    examples = read_corpora(args.data)
    started = time.perf_counter()
    featurize = Featurizer()
    texts, labels = training_set(e for e in examples if fold_of(e.text, 5) != 0)
    model = train(texts, labels, featurize)
    print(f"trained on folds 1-4 ({len(texts):,} distinct texts) in {time.perf_counter() - started:.0f} s\n")

    head = f"{'corpus, fold 0 (never trained on)':<34} {'texts':>6} {'Yuqing':>7}"
    print(f"{head} | {'first N':>7} {'Yuqing':>7} {'SnowNLP':>8}")
    for name, held in held_out_sets(examples, 0, 5).items():
        ours, _ = evaluate(model, held, featurize)
        sample = held[: args.limit]
        ours_sample, _ = evaluate(model, sample, featurize)
        snow = snownlp_accuracy(sample)
        print(f"{name:<34} {len(held):>6} {ours:>7.3f} | {len(sample):>7} {ours_sample:>7.3f} {snow:>8.3f}", flush=True)

    shipped = SentimentModel.default()
    segment("预热结巴分词")
    for name in ("hotel", "waimai", "shopping", "all three"):
        names = ("hotel", "waimai", "shopping") if name == "all three" else (name,)
        texts = [e.text for e in examples if e.corpus in names and fold_of(e.text, 5) == 0][:4000]
        for text in texts[:50]:
            shipped.score(text)
        started, cpu = time.perf_counter(), time.process_time()
        for text in texts:
            shipped.score(text)
        ours_rate = len(texts) / (time.perf_counter() - started)
        ours_cpu = len(texts) / (time.process_time() - cpu)
        started, cpu = time.perf_counter(), time.process_time()
        for text in texts:
            segment(text)
        jieba_rate = len(texts) / (time.perf_counter() - started)
        jieba_cpu = len(texts) / (time.process_time() - cpu)
        average = sum(len(t) for t in texts) / len(texts)
        print(
            f"{'texts/s (/CPU s)' if name == 'hotel' else '':<20} {name:<10} {len(texts):>5} texts of "
            f"{average:>3.0f} chars: Yuqing score() incl. jieba {ours_rate:>6,.0f} ({ours_cpu:,.0f})"
            f"   jieba segment() alone {jieba_rate:>6,.0f} ({jieba_cpu:,.0f})"
        )
    snow_texts = [e.text for e in examples if e.corpus == "shopping" and fold_of(e.text, 5) == 0][: args.limit]
    started, cpu = time.perf_counter(), time.process_time()
    for text in snow_texts:
        _ = SnowNLP(text).sentiments
    snow_rate = len(snow_texts) / (time.perf_counter() - started)
    snow_cpu = len(snow_texts) / (time.process_time() - cpu)
    print(f"{'':<20} SnowNLP on {len(snow_texts)} shopping texts: {snow_rate:,.0f} ({snow_cpu:,.0f})")


if __name__ == "__main__":
    with bench_run("sentiment"):
        main()
