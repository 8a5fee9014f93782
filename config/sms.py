"""SMS and voice templates as the carriers accept them, checked at load against each provider's rules.

Mainland SMS goes out only through templates approved with the provider: fixed text with short variables, the
signature in 【】 added by the provider, links as fixed text (never in a variable). The limits below are from
the providers' documentation (read 2026-12):
- Aliyun 短信服务: a notification template's variable is 1–35 characters; a message is at most 500 characters;
  【】 may not appear in the template text; a link must be fixed text (help.aliyun.com 463270, 3041859).
- Tencent Cloud 短信: a non-verification-code variable is at most 6 characters; 500 characters in all; links
  only as constants with an ICP-registered domain (cloud.tencent.com/document/product/382/13301, 40659).
One SMS segment is 70 characters (signature and 【】 included); longer messages are split into 67-character
parts and billed per part, so a template must fit `max_segments` (default 1).

Placeholders in the configured text are {level}, {unit}, …: level (一般…特别重大), unit (the unit's short name),
left (minutes to the report deadline), code (the case code of the fixed link /a/CODE), time (Beijing HH:MM of
discovery).
"""

from __future__ import annotations

import math
import re
from urllib.parse import parse_qs, urlsplit

from pydantic import BaseModel, ConfigDict, Field

from channels import ChannelPlugin, plugin_for, plugins
from config.errors import ConfigIssue

# The longest value each variable can take (unit: checked against the units' short names).
VARIABLE_MAX = {"level": 4, "unit": 6, "left": 3, "code": 6, "time": 5}
MESSAGE_LIMIT = 500  # the most any provider takes; each plugin states its own (channels/)
SEGMENT = 70
LONG_SEGMENT = 67
# {name} in the configuration (${NAME} is the secrets syntax): the approved template has ${name} (Aliyun) or
# {1}, {2}, … in the same order (Tencent).
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_LINK = re.compile(r"(?:https?://)?[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?::\d+)?(?:/[^\s，。]*)?")


class MessageTemplate(BaseModel):
    """One approved template: the provider's template code and its text as approved, with ${variables}."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(min_length=1, max_length=64, description="SMS_123456789 (Aliyun), 1234567 (Tencent)")
    text: str = Field(min_length=1, max_length=MESSAGE_LIMIT)
    max_segments: int = Field(default=1, ge=1, le=7)

    @property
    def variables(self) -> list[str]:
        """In order of appearance: Tencent's {1}, {2}, … follow this order."""
        return _PLACEHOLDER.findall(self.text)


def sign_of(url: str) -> str:
    return parse_qs(urlsplit(url).query).get("sign", [""])[0]


def render(template: MessageTemplate, values: dict[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), ""), template.text)


def segments(length: int) -> int:
    return 1 if length <= SEGMENT else math.ceil(length / LONG_SEGMENT)


def template_issues(
    template: MessageTemplate, *, plugin: ChannelPlugin, kind: str, sign: str, unit_short_names: dict[str, str]
) -> list[str]:
    """What the channel's provider would refuse in `template` (messages in Chinese, without the file and field)."""
    problems: list[str] = []
    unknown = [v for v in template.variables if v not in VARIABLE_MAX]
    if unknown:
        problems.append(f"未知变量 {'、'.join(unknown)}；可用变量：{'、'.join(VARIABLE_MAX)}")
    if len(set(template.variables)) != len(template.variables):
        problems.append("同一变量在模板中只能出现一次")
    if "【" in template.text or "】" in template.text:
        problems.append("模板正文不能含【】（签名由短信平台加在正文前）")
    hosts = [
        m.group(0).split("://", 1)[-1].split("/", 1)[0] for m in _LINK.finditer(_PLACEHOLDER.sub("\0", template.text))
    ]
    if any("\0" in host for host in hosts) or re.search(r"https?://\{|[：:\s]\{[A-Za-z_]+\}[./]", template.text):
        problems.append("链接（域名）必须是模板中的固定文字，不能放在变量里；只有 /a/ 之后的 {code} 可变")
    limit = plugin.variable_limit
    for name in template.variables:
        if VARIABLE_MAX.get(name, 0) > limit:
            problems.append(f"变量 {name} 最长 {VARIABLE_MAX[name]} 字，超过{plugin.provider}的 {limit} 字上限")
    if "unit" in template.variables:
        long = [f"{name}（{len(name)}字）" for name in unit_short_names.values() if len(name) > limit]
        if long:
            problems.append(
                f"{plugin.name}变量最多 {limit} 字，这些单位简称过长：{'、'.join(long)}；"
                "请在 units.yaml 为其设 short_name"
            )
    worst = {name: "国" * VARIABLE_MAX.get(name, 0) for name in template.variables}
    if "unit" in worst and unit_short_names:
        worst["unit"] = "国" * max(len(n) for n in unit_short_names.values())
    length = len(sign) + 2 + len(render(template, worst))
    if length > plugin.message_limit:
        problems.append(f"{plugin.medium_zh}内容最长 {length} 字，超过{plugin.name}的 {plugin.message_limit} 字上限")
    elif kind != "call" and segments(length) > template.max_segments:
        problems.append(
            f"短信最长 {length} 字（含签名），要拆成 {segments(length)} 条；"
            f"请缩短到 {SEGMENT} 字以内，或设 max_segments: {segments(length)}"
        )
    return problems


def check_channels(channels: list[object], *, file: str, unit_short_names: dict[str, str]) -> list[ConfigIssue]:
    """Every SMS/voice channel's templates, as the provider would judge them; templates on other channels."""
    issues: list[ConfigIssue] = []
    for i, channel in enumerate(channels):
        templates: dict[str, MessageTemplate] = getattr(channel, "templates", {})
        url = channel.url.get_secret_value()  # type: ignore[attr-defined]
        plugin = plugin_for(url)
        if templates and plugin is None:
            schemes = "/".join(sorted(plugins()))
            issues.append(ConfigIssue(file, f"channels[{i}].templates", f"只有短信和语音渠道（{schemes}）有模板"))
            continue
        if plugin is None:
            continue
        if plugin.requires_templates and not templates:
            issues.append(ConfigIssue(file, f"channels[{i}].templates", f"{plugin.name}渠道须按消息类型配置模板"))
        for kind, template in templates.items():
            for problem in template_issues(
                template, plugin=plugin, kind=kind, sign=sign_of(url), unit_short_names=unit_short_names
            ):
                issues.append(ConfigIssue(file, f"channels[{i}].templates.{kind}.text", problem))
    return issues
