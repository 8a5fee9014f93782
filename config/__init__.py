"""Yuqing configuration: typed models for sources, schemes, units and channels, loaded from one directory."""

from config.errors import ConfigError, ConfigIssue
from config.loader import load_config
from config.models import (
    Channel,
    Config,
    DutyContact,
    Level,
    ListSelectors,
    Scheme,
    Source,
    ThreadSelectors,
    Unit,
)
from config.settings import Settings

__all__ = [
    "Channel",
    "Config",
    "ConfigError",
    "ConfigIssue",
    "DutyContact",
    "Level",
    "ListSelectors",
    "Scheme",
    "Settings",
    "Source",
    "ThreadSelectors",
    "Unit",
    "load_config",
]
