"""One check of a whole deployment before anything starts: the configuration directory (sources and their
kinds, schemes, units, rosters, territory, calendar, briefings, alerting, channel templates), the playbooks,
and every channel URL parsed by its plugin (ours) or by Apprise. `check-config` runs it, and so does every
start (`yuqing run`, the API workers, the scheduler, the demo) through Services.load: a typo fails there,
naming the file and the field, never when something is first sent."""

from __future__ import annotations

from dataclasses import dataclass

from alerting.playbooks import Playbooks, load_playbooks
from channels.check import url_problem
from config import Config, ConfigError, ConfigIssue, Settings, load_config


@dataclass(frozen=True)
class Deployment:
    config: Config
    playbooks: Playbooks


def channel_issues(config: Config, *, file: str) -> list[ConfigIssue]:
    """Every channel URL, as its plugin or Apprise would take it (secrets masked in the message)."""
    issues: list[ConfigIssue] = []
    for i, channel in enumerate(config.channels):
        problem = url_problem(channel.url.get_secret_value(), has_templates=bool(channel.templates))
        if problem is not None:
            issues.append(ConfigIssue(file, f"channels[{i}].url", config.mask(problem)))
    return issues


def validate_deployment(settings: Settings, *, channels: bool = True) -> Deployment:
    """Everything a start needs, checked together: ConfigError with every issue of every file, else the
    loaded configuration and playbooks. `channels=False` skips the URL check (a crawl subprocess: its
    scheduler checked them and it sends nothing)."""
    issues: list[ConfigIssue] = []
    config: Config | None = None
    playbooks: Playbooks | None = None
    try:
        config = load_config(settings.config_dir, secrets_file=settings.secrets_file)
    except ConfigError as exc:
        issues.extend(exc.issues)
    try:
        playbooks = load_playbooks(settings.playbooks_dir)
    except ConfigError as exc:
        issues.extend(exc.issues)
    if config is not None and channels:
        issues.extend(channel_issues(config, file=str(settings.config_dir / "channels.yaml")))
    if issues or config is None or playbooks is None:
        raise ConfigError(issues)
    return Deployment(config, playbooks)
