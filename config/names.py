"""Names people read for the ids the configuration and the stores use: units, sources, schemes, channels,
duty roles and recipients. Every user-facing text goes through these, so an id never reaches a screen."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from channels import plugin_for
from config.models import BEIJING, Config


def beijing_minute(at: datetime) -> str:
    """How times read in the texts people get: Beijing time, to the minute."""
    return at.astimezone(BEIJING).strftime("%m-%d %H:%M")


ROLE_ZH = {
    "duty_officer": "值班员",
    "secretary": "书记",
    "propaganda": "宣传部门",
    "commentator": "网评员",
    "superior": "上级单位",
    "superiors": "各级上级单位",
}
# What a channel is, from its URL scheme, when the configuration gives it no name (a plugin's: its medium).
_SCHEME_ZH = {
    "dingtalk": "钉钉",
    "wecom": "企业微信",
    "wxteams": "企业微信",
    "feishu": "飞书",
    "lark": "飞书",
    "mailto": "邮件",
    "mailtos": "邮件",
    "json": "消息推送",
    "jsons": "消息推送",
}


def unit_name(config: Config, unit_id: str | None) -> str:
    if not unit_id:
        return "未归属单位"
    for unit in config.units:
        if unit.id == unit_id:
            return unit.name
    return "已删除的单位"


def source_name(config: Config, source_id: str | None) -> str:
    if not source_id:
        return "未知来源"
    for source in config.sources:
        if source.id == source_id:
            return source.name
    return "已停用的信源"


def scheme_name(config: Config, scheme_id: str) -> str:
    for scheme in config.schemes:
        if scheme.id == scheme_id:
            return scheme.name
    return "已删除的方案"


def channel_name(config: Config, channel_id: str | None) -> str:
    if not channel_id:
        return "—"
    for channel in config.channels:
        if channel.id == channel_id:
            if channel.name:
                return channel.name
            url = channel.url.get_secret_value()
            plugin = plugin_for(url)
            if plugin is not None:
                return plugin.medium_zh
            return _SCHEME_ZH.get(urlsplit(url).scheme.lower(), "通知渠道")
    return "已删除的渠道"


def role_name(role: str) -> str:
    return ROLE_ZH.get(role, "联系人")


def audience_names(audience: list[str] | str) -> str:
    roles = audience.split(",") if isinstance(audience, str) else audience
    return "、".join(role_name(r) for r in roles if r)


def recipient_name(config: Config, key: str) -> str:
    """A delivery's recipient key (`unit:contact`) as people read it: 单位 联系人."""
    unit_id, _, person = key.partition(":")
    if not person:
        return key
    return f"{unit_name(config, unit_id)} {person}"
