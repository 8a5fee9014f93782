"""The word-vector training script: graded posts are recognised and left out, co-occurrence counts pairs within
the window both ways, and the numpy randomised SVD finds a low-rank matrix's singular values."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from training.train_wordvec import Graded, Sparse, cooccurrence, ppmi, truncated_svd, vocabulary


def test_graded_posts_are_left_out_by_title_whole_text_or_body(tmp_path: Path) -> None:
    body = "小区门口的道路坑洼不平已经半年了，下雨天积水严重，老人孩子出行很不方便，请有关部门尽快维修。"
    labels = tmp_path / "labels.jsonl"
    labels.write_text(json.dumps({"text": f"道路坑洼无人修。{body}"}, ensure_ascii=False) + "\n", encoding="utf-8")
    graded = Graded.read(labels)
    assert graded.holds("道路坑洼无人修", "")  # the title alone (titles_7class)
    assert graded.holds("另一个标题", "  " + body.replace("，", " ，"))  # same body, whitespace aside
    assert graded.holds("", "前言。" + body)  # weibo-like: no title, the body ends as theirs
    assert not graded.holds("路灯不亮", "小区路灯坏了很久，晚上出行不便，请物业维修，谢谢大家的关心和帮助。")


def test_cooccurrence_counts_pairs_within_the_window_both_ways() -> None:
    docs = [["甲", "乙", "丙"], ["甲", "乙"]]
    words = vocabulary(docs * 5)
    assert words == ["乙", "甲", "丙"]  # by count, then by word
    rows, cols, counts = cooccurrence(docs, words)
    pairs = {(words[r], words[c]): n for r, c, n in zip(rows, cols, counts, strict=True)}
    assert pairs == {
        ("甲", "乙"): 2,
        ("乙", "甲"): 2,
        ("乙", "丙"): 1,
        ("丙", "乙"): 1,
        ("甲", "丙"): 1,
        ("丙", "甲"): 1,
    }


def test_ppmi_keeps_only_positive_associations() -> None:
    rows, cols = np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1])
    m = ppmi(rows, cols, np.array([100.0, 1.0, 1.0, 100.0]), 2)
    # log(n(w,c) Σ n(c)^α / (n(w) n(c)^α)): the pairs seen once are below chance and dropped
    assert m.by_row[0].tolist() == [0, 1] and m.by_row[1].tolist() == [0, 1]
    assert np.allclose(m.by_row[2], np.log(100 * 2 / 101))


def test_randomised_svd_recovers_a_low_rank_matrix() -> None:
    rng = np.random.default_rng(1)
    dense = rng.standard_normal((40, 3)) @ np.diag([9.0, 5.0, 2.0]) @ rng.standard_normal((3, 40))
    rows, cols = np.nonzero(np.ones_like(dense))
    m = Sparse(rows, cols, dense[rows, cols], 40)
    assert np.allclose(m.dot(np.eye(40)), dense) and np.allclose(m.tdot(np.eye(40)), dense.T)
    _, s = truncated_svd(m, 3)
    assert np.allclose(s, np.linalg.svd(dense, compute_uv=False)[:3], rtol=1e-6)
