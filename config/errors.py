"""Configuration errors that always name the file and the field."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ConfigIssue:
    file: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.field}" if self.field else self.file
        return f"{where}: {self.message}"


def field_path(loc: tuple[int | str, ...]) -> str:
    """pydantic's error location as a reader writes it: sources[0].list.item."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class ConfigError(Exception):
    """Raised when a configuration directory cannot be loaded; carries every issue found, not just the first."""

    def __init__(self, issues: list[ConfigIssue]) -> None:
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))


class NotConfigured(KeyError):
    """A source, unit or channel id the configuration does not have (a KeyError for callers that look up with a
    fallback; the command line reports this type only, so a bug's KeyError is not mistaken for bad input)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "未配置"


_ZH_BY_TYPE = {
    "missing": "缺少必填字段",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false",
    "string_type": "应为文本",
    "list_type": "应为列表",
    "dict_type": "应为“键: 值”的映射",
    "model_type": "应为“键: 值”的映射",
    "model_attributes_type": "应为“键: 值”的映射",
    "time_parsing": "应为时间，如 08:00",
    "time_type": "应为时间，如 08:00",
    "date_parsing": "应为日期，如 2026-12-01",
    "date_from_datetime_parsing": "应为日期，如 2026-12-01",
    "datetime_parsing": "应为时间，如 2026-12-01T08:00:00+08:00",
    "url_parsing": "应为网址",
    "string_too_short": "不能为空",
    "none_required": "此类信源不用该字段（见 kind）",
}


def zh_message(err: Mapping[str, Any]) -> str:
    """pydantic's error, as a Chinese operator reads it (the English original kept for a value error we wrote)."""
    kind = str(err.get("type", ""))
    ctx = err.get("ctx") or {}
    if kind in _ZH_BY_TYPE:
        return _ZH_BY_TYPE[kind]
    templates = {
        "string_pattern_mismatch": "格式不符（须匹配 {pattern}）",
        "literal_error": "取值无效，可选：{expected}",
        "enum": "取值无效，可选：{expected}",
        "greater_than": "应大于 {gt}",
        "greater_than_equal": "应不小于 {ge}",
        "less_than": "应小于 {lt}",
        "less_than_equal": "应不大于 {le}",
        "too_short": "至少需要 {min_length} 项",
        "too_long": "最多 {max_length} 项",
        "string_too_long": "最长 {max_length} 个字符",
    }
    if kind in templates:
        try:
            return templates[kind].format(**ctx).replace("' or '", "'、'")
        except (KeyError, IndexError):
            pass
    message = str(err.get("msg", "")).removeprefix("Value error, ")
    return message if re.search(r"[\u4e00-\u9fff]", message) else f"取值无效：{message}"
