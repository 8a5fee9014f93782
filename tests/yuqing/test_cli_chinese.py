"""The command line speaks Chinese: every command and option has a Chinese help line, argparse's own words
(usage, titles, errors) are Chinese, and a configuration error names the file and field in Chinese."""

from __future__ import annotations

import argparse
import re
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from yuqing.cli import build_parser, main
from yuqing.demo.board import SampleBoard

CJK = re.compile(r"[\u4e00-\u9fff]")
REPO = Path(__file__).resolve().parents[2]


def parsers(parser: argparse.ArgumentParser, path: str = "yuqing") -> Iterator[tuple[str, argparse.ArgumentParser]]:
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from parsers(child, f"{path} {name}")


def test_every_command_and_option_has_chinese_help() -> None:
    missing: list[str] = []
    for path, parser in parsers(build_parser()):
        for action in parser._actions:
            if action.help == argparse.SUPPRESS:
                continue
            if isinstance(action, argparse._SubParsersAction):
                for choice in action._choices_actions:
                    if not CJK.search(choice.help or ""):
                        missing.append(f"{path} {choice.dest}")
                continue
            if not CJK.search(action.help or ""):
                missing.append(f"{path} {'/'.join(action.option_strings) or action.dest}")
    assert missing == []


def test_help_and_usage_are_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["briefing", "--help"])
    out = capsys.readouterr().out
    assert out.startswith("用法：") and "选项:" in out and "显示本帮助并退出" in out  # argparse adds the colon
    assert not re.search(r"\b(usage|options|positional arguments|show this help)\b", out)


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["briefing", "daily"], "缺少参数：--out"),
        (["briefing", "monthly", "--out", "x.pdf"], "参数 kind 的取值 'monthly' 无效，可选："),
        (["crawl-queue", "--recent", "many"], "参数 --recent 的值 'many' 无效"),
        (["no-such-command"], "参数 命令 的取值 'no-such-command' 无效"),
    ],
)
def test_argument_errors_are_chinese(argv: list[str], said: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "错误：" in err and said in err, err


def test_check_config_in_chinese(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-config", "--config", str(REPO / "config" / "example")]) == 0
    assert "配置无误" in capsys.readouterr().out
    broken = tmp_path / "config"
    broken.mkdir()
    for path in (REPO / "config" / "example").glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        if path.name == "sources.yaml":
            text = text.replace("unit: county", "unit: nowhere", 1)
        (broken / path.name).write_text(text, encoding="utf-8")
    assert main(["check-config", "--config", str(broken)]) == 2
    err = capsys.readouterr().err
    assert "配置有误：" in err and "sources.yaml: sources[0].unit: 未知的单位 'nowhere'" in err


def test_an_unknown_id_is_one_chinese_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "page.html"
    page.write_text("<html></html>", encoding="utf-8")
    argv = ["source", "try", "no-such-source", "--config", str(REPO / "config" / "example"), "--file", str(page)]
    assert main(argv) == 2
    assert capsys.readouterr().err.strip() == "错误：配置中没有信源 'no-such-source'"


def test_a_bugs_key_error_is_not_reported_as_bad_input(monkeypatch: pytest.MonkeyPatch) -> None:
    # A forgotten kind→thing map used to print `错误：xml`; only the configuration's own lookups are bad input.
    import yuqing.cli as cli

    def broken(args: argparse.Namespace) -> int:
        return {"html": 1}["xml"]

    monkeypatch.setattr(cli, "cmd_check_config", broken)
    with pytest.raises(KeyError, match="xml"):
        main(["check-config", "--config", str(REPO / "config" / "example")])


def _copy_example(target: Path) -> Path:
    target.mkdir()
    for path in (REPO / "config" / "example").glob("*.yaml"):
        (target / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    return target


def test_check_config_refuses_a_channel_typo_naming_file_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _copy_example(tmp_path / "config")
    channels = config / "channels.yaml"
    text = channels.read_text(encoding="utf-8")
    channels.write_text(
        text.replace('"json://127.0.0.1:8600/demo/inbox/propaganda"', '"dingtak://0123456789abcdef/"', 1),
        encoding="utf-8",
    )
    assert main(["check-config", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert f"{channels}: channels[1].url: 未知的渠道类型 dingtak://" in err, err


def test_check_config_refuses_a_broken_playbook_naming_file_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    playbooks = tmp_path / "playbooks"
    playbooks.mkdir()
    shipped = (REPO / "playbooks" / "major.yaml").read_text(encoding="utf-8")
    broken = playbooks / "major.yaml"
    broken.write_text(shipped.replace("report_window_minutes: 30", "report_window_minutes: soon", 1), encoding="utf-8")
    monkeypatch.setenv("YUQING_PLAYBOOKS_DIR", str(playbooks))
    assert main(["check-config", "--config", str(REPO / "config" / "example")]) == 2
    err = capsys.readouterr().err
    assert f"{broken}: playbook.report_window_minutes: 应为整数" in err, err


def test_check_config_counts_the_playbooks(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-config", "--config", str(REPO / "config" / "example")]) == 0
    assert "处置预案 2 个" in capsys.readouterr().out


def _broken_config(tmp_path: Path) -> Path:
    """The example configuration with the mistakes operators make: an unknown key, a word where a number goes,
    a bad time zone, a regular expression and a selector that do not compile, a missing section, an unknown
    level, a scheme without enough word groups for its proximity, dates and thresholds in the wrong order."""
    broken = tmp_path / "broken"
    shutil.copytree(REPO / "config" / "example", broken)
    sources = yaml.safe_load((broken / "sources.yaml").read_text(encoding="utf-8"))
    first, second = sources["sources"][0], sources["sources"][1]
    first.update(colour="red", interval_seconds="often", timezone="Mars/Base", post_id_pattern="(\\d+")
    first["list"]["item"] = "li.post-item[["
    second["encoding"] = "gbkk"
    del second["name"]
    (broken / "sources.yaml").write_text(yaml.safe_dump(sources, allow_unicode=True), encoding="utf-8")
    schemes = yaml.safe_load((broken / "schemes.yaml").read_text(encoding="utf-8"))
    schemes["schemes"][0]["severity"] = "huge"
    schemes["schemes"][1].update(proximity=5, region=[], subject=[], query="(学校 OR")
    (broken / "schemes.yaml").write_text(yaml.safe_dump(schemes, allow_unicode=True), encoding="utf-8")
    (broken / "calendar.yaml").write_text("calendar:\n  - {name: x, start: 2027-03-15, end: 2027-03-03}\n")
    (broken / "analysis.yaml").write_text("analysis:\n  risk: {general: 50, large: 40}\n", encoding="utf-8")
    return broken


def test_check_config_on_a_broken_configuration_has_no_english(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], english_in: Any
) -> None:
    broken = _broken_config(tmp_path)
    assert main(["check-config", "--config", str(broken)]) == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines[0] == "配置有误：" and len(lines) >= 10, err
    for said in (
        "sources[0].colour: 未知字段",
        "sources[0].interval_seconds: 应为整数",
        "sources[0].timezone: 未知的时区 'Mars/Base'",
        "sources[0].post_id_pattern: 不是有效的正则表达式",
        "sources[0].list.item: 不是有效的 CSS 选择器（第 14 个字符附近有误）",
        "sources[1].name: 缺少必填字段",
        "sources[1].encoding: 未知的编码 'gbkk'",
        "schemes[0].severity: 未知的级别 'huge'",
        "calendar.yaml: calendar[0]: 结束日期（end）早于开始日期（start）",
        "analysis.risk: 阈值须逐级升高",
    ):
        assert said in err, (said, err)
    # Each line is `file: field: message`; the field is where the operator's own key is (colour), the rest is ours.
    messages = [line.split(": ")[-1] for line in lines[1:]]
    assert english_in("\n".join(messages)) == [], err
    (broken / "alerting.yaml").write_text("alerting:\n  incident_level: [\n", encoding="utf-8")
    assert main(["check-config", "--config", str(broken)]) == 2
    err = capsys.readouterr().err
    assert "alerting.yaml: 不是有效的 YAML：第 3 行第 1 列附近" in err and english_in(err) == [], err


def test_source_try_on_a_refused_or_unknown_address_has_no_english(
    capsys: pytest.CaptureFixture[str], english_in: Any
) -> None:
    with socket.socket() as s:  # a port nobody listens on: the board is down
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = str(REPO / "config" / "example")
    assert main(["source", "try", "demo-baixing", "--config", config, "--url", f"http://127.0.0.1:{port}/list"]) == 1
    refused = capsys.readouterr().err
    assert "网站拒绝连接" in refused and english_in(refused) == [], refused
    board = SampleBoard.with_seed()
    url = board.start(port=0)
    try:
        for path, said in (("/admin/secret", "robots.txt 不允许抓取"), ("/no-such-page", "HTTP 404（页面不存在）")):
            assert main(["source", "try", "demo-baixing", "--config", config, "--url", f"{url}{path}"]) == 1
            err = capsys.readouterr().err
            assert said in err and english_in(err) == [], err
    finally:
        board.stop()
