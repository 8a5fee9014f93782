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
    "string_sub_type": "应为文本",
    "string_unicode": "应为文本",
    "bytes_type": "应为文本",
    "tuple_type": "应为列表",
    "set_type": "应为列表",
    "frozen_set_type": "应为列表",
    "iterable_type": "应为列表",
    "datetime_type": "应为时间，如 2026-12-01T08:00:00+08:00",
    "datetime_from_date_parsing": "应为时间，如 2026-12-01T08:00:00+08:00",
    "datetime_object_invalid": "应为时间，如 2026-12-01T08:00:00+08:00",
    "date_type": "应为日期，如 2026-12-01",
    "timezone_aware": "时间须带时区，如 2026-12-01T08:00:00+08:00",
    "timezone_naive": "时间不应带时区",
    "time_delta_type": "应为时长（秒数）",
    "time_delta_parsing": "应为时长（秒数）",
    "finite_number": "应为有限的数字",
    "int_parsing_size": "数字过大",
    "decimal_parsing": "应为数字",
    "decimal_type": "应为数字",
    "url_type": "应为网址",
    "url_scheme": "网址须以 http:// 或 https:// 开头",
    "url_too_long": "网址过长",
    "none_required": "此类信源不用该字段（见 kind）",
    "json_invalid": "不是有效的 JSON",
    "json_type": "应为 JSON 文本",
    "is_instance_of": "类型不符",
    "frozen_field": "不可修改",
    "frozen_instance": "不可修改",
    "assertion_error": "校验未通过",
    "callable_type": "类型不符",
    "extra_forbidden": "未知字段",
}


def zh_message(err: Mapping[str, Any]) -> str:
    """pydantic's error, as a Chinese operator reads it: a translation by error type, our validators' own
    (Chinese) message, else "取值无效" with the value written."""
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
        "multiple_of": "应为 {multiple_of} 的倍数",
        "union_tag_invalid": "取值 {tag} 无效，可选：{expected_tags}",
        "union_tag_not_found": "缺少字段 {discriminator}",
        "date_future": "应为将来的日期",
        "date_past": "应为过去的日期",
    }
    if kind in templates:
        try:
            return templates[kind].format(**ctx).replace("' or '", "'、'")
        except (KeyError, IndexError):
            pass
    message = str(err.get("msg", "")).removeprefix("Value error, ")
    if re.search(r"[\u4e00-\u9fff]", message):
        return message  # our own validators speak Chinese
    # An error type without a translation: pydantic's English is not what an operator reads; the value they wrote is.
    value = err.get("input")
    shown = repr(value) if isinstance(value, str | int | float) and len(repr(value)) <= 60 else ""
    return f"取值无效：{shown}" if shown else "取值无效"
