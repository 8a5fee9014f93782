"""Sending through a channel with approved templates (SMS and voice): the template of the message kind with
the short variables, never the full text. Providers' plugins do the signing; this picks template and values."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from alerting.delivery import aliyun_sms, aliyun_voice, tencent_sms
from config import Channel
from config.sms import MessageTemplate, provider_of


@dataclass(frozen=True)
class ShortMessage:
    kind: str  # alert, reminder, escalation, breach
    variables: dict[str, str]


@dataclass(frozen=True)
class TemplatedResult:
    ok: bool
    detail: str  # the provider's id on success; in Chinese, why not, on failure


def template_for(channel: Channel, kind: str, *, voice: bool) -> MessageTemplate | None:
    if voice and "call" in channel.templates:
        return channel.templates["call"]
    return channel.templates.get(kind)  # type: ignore[call-overload]


def send(channel: Channel, message: ShortMessage, *, timeout: float) -> TemplatedResult:
    url = channel.url.get_secret_value()
    found = provider_of(url)
    if found is None:
        return TemplatedResult(False, "该渠道不是短信或语音渠道")
    provider, medium = found
    template = template_for(channel, message.kind, voice=medium == "voice")
    if template is None:
        return TemplatedResult(False, f"该渠道没有“{message.kind}”类通知的模板")
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    scheme = "http" if query.get("tls", "yes").lower() in {"no", "0", "false"} else "https"
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    endpoint = f"{scheme}://{netloc}"
    phones = [p for p in parts.path.split("/") if p]
    key_id, secret = unquote(parts.username or ""), unquote(parts.password or "")
    values = {name: message.variables.get(name, "") for name in template.variables}
    if not phones:
        return TemplatedResult(False, "渠道地址中没有电话号码")
    if provider == "aliyun" and medium == "sms":
        ok, detail = aliyun_sms.send_sms(
            endpoint=endpoint,
            key_id=key_id,
            secret=secret,
            sign_name=query.get("sign", ""),
            template=template.code,
            phones=phones,
            variables=values,
            timeout=timeout,
        )
        return TemplatedResult(ok, detail if ok else f"短信未发出：{detail}")
    if provider == "tencent" and medium == "sms":
        ok, detail = tencent_sms.send_sms(
            endpoint=endpoint,
            host=netloc,
            secret_id=key_id,
            secret_key=secret,
            sdk_app_id=query.get("sdkappid", ""),
            sign_name=query.get("sign", ""),
            template=template.code,
            phones=phones,
            params=[values[name] for name in template.variables],
            region=query.get("region", "ap-guangzhou"),
            timeout=timeout,
        )
        return TemplatedResult(ok, detail if ok else f"短信未发出：{detail}")
    if provider == "aliyun" and medium == "voice":
        result = aliyun_voice.call(
            endpoint=endpoint,
            key_id=key_id,
            secret=secret,
            phone=phones[0],
            show_number=query.get("show", ""),
            template=template.code,
            variables=values,
            wait_seconds=float(query.get("wait", 60)),
            poll_seconds=float(query.get("poll", 5)),
            timeout=timeout,
        )
        return TemplatedResult(result.answered, result.zh)
    return TemplatedResult(False, "暂不支持该语音服务商")
