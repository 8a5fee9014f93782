"""Channel plugins: our own Apprise plugins for what Apprise lacks (mainland SMS and voice), one module each.

A module of this package that defines `PLUGIN` (a `channels.base.ChannelPlugin`) is a channel: its URL scheme
becomes known to Apprise and to the configuration check, which parses every such URL with its plugin at load.
Nothing is imported or registered until first use (channels.registry)."""

from channels.base import ChannelPlugin, ChannelUrl, ChannelUrlError, Sent
from channels.registry import plugin_for, plugins, register_with_apprise

__all__ = [
    "ChannelPlugin",
    "ChannelUrl",
    "ChannelUrlError",
    "Sent",
    "plugin_for",
    "plugins",
    "register_with_apprise",
]
