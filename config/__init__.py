"""Yuqing configuration: typed models for sources, schemes, units and channels, loaded from one directory."""

from config.errors import ConfigError, ConfigIssue
from config.loader import load_config
from config.models import (
    AnalysisSettings,
    Channel,
    Config,
    DutyContact,
    Level,
    ListSelectors,
    RiskThresholds,
    Scheme,
    SensitivePeriod,
    Source,
    ThreadSelectors,
    Unit,
)
from config.settings import Settings

__all__ = [
    "AnalysisSettings",
    "Channel",
    "Config",
    "ConfigError",
    "ConfigIssue",
    "DutyContact",
    "Level",
    "ListSelectors",
    "RiskThresholds",
    "Scheme",
    "SensitivePeriod",
    "Settings",
    "Source",
    "ThreadSelectors",
    "Unit",
    "load_config",
]
