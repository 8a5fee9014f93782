"""Yuqing configuration: typed models for sources, schemes, units and channels, loaded from one directory."""

from config.errors import ConfigError, ConfigIssue
from config.loader import load_config
from config.models import (
    AnalysisSettings,
    BriefingAudience,
    BriefingSettings,
    Channel,
    Config,
    DutyContact,
    GraderThresholds,
    Level,
    RiskThresholds,
    Scheme,
    SensitivePeriod,
    Territory,
    Unit,
)
from config.settings import Settings
from config.sources import JsonFields, ListSelectors, Source, ThreadSelectors

__all__ = [
    "AnalysisSettings",
    "BriefingAudience",
    "BriefingSettings",
    "Channel",
    "Config",
    "ConfigError",
    "ConfigIssue",
    "DutyContact",
    "GraderThresholds",
    "JsonFields",
    "Level",
    "ListSelectors",
    "RiskThresholds",
    "Scheme",
    "SensitivePeriod",
    "Settings",
    "Source",
    "Territory",
    "ThreadSelectors",
    "Unit",
    "load_config",
]
