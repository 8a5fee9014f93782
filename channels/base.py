"""What a channel plugin is: a URL scheme, the provider's limits for its templates, how its URL is taken apart
and checked (one helper for every plugin), and how it sends an approved template with its variables.

    SCHEME://KEY:SECRET@HOST[:PORT]/PHONE[/PHONE…]?param=value&…

`tls=no` talks plain HTTP (only for a loopback test endpoint); `rto` is the read timeout Apprise adds. A plugin
is used two ways: by the sender with the channel's `templates` per message kind (alerting/delivery/templated.py),
and bare through Apprise (`template=` in the URL, the title and body cut to the provider's variables)."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar, Literal
from urllib.parse import parse_qs, unquote, urlsplit

Medium = Literal["sms", "voice"]
MEDIUM_ZH: dict[str, str] = {"sms": "短信", "voice": "电话"}
# Apprise collects its plugins' log lines; the sender shows them as the reason a delivery failed.
log = logging.getLogger("apprise")
_PLAIN = {"no", "0", "false"}
# What a missing part of the URL is called, for operators (the English name is what Apprise's log says).
PART_ZH: dict[str, str] = {
    "phone numbers": "电话号码（地址路径中的 /13800000000）",
    "key": "密钥（KEY:SECRET@）",
    "template": "模板（template=，或在 templates 中按消息类型配置）",
    "sign": "短信签名（sign=）",
}


class ChannelUrlError(ValueError):
    """A channel URL its plugin cannot use; the message is Chinese, `missing` names the parts in English."""

    def __init__(self, message: str, missing: list[str] | None = None) -> None:
        super().__init__(message)
        self.missing = missing or []


@dataclass(frozen=True)
class ChannelUrl:
    """A plugin's URL taken apart."""

    scheme: str
    host: str  # host[:port], as the provider's signature names it
    key: str
    secret: str
    phones: tuple[str, ...]
    query: dict[str, str]

    @property
    def endpoint(self) -> str:
        plain = self.query.get("tls", "yes").lower() in _PLAIN
        return f"{'http' if plain else 'https'}://{self.host}"

    def number(self, name: str, default: float) -> float:
        try:
            return float(self.query.get(name, default))
        except ValueError:
            raise ChannelUrlError(f"参数 {name}= 应为数字") from None

    @classmethod
    def parse(cls, url: str) -> ChannelUrl:
        parts = urlsplit(url)
        try:
            port = parts.port
        except ValueError:
            raise ChannelUrlError("地址中的端口无效") from None
        host = parts.hostname or ""
        return cls(
            scheme=parts.scheme.lower(),
            host=f"{host}:{port}" if port else host,
            key=unquote(parts.username or ""),
            secret=unquote(parts.password or ""),
            phones=tuple(p for p in parts.path.split("/") if p),
            query={k: v[0] for k, v in parse_qs(parts.query).items()},
        )

    @classmethod
    def from_meta(cls, meta: dict[str, Any]) -> ChannelUrl:
        """From the parsed URL Apprise hands a custom plugin."""
        host = str(meta.get("host") or "")
        return cls(
            scheme=str(meta.get("schema") or ""),
            host=f"{host}:{meta['port']}" if meta.get("port") else host,
            key=str(meta.get("user") or ""),
            secret=str(meta.get("password") or ""),
            phones=tuple(p for p in str(meta.get("fullpath") or "").split("/") if p),
            query={str(k): str(v) for k, v in (meta.get("qsd") or {}).items()},
        )


@dataclass(frozen=True)
class Sent:
    ok: bool
    detail: str  # the provider's id on success; in Chinese, what happened otherwise (a call: answered or not)
    # A call placed whose answer the provider does not report back: the sender falls back to the recipient's next
    # channels unless the incident is acknowledged within this many seconds (alerting/delivery/sender.py).
    confirm_seconds: float | None = None


class ChannelPlugin(ABC):
    """One provider's channel. Subclasses set the class attributes and implement `send` and `bare_variables`."""

    scheme: ClassVar[str]  # aliyunsms
    name: ClassVar[str]  # 阿里云短信: shown in Apprise's list and in errors
    provider: ClassVar[str]  # 阿里云: whose limits a template is checked against
    medium: ClassVar[Medium]
    variable_limit: ClassVar[int]  # the longest value of one template variable, in characters
    message_limit: ClassVar[int] = 500  # the longest message, signature and variables included
    positional: ClassVar[bool] = False  # variables sent in template order ({1}, {2}, …) rather than by name
    requires_templates: ClassVar[bool] = False  # unusable bare: channels.yaml must give templates per kind
    # Query parameters the URL must carry, with what operators call them.
    required: ClassVar[dict[str, str]] = {}

    @property
    def medium_zh(self) -> str:
        return MEDIUM_ZH[self.medium]

    def missing(self, target: ChannelUrl, *, bare: bool) -> list[str]:
        """What the URL lacks, in English names; `bare` (no templates in channels.yaml) needs template=."""
        wanted: list[tuple[str, object]] = [("phone numbers", target.phones)]
        wanted += [(name, target.query.get(name)) for name in self.required]
        if bare:
            wanted.append(("template", target.query.get("template")))
        wanted.append(("key", target.key))
        return [name for name, value in wanted if not value]

    def parse(self, url: str, *, bare: bool) -> ChannelUrl:
        """The URL taken apart and checked; ChannelUrlError (Chinese, naming every missing part) otherwise."""
        target = ChannelUrl.parse(url)
        if target.scheme != self.scheme:
            raise ChannelUrlError(f"不是{self.name}地址（应以 {self.scheme}:// 开头）")
        missing = self.missing(target, bare=bare)
        if missing:
            labels = {**PART_ZH, **self.required}
            raise ChannelUrlError(f"{self.name}渠道地址缺少：{'、'.join(labels[m] for m in missing)}", missing)
        for name in ("rto", "cto"):
            target.number(name, 10)
        return target

    @abstractmethod
    def send(self, target: ChannelUrl, *, template: str, variables: dict[str, str], timeout: float) -> Sent:
        """Send the approved `template` with its variables (in template order) to the URL's phone numbers."""

    @abstractmethod
    def bare_variables(self, title: str, body: str) -> dict[str, str]:
        """The variables of a bare Apprise notification, cut to what the provider allows."""

    def notify(self, body: str, title: str, notify_type: str, meta: dict[str, Any], *args: Any, **kwargs: Any) -> bool:
        """The Apprise hook (channels.registry registers it for the scheme)."""
        target = ChannelUrl.from_meta(meta)
        missing = self.missing(target, bare=True)
        if missing:
            labels = {**PART_ZH, **self.required}
            log.warning("%s渠道地址缺少：%s", self.name, "、".join(labels[m] for m in missing))
            return False
        sent = self.send(
            target,
            template=target.query["template"],
            variables=self.bare_variables(title, body),
            timeout=target.number("rto", 10),
        )
        if not sent.ok:
            log.warning("%s：%s", self.name, sent.detail)
        return sent.ok
