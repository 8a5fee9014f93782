"""The command line speaks Chinese: every command and option has a Chinese help line, argparse's own words
(usage, titles, errors) are Chinese, and a configuration error names the file and field in Chinese."""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from yuqing.cli import build_parser, main

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
