"""The CLI's commands by domain, one module each (crawl, analysis, briefings, users, schemes, store). Each has
`add_parsers(sub, with_config, settings_of)`; yuqing.cli registers them on the main group, in `DOMAINS` order."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from config import Settings

SettingsOf = Callable[[argparse.Namespace], Settings]
WithConfig = Callable[[argparse.ArgumentParser], argparse.ArgumentParser]
Command = Callable[[argparse.Namespace, SettingsOf], int]
