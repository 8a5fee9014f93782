"""Sending through a channel with approved templates (SMS and voice): the template of the message kind with
the short variables, never the full text. The channel's plugin (channels/) signs and sends; this picks the
template and its values."""

from __future__ import annotations

from dataclasses import dataclass

from channels import ChannelUrlError, plugin_for
from config import Channel
from config.sms import MessageTemplate


@dataclass(frozen=True)
class ShortMessage:
    kind: str  # alert, reminder, escalation, breach
    variables: dict[str, str]


@dataclass(frozen=True)
class TemplatedResult:
    ok: bool
    detail: str  # the provider's id on success; in Chinese, why not, on failure
    confirm_seconds: float | None = None  # a call placed, not known answered (channels.base.Sent)


def template_for(channel: Channel, kind: str, *, voice: bool) -> MessageTemplate | None:
    if voice and "call" in channel.templates:
        return channel.templates["call"]
    return channel.templates.get(kind)  # type: ignore[call-overload]


def send(channel: Channel, message: ShortMessage, *, timeout: float) -> TemplatedResult:
    url = channel.url.get_secret_value()
    plugin = plugin_for(url)
    if plugin is None:
        return TemplatedResult(False, "该渠道不是短信或语音渠道")
    template = template_for(channel, message.kind, voice=plugin.medium == "voice")
    if template is None:
        return TemplatedResult(False, f"该渠道没有“{message.kind}”类通知的模板")
    try:
        target = plugin.parse(url, bare=False)
    except ChannelUrlError as exc:
        return TemplatedResult(False, str(exc))
    values = {name: message.variables.get(name, "") for name in template.variables}
    sent = plugin.send(target, template=template.code, variables=values, timeout=timeout)
    return TemplatedResult(sent.ok, sent.detail, sent.confirm_seconds)
