"""The grader's training script: graded posts read in the guide's format (a bad line names the line and the
field), a model trained on posts written here that loads and grades them, deterministic bytes, k-fold graders
that never saw their fold, and the shared DEV labels when present."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analysis.grader import Grader
from training.train_grader import (
    LabelError,
    examples,
    fit,
    fold_of,
    grade_example,
    out_of_fold,
    read_labels,
    write,
)

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "complaint_severity" / "dev_labels.jsonl"

POSTS = [
    (0, "咨询", "请问护照在哪里办理。请问在哪里可以办理护照，需要带什么材料？"),
    (0, "咨询", "请问社保怎么转移。想咨询一下社保转移需要什么手续？"),
    (0, "建议", "建议增设公交线路。建议在新区增设一条公交线路，方便居民出行。"),
    (0, "建议", "建议多建公园。希望政府在城南多建一个公园，方便市民休闲。"),
    (1, "投诉", "小区路灯不亮。小区路灯坏了很久，晚上出行不便，请物业维修。"),
    (1, "投诉", "道路坑洼不平。门口道路坑洼，下雨积水，请有关部门修一修。"),
    (2, "投诉", "学校乱收费。学校强制收取资料费，不交不让上课，家长很有意见。"),
    (2, "投诉", "工地拖欠工资。工地老板拖欠我们几个人的工资三个月了。"),
    (3, "举报", "学生被打受伤住院。我孩子在学校被同学殴打受伤，已经住院，学校不管。"),
    (3, "投诉", "食堂多名学生中毒。学校食堂午餐后多名学生呕吐腹泻，疑似食物中毒送医。"),
]


def write_labels(path: Path, rows: list[tuple[int, str, str]]) -> Path:
    lines = [
        json.dumps({"id": f"T-{i}", "level": level, "type": kind, "text": text}, ensure_ascii=False)
        for i, (level, kind, text) in enumerate(rows)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_trains_writes_loads_and_grades_its_posts(tmp_path: Path) -> None:
    data = examples(read_labels(write_labels(tmp_path / "labels.jsonl", POSTS * 2)))
    grader = fit(data, level_c=16.0)
    out = tmp_path / "grader.json.gz"
    write(grader, out)
    loaded = Grader.load(out)
    assert loaded.to_json() == json.loads(json.dumps(grader.to_json()))
    grades = [grade_example(loaded, ex) for ex in data[: len(POSTS)]]
    for (level, _, _), grade in zip(POSTS, grades, strict=True):
        assert (grade.at_least[0] >= 0.5) == (level >= 1)
        assert (grade.at_least[2] >= 0.5) == (level >= 3)
    again = tmp_path / "again.json.gz"
    write(fit(data, level_c=16.0), again)
    assert again.read_bytes() == out.read_bytes()


def test_out_of_fold_graders_never_saw_their_fold(tmp_path: Path) -> None:
    rows = [(level, kind, f"{text}{i}") for i in range(3) for level, kind, text in POSTS]
    data = examples(read_labels(write_labels(tmp_path / "labels.jsonl", rows)))
    graders = out_of_fold(data, folds=3)
    for k, grader in enumerate(graders):
        assert grader.meta["posts"] == sum(1 for ex in data if fold_of(ex.graded.id, 3) != k)


BAD = [
    ("not json", "line 2: not JSON"),
    ('{"id": "x", "level": 5, "type": "投诉", "text": "t"}', "line 2: field 'level' must be 0–4"),
    ('{"id": "x", "level": 1, "type": "吐槽", "text": "t"}', "line 2: field 'type' must be one of"),
    ('{"id": "x", "level": "2", "type": "投诉", "text": "t"}', "line 2: field 'level' missing or not a int"),
    ('{"id": "x", "level": 1, "type": "投诉"}', "line 2: field 'text' missing"),
    ("[1, 2]", "line 2: not a JSON object"),
]


@pytest.mark.parametrize(("line", "message"), BAD, ids=[b[0][:12] for b in BAD])
def test_a_bad_line_names_the_line_and_field(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "labels.jsonl"
    path.write_text('{"id": "ok", "level": 1, "type": "投诉", "text": "好"}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(LabelError, match=message.replace("(", r"\(")) as caught:
        read_labels(path)
    assert str(path) in str(caught.value)


def test_reads_the_shared_dev_labels() -> None:
    if not SHARED.exists():
        pytest.skip(f"{SHARED} is absent")
    rows = read_labels(SHARED)
    assert len(rows) == 768 and {r.level for r in rows} == {0, 1, 2, 3, 4}
    assert len({r.id for r in rows}) == len(rows)


def test_dense_scale_zero_trains_a_format_1_model_without_vectors(tmp_path: Path) -> None:
    data = examples(read_labels(write_labels(tmp_path / "labels.jsonl", POSTS * 2)))
    plain, with_vectors = fit(data, dense_scale=0.0), fit(data)
    assert plain.dense is None and plain.to_json()["format"] == "yuqing-grader-linear/1"
    assert with_vectors.dense is not None and with_vectors.to_json()["format"] == "yuqing-grader-linear/2"
    assert with_vectors.meta["dense_scale"] == 2.0
