"""Playbooks: the stages, tasks and clock an incident follows, as YAML validated on load.

A playbook's clock is a list of steps, each due a fixed time after discovery, sent to an audience, and
skipped when its condition is met by then (a reminder is not sent once the report is recorded).
Audiences are the unit's roles (duty_officer, secretary, propaganda, commentator), `superior` (the parent
unit's contacts) and `superiors` (every unit up the chain).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from alerting.incidents.models import PLAYBOOK_STAGES, Stage
from config.errors import ConfigError, ConfigIssue, field_path, zh_message
from config.loader import allowed_fields
from config.models import ClockStepKind, Level, LevelField

Audience = Literal["duty_officer", "secretary", "propaganda", "commentator", "superior", "superiors"]
STAGE_ORDER = tuple(stage.value for stage in PLAYBOOK_STAGES)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ClockStep(_Strict):
    at_minutes: float = Field(ge=0, le=7 * 24 * 60)
    kind: ClockStepKind
    to: list[Audience] = Field(min_length=1)
    unless: Literal["acknowledged", "reported"] | None = None
    call: bool = Field(default=False, description="phone first (voice channels), SMS and IM if the call fails")

    @property
    def key(self) -> str:
        """Names the step inside its incident: one notification per step and recipient."""
        return f"{self.kind}@{self.at_minutes:g}"


class StagePlan(_Strict):
    id: Stage = Field(description="one of the stages before 结案 (alerting.incidents.models.PLAYBOOK_STAGES)")
    role: Audience
    tasks: list[str] = Field(min_length=1)
    deadline_minutes: float = Field(gt=0, description="after discovery")

    @field_validator("id")
    @classmethod
    def _planned(cls, value: Stage) -> Stage:
        if value not in PLAYBOOK_STAGES:
            raise ValueError(f"预案的阶段只能是 {'、'.join(STAGE_ORDER)}（结案不是预案的阶段）")
        return value


class Playbook(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str
    min_level: LevelField
    report_window_minutes: int = Field(ge=1, le=24 * 60)
    clock: list[ClockStep] = Field(min_length=1)
    stages: list[StagePlan] = Field(min_length=1)

    @model_validator(mode="after")
    def _coherent(self) -> Playbook:
        ids = [s.id for s in self.stages]
        if ids != sorted(ids, key=STAGE_ORDER.index) or len(set(ids)) != len(ids):
            raise ValueError(f"stages 须按 {' → '.join(STAGE_ORDER)}（监测 → 研判 → 报送 → 处置）的顺序，各一次")
        if "report" not in ids:
            raise ValueError("预案须有报送阶段（report）")
        if not any(step.kind == "breach" for step in self.clock):
            raise ValueError("clock 须有一个 breach 步骤（报告时限到时记为超时）")
        keys = [step.key for step in self.clock]
        if len(set(keys)) != len(keys):
            raise ValueError("clock 中有两个同类步骤在同一分钟")
        return self


class Playbooks:
    """All playbooks, and the choice for a level: the one with the highest min_level not above it."""

    def __init__(self, playbooks: list[Playbook]) -> None:
        self.by_id = {p.id: p for p in playbooks}
        self.ordered = sorted(playbooks, key=lambda p: p.min_level)

    def for_level(self, level: int) -> Playbook | None:
        chosen = None
        for playbook in self.ordered:
            if playbook.min_level <= level:
                chosen = playbook
        return chosen

    def get(self, playbook_id: str) -> Playbook:
        return self.by_id[playbook_id]


def _zh(err: Any) -> str:
    if err["type"] == "extra_forbidden":
        fields = allowed_fields(Playbook, tuple(err["loc"])[:-1])
        return f"未知字段；此处可用：{', '.join(fields)}" if fields else "未知字段"
    return zh_message(err)


def load_playbooks(directory: Path | None = None) -> Playbooks:
    """Every *.yaml of `directory` (default: the shipped playbooks). Errors name the file and the field."""
    folder = directory or Path(str(resources.files("playbooks")))
    issues: list[ConfigIssue] = []
    found: list[Playbook] = []
    files = sorted(folder.glob("*.yaml"))
    if not files:
        raise ConfigError([ConfigIssue(str(folder), "", "没有找到处置预案（*.yaml）")])
    for path in files:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            issues.append(ConfigIssue(str(path), "", f"不是有效的 YAML：{exc}"))
            continue
        if not isinstance(data, dict) or set(data) != {"playbook"}:
            issues.append(ConfigIssue(str(path), "", "顶层须有且只有一个键 'playbook'"))
            continue
        try:
            found.append(Playbook.model_validate(data["playbook"]))
        except ValidationError as exc:
            issues.extend(
                ConfigIssue(str(path), field_path(("playbook", *err["loc"])), _zh(err)) for err in exc.errors()
            )
    ids = [p.id for p in found]
    for dup in {i for i in ids if ids.count(i) > 1}:
        issues.append(ConfigIssue(str(folder), "playbook.id", f"id {dup!r} 被多个预案文件使用"))
    if issues:
        raise ConfigError(issues)
    return Playbooks(found)


__all__ = ["ClockStep", "Level", "Playbook", "Playbooks", "StagePlan", "load_playbooks"]
