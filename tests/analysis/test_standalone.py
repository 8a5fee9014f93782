"""`yuqing analyse`: the JSON contract scripts and evaluations rely on, events among the input lines, and
texts that are refused with a reason instead of stopping the run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from analysis.standalone import MAX_INPUT_CHARS, analyse_texts, json_lines
from config import load_config
from store.mentions import Analysis

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "example"
STORY = "城关一中食堂饭菜变质，好几个学生吃完呕吐腹泻，学校一直不回应，希望教育局管管。"
REPOST = "转发：城关一中食堂饭菜变质!!好几个学生吃完呕吐腹泻,学校一直不回应。希望县教育局管一管"
KEYS = {"line", "text", "tokens", "sentiment", "sentiment_label", "flags", "unit", "event", "level", "level_zh"}
KEYS |= {"post_type", "facts"}


def test_contract_and_events_among_lines() -> None:
    first, second, other = analyse_texts(load_config(EXAMPLE), [STORY, REPOST, "今天天气很好，适合出门散步。"])
    assert KEYS | {"explanation"} <= set(first)
    assert first["flags"][0]["scheme"] == "school-food-safety" and "变质" in first["flags"][0]["words"]
    assert first["unit"] == "school-no1" and first["level"] == 3 and first["level_zh"] == "重大"
    assert -1.0 <= first["sentiment"] <= 1.0 and first["sentiment_label"] == "negative"
    assert second["event"]["id"] == first["event"]["id"] and second["event"]["copies"] == 2
    assert other["event"]["id"] != first["event"]["id"] and other["level"] == 0 and other["flags"] == []
    assert any(line.startswith("风险：") for line in first["explanation"])
    # What happened and to whom, each fact with the whole words that showed it.
    facts = {f["fact"]: f for f in first["facts"]}
    assert "呕吐" in facts["illness"]["words"] and "学生" in facts["minors"]["words"]
    assert facts["illness"]["name"] == "中毒或致病"
    assert first["post_type"] == "投诉"
    # The facts are shown once, in the risk line that leads the explanation.
    assert "依据事实：" in first["explanation"][0] and "中毒或致病（呕吐" in first["explanation"][0]
    assert not any(line.startswith("事实：") for line in first["explanation"])


def test_refused_texts_say_why_and_the_rest_go_on() -> None:
    results = list(analyse_texts(load_config(EXAMPLE), ["", "x" * (MAX_INPUT_CHARS + 1), "😀😀😀", STORY]))
    assert results[0]["rejected"] == "空文本"
    assert "过长" in results[1]["rejected"]
    assert results[2]["level"] == 0 and results[2]["sentiment_label"] == "neutral"
    assert results[3]["level"] == 3


def test_json_lines_are_json_dumps_of_each_result() -> None:
    """The command's lines (one encoder for the run) are the text json.dumps(..., ensure_ascii=False) gives each
    result: refused lines, quotes, backslashes and control characters included."""
    texts = ["", STORY, REPOST, '他说"学校不管"\\还\t删帖', "x" * (MAX_INPUT_CHARS + 1), "\x00\x1f 😀 \u2028"]
    texts += ['食堂, "tokens": [], "explanation": [] 饭菜变质']  # what the line's string lists are put in at
    config = load_config(EXAMPLE)
    expected = [json.dumps(result, ensure_ascii=False) for result in analyse_texts(config, texts)]
    assert list(json_lines(config, texts)) == expected
    assert json.loads(expected[3])["text"] == texts[3]


def test_cli_json_lines_from_stdin() -> None:
    stdin = f"{STORY}\n{REPOST}\n".encode() + b"\xff\xfe garbage \x00\n"
    done = subprocess.run(
        [sys.executable, "-m", "yuqing", "analyse", "--json", "--config", str(EXAMPLE)],
        input=stdin,
        capture_output=True,
        timeout=120,
        check=True,
    )
    lines = [json.loads(line) for line in done.stdout.decode("utf-8").splitlines()]
    assert len(lines) == 3
    assert lines[1]["event"]["copies"] == 2
    assert "\ufffd" in lines[2]["text"] and lines[2]["level"] == 0  # undecodable bytes are replaced, not fatal


def test_cli_reanalyse_analyses_stored_mentions_again(tmp_path: Path) -> None:
    from store.mentions import NewMention
    from store.mentions.sqlite import SqliteMentionStore

    store = SqliteMentionStore(tmp_path / "mentions.sqlite3")
    store.upsert_many([NewMention(source="s", post_id="1", url="http://x/1", title="", content=STORY)])
    store.save_analysis([(m.id, _neutral()) for m in store.pending_analysis(10)])
    before = store.get("s:1")
    assert before is not None and before.analysis is not None and before.analysis.level == 0
    command = ["reanalyse", "--now", "--days", "1", "--config", str(EXAMPLE), "--data", str(tmp_path)]
    done = subprocess.run(
        [sys.executable, "-m", "yuqing", *command],
        capture_output=True,
        timeout=120,
        check=True,
        text=True,
    )
    assert "的 1 篇帖子排入重新分析" in done.stdout and "已重新分析 1 篇帖子" in done.stdout
    after = store.get("s:1")
    assert after is not None and after.analysis is not None
    assert after.analysis.level == 3 and after.analysis_seq != before.analysis_seq  # the schemes apply now
    store.close()


def _neutral() -> Analysis:
    return Analysis(tokens=[], sentiment=0.0, sentiment_label="neutral", flags=[], level=0, unit=None, explanation=[])


def test_a_repeated_complaint_names_its_place_whole() -> None:
    # The story key compares places by a three-character stem (关第一); the line users read names the place as the
    # post wrote it.
    _, second = analyse_texts(
        load_config(EXAMPLE),
        ["城关第一中学教学楼墙体大面积开裂，整栋楼岌岌可危", "城关第一中学要排查校舍裂缝隐患"],
    )
    line = next(line for line in second["explanation"] if line.startswith("同一事件"))
    assert "同一对象「城关第一中学」、同一诉求「开裂」" in line and "「关第一」" not in line
