"""The shipped grader: loads without scikit-learn, grades what a duty officer would raise above what they would
answer, types questions and reports, shows whole-word evidence, and refuses a file that is not its format; format
2 adds the mean word vectors (never evidence) and format 1 files still load."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from analysis import wordvec
from analysis.facts import find_facts
from analysis.grader import Grade, Grader, dense_features, title_of
from analysis.modelfile import write_model
from store.tokens import segment


def grade(text: str) -> Grade:
    words = segment(f"\n{text}")
    return Grader.default().grade(segment(title_of("", text)), words, find_facts(words))


def test_runs_without_scikit_learn() -> None:
    Grader.default()
    import analysis.grader as module

    assert "sklearn" not in Path(module.__file__).read_text(encoding="utf-8")


def test_harm_to_children_outranks_a_question() -> None:
    beaten = grade("学生在校被多名同学殴打受伤住院。我孩子昨天在学校被几个同学围殴，头部受伤，现在住院，学校一直推诿。")
    question = grade("请问护照在哪里办理。请问在哪里可以办理护照，需要带什么材料？")
    assert beaten.at_least[2] > question.at_least[2] and beaten.at_least[1] > question.at_least[1]
    assert question.post_type == "咨询"
    assert question.at_least[1] < 0.5
    # How likely the writer is asking, suggesting or thanking (the risk's `calm` threshold reads it).
    assert question.calm > 0.5 > beaten.calm


def test_evidence_is_whole_words_and_facts() -> None:
    text = "学校食堂饭菜变质。我们学校食堂的午餐经常有变质的肉，好几个学生吃完呕吐腹泻。"
    words = set(segment(text))
    names = {h.zh for h in find_facts(segment(text))}
    result = grade(text)
    assert result.evidence
    assert all(shown in words or shown in names for shown, _ in result.evidence), result.evidence
    assert all(shown != "生吃" for shown, _ in result.evidence)


def test_thanks_in_the_title_is_praise() -> None:
    assert grade("感谢镇政府及时修好路灯。路灯坏了，镇政府第二天就修好了。").post_type == "表扬"


def test_refuses_another_format(tmp_path: Path) -> None:
    path = tmp_path / "x.json.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        json.dump({"format": "something-else", "weights": {}}, f)
    with pytest.raises(ValueError, match="not a yuqing-grader"):
        Grader.load(path)


def test_shipped_grader_is_format_2_fitted_against_the_shipped_word_vectors() -> None:
    grader = Grader.default()
    assert grader.to_json()["format"] == "yuqing-grader-linear/2"
    assert grader.dense is not None and len(grader.dense) == 2 * wordvec.shipped().dim
    table = Path(wordvec.__file__).parent / "data" / "wordvec.bin.gz"
    assert grader.meta["wordvec_sha1"] == hashlib.sha1(table.read_bytes()).hexdigest()


def test_format_1_still_loads_and_grades_without_vectors(tmp_path: Path) -> None:
    grader = Grader.default()
    level = {"weights": grader.level_weights, "bias": grader.level_bias}
    old: dict[str, object] = {"format": "yuqing-grader-linear/1", "level": level}
    path = tmp_path / "old.json.gz"
    write_model(old, path)
    loaded = Grader.load(path)
    assert loaded.dense is None and loaded.to_json()["format"] == "yuqing-grader-linear/1"
    text = "学生在校被多名同学殴打受伤住院。我孩子昨天在学校被几个同学围殴，头部受伤，现在住院。"
    words = segment(f"\n{text}")
    title = segment(title_of("", text))
    old_grade = loaded.grade(title, words, find_facts(words))
    new_grade = Grader.default().grade(title, words, find_facts(words))
    # Same sparse weights: the vectors change the probabilities, never the evidence.
    assert old_grade.evidence == new_grade.evidence and old_grade.known == new_grade.known
    assert old_grade.at_least != new_grade.at_least


def test_dense_part_moves_the_grade_by_the_mean_vectors() -> None:
    words = segment("\n小区噪音扰民")
    features = dense_features(words[:2], words)
    assert features.shape == (2 * wordvec.shipped().dim,)
    assert np.allclose(features[: wordvec.shipped().dim], wordvec.mean(words[:2]))
    assert not dense_features([], ["不存在的词语甲乙丙"]).any()


def test_dense_weights_of_the_wrong_size_are_refused() -> None:
    with pytest.raises(ValueError, match="dense weights"):
        Grader({}, [0.0, 0.0, 0.0], dense=[[0.0, 0.0, 0.0]])
