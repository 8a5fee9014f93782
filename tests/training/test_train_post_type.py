"""The post type's training script: a model trained on posts written here loads, types them, writes the same
bytes twice, and k-fold models never saw their fold."""

from __future__ import annotations

import json
from pathlib import Path

from analysis import wordvec
from analysis.post_type import FORMAT, FORMAT_1, POOLS, PostTypeModel
from training.train_grader import fold_of, read_labels
from training.train_post_type import examples, fit, fit_sparse, out_of_fold, per_type, wordvec_sha1, write

POSTS = [
    ("咨询", "请问护照在哪里办理？请问在哪里可以办理护照，需要带什么材料？"),
    ("咨询", "社保怎么转移？想咨询一下社保转移需要什么手续？"),
    ("建议", "建议增设公交线路。建议在新区增设一条公交线路，方便居民出行。"),
    ("建议", "希望多建公园。希望政府在城南多建一个公园，方便市民休闲。"),
    ("投诉", "小区物业乱收停车费。我们小区物业强行收取停车费，业主很有意见。"),
    ("投诉", "楼下烧烤噪音扰民。我家楼下烧烤店每晚噪音扰民，孩子无法睡觉。"),
    ("举报", "举报某工厂偷排污水。某工厂老板夜间偷排污水到河里，涉嫌违法。"),
    ("举报", "举报村干部收受贿赂。有人实名举报村干部收受贿赂，违规给亲戚批地。"),
    ("求助", "身患重病家庭困难求助。本人患癌症，家庭贫困，无力负担医药费，恳请救助。"),
    ("求助", "残疾人生活困难求助。我是残疾人，没有收入，生活困难，请求帮帮我。"),
]


def write_labels(path: Path, rows: list[tuple[str, str]]) -> Path:
    lines = [
        json.dumps({"id": f"P-{i}", "level": 1, "type": kind, "text": text}, ensure_ascii=False)
        for i, (kind, text) in enumerate(rows)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_trains_writes_loads_and_types_its_posts(tmp_path: Path) -> None:
    data = examples(read_labels(write_labels(tmp_path / "labels.jsonl", POSTS * 2)))
    model = fit(data, c=16.0)
    out = tmp_path / "types.json.gz"
    write(model, out)
    loaded = PostTypeModel.load(out)
    assert loaded.to_json() == json.loads(json.dumps(model.to_json()))
    assert [ex.classify(loaded).post_type for ex in data[: len(POSTS)]] == [kind for kind, _ in POSTS]
    again = tmp_path / "again.json.gz"
    write(fit(data, c=16.0), again)
    assert again.read_bytes() == out.read_bytes()


def test_out_of_fold_models_never_saw_their_fold(tmp_path: Path) -> None:
    rows = [(kind, f"{text}{i}") for i in range(3) for kind, text in POSTS]
    data = examples(read_labels(write_labels(tmp_path / "labels.jsonl", rows)))
    models = out_of_fold(data, folds=3)
    for k, model in enumerate(models):
        assert model.meta["posts"] == sum(1 for ex in data if fold_of(ex.graded.id, 3) != k)


def test_per_type_precision_and_recall() -> None:
    gold = ["投诉", "投诉", "举报", "咨询"]
    said = ["投诉", "举报", "举报", "投诉"]
    assert per_type(gold, said) == [("投诉", 2, 0.5, 0.5), ("举报", 1, 0.5, 1.0), ("咨询", 1, 0.0, 0.0)]


def test_format_2_carries_pooled_weights_and_format_1_none(tmp_path: Path) -> None:
    data = examples(read_labels(write_labels(tmp_path / "labels.jsonl", POSTS * 2)))
    model = fit(data, c=16.0)
    assert model.format == FORMAT and model.dense is not None
    assert len(model.dense) == len(POOLS) * wordvec.shipped().dim
    assert model.meta["wordvec_sha1"] == wordvec_sha1()
    sparse = fit_sparse(data, c=16.0)
    assert sparse.format == FORMAT_1 and sparse.dense is None
    assert [ex.classify(sparse).post_type for ex in data[: len(POSTS)]] == [kind for kind, _ in POSTS]
