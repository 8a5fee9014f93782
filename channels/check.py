"""Is a channel URL usable? Our plugins parse their own schemes; Apprise judges the rest with its own URL
validation (the plugin it would build), so a `dingtak://` typo or a token of the wrong shape fails at load."""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote, urlsplit

from channels.base import ChannelUrlError
from channels.registry import plugin_for


def url_problem(url: str, *, has_templates: bool) -> str | None:
    """None for a usable URL, else why not, in Chinese (never echoing a secret of the URL)."""
    plugin = plugin_for(url)
    if plugin is not None:
        try:
            plugin.parse(url, bare=not has_templates)
        except ChannelUrlError as exc:
            return str(exc)
        return None
    scheme = urlsplit(url).scheme.lower() if "://" in url else ""
    if not scheme:
        return "不是通知渠道地址（应形如 dingtalk://…、wecom://…、mailto://…）"
    import apprise
    from apprise.manager_plugins import NotificationManager

    if scheme not in NotificationManager():
        return f"未知的渠道类型 {scheme}://（Apprise 与本系统的插件都不支持；是否拼错？）"
    with apprise.LogCapture(level=logging.WARNING) as captured:
        built = apprise.Apprise.instantiate(url, suppress_exceptions=True)
        said = captured.getvalue()
    if built is not None:
        return None
    reasons = [line.split(" - ", 2)[-1] for line in said.strip().splitlines() if " - WARNING - " in line]
    reason = _redact("；".join(reasons), url)
    return f"Apprise 无法使用该 {scheme}:// 地址" + (f"：{reason}" if reason else "（请对照 Apprise 文档检查格式）")


def _redact(text: str, url: str) -> str:
    """Apprise's reason with every piece of the URL (tokens, keys) replaced by ***."""
    rest = url.split("://", 1)[-1]
    pieces = {p for p in re.split(r"[/:@?&=#,]", rest) if len(p) >= 3} | {
        unquote(p) for p in re.split(r"[/:@?&=#,]", rest) if len(p) >= 3
    }
    for piece in sorted(pieces, key=len, reverse=True):
        text = text.replace(piece, "***")
    return text
