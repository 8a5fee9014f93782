"""Load a configuration directory into one validated `Config`, or fail naming every bad file and field."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, get_args

import yaml
from pydantic import BaseModel, ValidationError

from config.errors import ConfigError, ConfigIssue, field_path, zh_message
from config.models import Config
from config.sms import check_channels
from config.sources import SOURCE_KINDS, kind_problems

# Each section lives in its own file named after it; alerting, calendar, analysis and briefings are optional.
SECTION_FILES: dict[str, bool] = {
    "sources": True,
    "schemes": True,
    "units": True,
    "channels": True,
    "alerting": False,
    "calendar": False,
    "analysis": False,
    "briefings": False,
}
_MAPPING_SECTIONS = {"alerting", "analysis", "briefings"}  # the others are lists
# Keys a section's file may hold beside its own: units.yaml says which territory its units govern.
_COMPANIONS: dict[str, set[str]] = {"units": {"territory"}}
_SECRET_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def read_secrets_file(path: Path | None) -> dict[str, str]:
    """KEY=VALUE lines; blank lines and # comments ignored. Values never reach logs."""
    if path is None or not path.exists():
        return {}
    secrets: dict[str, str] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        secrets[key.strip()] = value.strip().strip('"').strip("'")
    return secrets


def _interpolate(
    value: Any,
    *,
    secrets: Mapping[str, str],
    file: str,
    path: str,
    issues: list[ConfigIssue],
    used: dict[str, str] | None = None,
) -> Any:
    """Replace ${NAME} with the environment or the secrets file, naming the field when a name is missing;
    `used` collects the values given, so they can be masked wherever they would be written."""
    if used is None:
        used = {}
    if isinstance(value, str):

        def lookup(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in os.environ:
                used[name] = os.environ[name]
                return os.environ[name]
            if name in secrets:
                used[name] = secrets[name]
                return secrets[name]
            issues.append(ConfigIssue(file, path, f"密钥 ${{{name}}} 未在环境变量或密钥文件中设置"))
            return ""

        return _SECRET_REF.sub(lookup, value)
    if isinstance(value, list):
        return [
            _interpolate(v, secrets=secrets, file=file, path=f"{path}[{i}]", issues=issues, used=used)
            for i, v in enumerate(value)
        ]
    if isinstance(value, dict):
        return {
            k: _interpolate(
                v, secrets=secrets, file=file, path=f"{path}.{k}" if path else str(k), issues=issues, used=used
            )
            for k, v in value.items()
        }
    return value


def _unreadable(exc: yaml.YAMLError | UnicodeDecodeError) -> str:
    """Where the file stops being YAML (PyYAML's wording is English; the line and column are what helps)."""
    if isinstance(exc, UnicodeDecodeError):
        return f"不是 UTF-8 编码的文本（第 {exc.start + 1} 个字节处）"
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is not None:
        return f"不是有效的 YAML：第 {mark.line + 1} 行第 {mark.column + 1} 列附近格式有误（缩进、冒号或引号）"
    return "不是有效的 YAML"


def load_config(config_dir: Path | str, *, secrets_file: Path | None = None) -> Config:
    """Read every section file of `config_dir`, interpolate secrets, validate and cross-check."""
    directory = Path(config_dir)
    issues: list[ConfigIssue] = []
    if not directory.is_dir():
        raise ConfigError([ConfigIssue(str(directory), "", "配置目录不存在")])
    secrets = read_secrets_file(secrets_file or (directory / "secrets.env"))
    data: dict[str, Any] = {}
    origin: dict[str, str] = {}
    used: dict[str, str] = {}
    for section, required in SECTION_FILES.items():
        path = directory / f"{section}.yaml"
        origin[section] = str(path)
        if not path.exists():
            if required:
                issues.append(ConfigIssue(str(path), "", "缺少此文件"))
            continue
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            issues.append(ConfigIssue(str(path), "", _unreadable(exc)))
            continue
        if loaded is None:
            loaded = {section: {} if section in _MAPPING_SECTIONS else []}
        companions = _COMPANIONS.get(section, set())
        if not isinstance(loaded, dict) or section not in loaded or set(loaded) - {section} - companions:
            also = "".join(f"（可另有 '{c}'）" for c in sorted(companions))
            issues.append(ConfigIssue(str(path), "", f"顶层须有且只有一个键 '{section}'{also}"))
            continue
        for key in (section, *sorted(companions & set(loaded))):
            origin[key] = str(path)
            data[key] = _interpolate(loaded[key], secrets=secrets, file=str(path), path=key, issues=issues, used=used)
    if issues:
        raise ConfigError(issues)
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = _untagged(tuple(err["loc"]))
            file = origin.get(str(loc[0]), str(directory)) if loc else str(directory)
            message = zh_message(err)
            if err["type"] == "union_tag_invalid" and loc[:1] == ("sources",):
                loc = (*loc, "kind")
                message = f"取值无效，可选：{'、'.join(repr(k) for k in SOURCE_KINDS)}"
            if err["type"] == "extra_forbidden":
                allowed = allowed_fields(Config, loc[:-1])
                message = f"未知字段；此处可用：{', '.join(allowed)}" if allowed else "未知字段"
            issues.append(ConfigIssue(file, field_path(loc), message))
        raise ConfigError(issues) from None
    issues.extend(_cross_check(config, origin))
    if issues:
        raise ConfigError(issues)
    config._secrets = used
    return config


def _untagged(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """A source's error location without the kind pydantic puts in it (sources[0].html.list → sources[0].list)."""
    if len(loc) > 2 and loc[0] == "sources" and loc[2] in SOURCE_KINDS:
        return loc[:2] + loc[3:]
    return loc


def allowed_fields(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The field names a config model accepts at `loc` (list indexes skipped), as written in YAML."""
    current: Any = model
    for part in loc:
        if isinstance(part, int) or not (isinstance(current, type) and issubclass(current, BaseModel)):
            continue
        field = next((f for n, f in current.model_fields.items() if part in (n, f.alias)), None)
        if field is None:
            return []
        current = _model_in(field.annotation)
    if not (isinstance(current, type) and issubclass(current, BaseModel)):
        return []
    return [f.alias or n for n, f in current.model_fields.items()]


def _model_in(annotation: Any) -> Any:
    """The BaseModel inside `X`, `X | None`, `list[X]`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _duplicates(ids: list[str]) -> set[str]:
    seen: set[str] = set()
    return {i for i in ids if i in seen or seen.add(i)}  # type: ignore[func-returns-value]


def _cross_check(config: Config, origin: dict[str, str]) -> list[ConfigIssue]:
    """References between files: a source's unit, a unit's parent, a duty contact's channels."""
    issues: list[ConfigIssue] = []
    for section in ("sources", "schemes", "units", "channels"):
        items = getattr(config, section)
        for dup in _duplicates([item.id for item in items]):
            issues.append(ConfigIssue(origin[section], f"{section}[].id", f"id {dup!r} 重复使用"))
    unit_ids = {u.id for u in config.units}
    channel_ids = {c.id for c in config.channels}
    for k, channel in enumerate(config.alerting.operations_channels):
        if channel not in channel_ids:
            file = origin.get("alerting", "alerting.yaml")
            issues.append(ConfigIssue(file, f"alerting.operations_channels[{k}]", f"未知的通知渠道 {channel!r}"))
    for i, source in enumerate(config.sources):
        for field, problem in kind_problems(source):
            issues.append(ConfigIssue(origin["sources"], f"sources[{i}].{field}", problem))
        if source.unit is not None and source.unit not in unit_ids:
            issues.append(ConfigIssue(origin["sources"], f"sources[{i}].unit", f"未知的单位 {source.unit!r}"))
    for i, unit in enumerate(config.units):
        if unit.parent is not None and unit.parent not in unit_ids:
            issues.append(ConfigIssue(origin["units"], f"units[{i}].parent", f"未知的单位 {unit.parent!r}"))
        names = {c.name for c in unit.duty}
        for j, shift in enumerate(unit.roster):
            for k, name in enumerate(shift.on_duty):
                if name not in names:
                    issues.append(
                        ConfigIssue(
                            origin["units"],
                            f"units[{i}].roster[{j}].on_duty[{k}]",
                            f"{name!r} 不在该单位的值班联系人中",
                        )
                    )
        for j, contact in enumerate(unit.duty):
            for k, channel in enumerate(contact.channels):
                if channel not in channel_ids:
                    issues.append(
                        ConfigIssue(
                            origin["units"],
                            f"units[{i}].duty[{j}].channels[{k}]",
                            f"未知的通知渠道 {channel!r}",
                        )
                    )
    issues.extend(_check_briefings(config, origin))
    issues.extend(
        check_channels(
            list(config.channels),
            file=origin.get("channels", "channels.yaml"),
            unit_short_names={u.id: u.short for u in config.units},
        )
    )
    return issues


def _check_briefings(config: Config, origin: dict[str, str]) -> list[ConfigIssue]:
    """A briefing audience names a known unit, and roles that unit has a duty contact for."""
    issues: list[ConfigIssue] = []
    units = {u.id: u for u in config.units}
    for i, audience in enumerate(config.briefings.send):
        unit = units.get(audience.unit)
        if unit is None:
            issues.append(
                ConfigIssue(origin["briefings"], f"briefings.send[{i}].unit", f"未知的单位 {audience.unit!r}")
            )
            continue
        roles = {c.role for c in unit.duty}
        for j, role in enumerate(audience.roles):
            if role not in roles:
                issues.append(
                    ConfigIssue(
                        origin["briefings"],
                        f"briefings.send[{i}].roles[{j}]",
                        f"单位 {unit.id!r}（{unit.name}）没有角色为 {role!r} 的值班联系人",
                    )
                )
    return issues
