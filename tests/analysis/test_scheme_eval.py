"""`yuqing schemes evaluate`: precision and recall per scheme (by the guide's topics) and per level, the misses and
false alarms listed, and a bad graded line named by its line and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analysis.scheme_eval import LabelError, evaluate, read_labels, read_texts
from config import Level, Scheme
from yuqing.cli import main

WAGES = Scheme(id="wages", name="拖欠工资", severity=Level.LARGE, topics=["劳资欠薪"], event=["拖欠工资", "不发工资"])
SMOKE = Scheme(id="smoke", name="环境污染", severity=Level.GENERAL, topics=["环境污染"], event=["油烟", "焚烧垃圾"])
UNTOPICAL = Scheme(id="loans", name="校园贷", event=["校园贷"])


def line(**fields: object) -> str:
    row = {"id": "p1", "level": 2, "type": "投诉", "topics": ["劳资欠薪"], "text": "老板不发工资。三个月了"} | fields
    return json.dumps(row, ensure_ascii=False)


POSTS = [
    line(id="a", text="工地不发工资。三个月没拿到钱", topics=["劳资欠薪"], level=2),  # hit
    line(id="b", text="公司拖欠工资。已经半年", topics=["劳资欠薪"], level=3),  # hit, level too low
    line(id="c", text="包工头跑路了。工钱一分没有", topics=["劳资欠薪"], level=2),  # miss
    line(id="d", text="楼下餐馆油烟。熏得没法开窗", topics=["环境污染"], level=1),  # hit
    line(id="e", text="请问社保怎么转。谢谢", topics=["社会保障"], level=0),  # nothing
    line(id="f", text="讨论不发工资的新闻。大家怎么看", topics=["其他"], level=0),  # false alarm
]


def test_per_scheme_and_per_level_scores_with_misses_and_false_alarms() -> None:
    report = evaluate([WAGES, SMOKE, UNTOPICAL], read_labels(POSTS))
    wages = dict((s.id, score) for s, score in report.schemes)["wages"]
    assert (wages.true_positive, wages.false_positive, wages.false_negative) == (2, 1, 1)
    assert wages.precision == pytest.approx(2 / 3) and wages.recall == pytest.approx(2 / 3)
    assert [m.id for m in wages.misses] == ["c"]
    assert [(f.id, f.words) for f in wages.false_alarms] == [("f", ("不发工资",))]
    loans = dict((s.id, score) for s, score in report.schemes)["loans"]
    assert loans.precision is None and loans.recall is None  # no topics: counted, not scored
    at_least_large = report.levels[1]  # ≥较大: a, b, c graded; a, b, f found
    assert (at_least_large.true_positive, at_least_large.false_positive, at_least_large.false_negative) == (2, 1, 1)
    at_least_major = report.levels[2]  # b is graded 重大, the scheme says 较大
    assert [m.id for m in at_least_major.misses] == ["b"]
    assert report.confusion[3][2] == 1 and report.confusion[0][0] == 1


BAD_LINES = [
    ("not json", "{id: 1", "（整行）", "不是合法的 JSON"),
    ("not an object", "[1, 2]", "（整行）", "JSON 对象"),
    ("nested too deep", "[" * 100_000, "（整行）", "嵌套过深"),
    ("no id", line(id=""), "id", "非空字符串"),
    ("level out of range", line(level=5), "level", "0–4"),
    ("level as text", line(level="重大"), "level", "0–4"),
    ("level as bool", line(level=True), "level", "0–4"),
    ("unknown topic", line(topics=["欠钱"]), "topics", "未知话题「欠钱」"),
    ("topics not a list", line(topics="劳资欠薪"), "topics", "列表"),
    ("unknown type", line(type="吐槽"), "type", "未知类型"),
    ("harmed not bool", line(harmed="是"), "harmed", "true 或 false"),
    ("no text and no texts file", line(text=None), "text", "缺少帖子文本"),
]


@pytest.mark.parametrize(("what", "bad", "field", "words"), BAD_LINES, ids=[c[0] for c in BAD_LINES])
def test_a_bad_line_is_named_by_line_and_field(what: str, bad: str, field: str, words: str) -> None:
    with pytest.raises(LabelError) as caught:
        read_labels([line(id="ok"), "", bad])
    assert (caught.value.line, caught.value.field) == (3, field)
    assert words in str(caught.value) and str(caught.value).startswith("第 3 行，字段 " + field)


def test_a_duplicate_id_is_refused() -> None:
    with pytest.raises(LabelError, match="第 2 行，字段 id：「p1」重复出现"):
        read_labels([line(), line()])


def test_texts_come_from_a_texts_file_by_id() -> None:
    texts = read_texts([json.dumps({"id": "p1", "text": "老板不发工资。  三个月了"}, ensure_ascii=False)])
    [post] = read_labels([json.dumps({"id": "p1", "level": 2, "topics": []})], texts)
    assert (post.title, post.content) == ("老板不发工资", "三个月了")
    with pytest.raises(LabelError, match="文本文件中也没有 id「p2」"):
        read_labels([json.dumps({"id": "p2", "level": 2, "topics": []})], texts)


def test_cli_prints_the_report_and_names_a_bad_line(
    tmp_path: Path, example_config_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    labels = tmp_path / "labels.jsonl"
    labels.write_text("\n".join(POSTS) + "\n", encoding="utf-8")
    code = main(["schemes", "evaluate", "--config", str(example_config_copy), "--labels", str(labels), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["posts"] == 6
    wages = next(s for s in report["schemes"] if s["id"] == "unpaid-wages")
    assert wages["true_positive"] == 2 and [m["id"] for m in wages["misses"]] == ["c"]
    assert main(["schemes", "evaluate", "--config", str(example_config_copy), "--labels", str(labels)]) == 0
    assert "拖欠工资（劳资欠薪）" in capsys.readouterr().out
    labels.write_text(POSTS[0] + "\n" + line(id="x", level=9) + "\n", encoding="utf-8")
    code = main(["schemes", "evaluate", "--config", str(example_config_copy), "--labels", str(labels)])
    assert code == 2
    assert "第 2 行，字段 level" in capsys.readouterr().err


DEV = Path(__file__).resolve().parents[3] / "shared" / "data" / "complaint_severity" / "dev_labels.jsonl"


@pytest.mark.skipif(not DEV.exists(), reason="needs ../shared/data")
def test_example_schemes_catch_how_people_write_on_dev() -> None:
    """The paraphrases of issue 13 are matched, and the graded DEV file reads without an error."""
    from config import load_config

    schemes = load_config(Path(__file__).resolve().parents[2] / "config" / "example").schemes
    report = evaluate(schemes, read_labels(DEV.read_text(encoding="utf-8").splitlines()))
    assert report.posts == 768
    from analysis.schemes import SchemeMatcher

    matcher = SchemeMatcher(schemes)
    for text, scheme in [
        ("公司三个月不发工资", "unpaid-wages"),
        ("村里有人焚烧垃圾", "pollution"),
        ("学校食堂吃完上吐下泻", "school-food-safety"),
        ("局长收礼，要购物卡", "official-misconduct"),
    ]:
        assert scheme in {m.scheme.id for m in matcher.match(title="", content=text)}, text
