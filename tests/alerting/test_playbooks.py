"""Playbooks load from YAML, are chosen by level, and a bad one is refused naming its file and field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from alerting.playbooks import load_playbooks
from config import ConfigError, Level

SHIPPED = Path(__file__).resolve().parents[2] / "playbooks"


def test_shipped_playbooks() -> None:
    playbooks = load_playbooks()
    assert playbooks.for_level(Level.MAJOR) is playbooks.get("major")
    assert playbooks.for_level(Level.CRITICAL) is playbooks.get("critical")
    assert playbooks.for_level(Level.LARGE) is None
    major = playbooks.get("major")
    assert major.report_window_minutes == 30
    assert [s.id for s in major.stages] == ["monitor", "analyse", "report", "handle"]
    assert {step.key for step in major.clock} >= {"alert@0", "reminder@10", "reminder@20", "reminder@25", "breach@30"}


@pytest.fixture
def playbook_dir(tmp_path: Path) -> Path:
    target = tmp_path / "playbooks"
    target.mkdir()
    shutil.copy(SHIPPED / "major.yaml", target / "major.yaml")
    return target


CASES = [
    ("report_window_minutes: 30", "report_window_minutes: soon", "playbook.report_window_minutes", "应为整数"),
    ("min_level: 重大", "min_level: 很大", "playbook.min_level", "未知的级别"),
    (
        "kind: reminder, to: [duty_officer, secretary], unless: reported}",
        "kind: nag, to: [duty_officer, secretary], unless: reported}",
        "playbook.clock[2].kind",
        "取值无效，可选",
    ),
    (
        "to: [secretary], unless: acknowledged, call: true}",
        "to: [janitor], unless: acknowledged, call: true}",
        "playbook.clock[1].to[0]",
        "取值无效，可选",
    ),
    ("    - {at_minutes: 30, kind: breach", "    - {at_minutes: 30, kind: reminder", "playbook", "breach 步骤"),
    ("    - id: monitor\n", "    - id: report\n", "playbook", "各一次"),
    (
        "  name: 重大舆情应急处置\n",
        "  name: 重大舆情应急处置\n  colour: red\n",
        "playbook.colour",
        "未知字段；此处可用：id, name",
    ),
]


@pytest.mark.parametrize(("old", "new", "field", "words"), CASES)
def test_bad_playbook_is_refused_with_file_and_field(
    playbook_dir: Path, old: str, new: str, field: str, words: str
) -> None:
    path = playbook_dir / "major.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_playbooks(playbook_dir)
    assert any(
        i.file.endswith("major.yaml") and i.field == field and words in i.message for i in caught.value.issues
    ), [str(i) for i in caught.value.issues]


def test_empty_directory_and_duplicate_ids(tmp_path: Path, playbook_dir: Path) -> None:
    with pytest.raises(ConfigError, match="没有找到处置预案"):
        load_playbooks(tmp_path / "nothing-here")
    shutil.copy(playbook_dir / "major.yaml", playbook_dir / "copy.yaml")
    with pytest.raises(ConfigError, match="被多个预案文件使用"):
        load_playbooks(playbook_dir)


def test_stages_and_clock_steps_are_listed_once() -> None:
    import typing

    from alerting.incidents.models import PLAYBOOK_STAGES, Stage
    from alerting.playbooks import STAGE_ORDER, ClockStep
    from config.models import CLOCK_STEP_ZH, ClockStepKind, TemplateKind

    assert STAGE_ORDER == ("monitor", "analyse", "report", "handle") and Stage.CLOSED not in PLAYBOOK_STAGES
    assert [s.following for s in Stage] == [Stage.ANALYSE, Stage.REPORT, Stage.HANDLE, None, None]
    assert all(s.zh for s in Stage)
    assert set(CLOCK_STEP_ZH) == set(typing.get_args(ClockStepKind))
    assert set(typing.get_args(TemplateKind)) == {*typing.get_args(ClockStepKind), "call"}
    assert ClockStep.model_fields["kind"].annotation == ClockStepKind


def test_a_playbook_cannot_plan_the_closed_stage(playbook_dir: Path) -> None:
    path = playbook_dir / "major.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("    - id: handle\n", "    - id: closed\n"), "utf-8")
    with pytest.raises(ConfigError) as caught:
        load_playbooks(playbook_dir)
    assert any(
        i.field.startswith("playbook.stages[") and "结案不是预案的阶段" in i.message for i in caught.value.issues
    )
