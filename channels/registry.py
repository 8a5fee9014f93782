"""The channel plugins by URL scheme: every module of the `channels` package that defines `PLUGIN`.

Found on first use, not at import (no import-time side effects); a second plugin claiming a scheme is a bug
caught here. Apprise learns the schemes once per process through `register_with_apprise`."""

from __future__ import annotations

import importlib
import pkgutil
import threading
from functools import cache
from urllib.parse import urlsplit

from channels.base import ChannelPlugin

_lock = threading.Lock()
_registered = False


@cache
def plugins() -> dict[str, ChannelPlugin]:
    """scheme → plugin."""
    import channels

    found: dict[str, ChannelPlugin] = {}
    for info in sorted(pkgutil.iter_modules(channels.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"channels.{info.name}")
        plugin = getattr(module, "PLUGIN", None)
        if not isinstance(plugin, ChannelPlugin):
            continue
        if plugin.scheme in found:
            raise RuntimeError(f"two channel plugins claim {plugin.scheme}://: {info.name} and another")
        found[plugin.scheme] = plugin
    return found


def plugin_for(url: str) -> ChannelPlugin | None:
    """The plugin of a channel URL, None for a channel Apprise serves itself."""
    return plugins().get(urlsplit(url).scheme.lower())


def register_with_apprise() -> None:
    """Make every plugin's scheme known to Apprise (once per process)."""
    global _registered
    with _lock:
        if _registered:
            return
        from apprise.decorators import notify

        for plugin in plugins().values():
            notify(on=plugin.scheme, name=plugin.name)(plugin.notify)
        _registered = True
