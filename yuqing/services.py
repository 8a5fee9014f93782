"""The composition root's container: settings and configuration loaded once, stores and workers built lazily."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from alerting.ack_links import AckLinks
from alerting.delivery.sender import AppriseSender, ChannelSender
from alerting.playbooks import Playbooks
from analysis.analyser import Analyser
from config import Config, Settings
from config.masking import mask_logs
from store.mentions import MentionStore
from store.workflow import make_engine, make_session_factory
from store.workflow.migrate import upgrade

if TYPE_CHECKING:
    from yuqing.crawl_queue import CrawlQueue


@dataclass
class Services:
    settings: Settings
    config: Config  # the YAML configuration with the schemes edited through the API applied
    playbooks: Playbooks
    yaml_config: Config | None = None
    _schemes_version: tuple[int, int] | None = field(default=None, repr=False)

    @classmethod
    def load(cls, settings: Settings, *, migrate: bool = True, check_channels: bool = True) -> Services:
        """Validate the whole deployment before anything starts (yuqing.deployment): nothing starts half-way."""
        from yuqing.deployment import validate_deployment

        deployment = validate_deployment(settings, channels=check_channels)
        config, playbooks = deployment.config, deployment.playbooks
        mask_logs(config.mask)  # secrets from ${NAME} never reach this process's logs in clear
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        if migrate:
            upgrade(settings.workflow_url)
        services = cls(settings=settings, config=config, playbooks=playbooks, yaml_config=config)
        if migrate:
            services.refresh_schemes()
        return services

    def refresh_schemes(self) -> bool:
        """Apply the schemes edited through the API (kept in the workflow database); True when they changed
        since the last call, and then the analyser is rebuilt. Cheap: one small query."""
        from analysis import scheme_store

        base = self.yaml_config or self.config
        with self.sessions() as session:
            version = scheme_store.version(session)
            if version == self._schemes_version:
                return False
            self.config = scheme_store.with_overrides(base, session)
        self._schemes_version = version
        self.__dict__.pop("analyser", None)
        return True

    @cached_property
    def mentions(self) -> MentionStore:
        from store.mentions.factory import open_mention_store

        return open_mention_store(self.settings)

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings.workflow_url)

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        return make_session_factory(self.engine)

    @cached_property
    def ack_links(self) -> AckLinks:
        return AckLinks.from_key_file(
            self.settings.data_dir / "ack_key",
            base_url=self.settings.base_url,
            valid_for=timedelta(days=self.settings.ack_link_days),
        )

    @cached_property
    def analyser(self) -> Analyser:
        return Analyser(self.config)

    @cached_property
    def sender(self) -> ChannelSender:
        return AppriseSender(self.config, timeout_seconds=self.config.alerting.delivery_timeout_seconds)

    @cached_property
    def crawl_queue(self) -> CrawlQueue | None:
        """The shared crawl queue when YUQING_REDIS_URL is set; None: crawls run in the scheduler's process."""
        if not self.settings.redis_url:
            return None
        from yuqing.crawl_queue import CrawlQueue

        return CrawlQueue(
            self.settings.redis_url, prefix=self.settings.redis_prefix, lease_seconds=self.settings.crawl_lease_seconds
        )

    def subprocess_env(self) -> dict[str, str]:
        """The environment a crawl subprocess needs to find the same configuration and stores."""
        env = dict(os.environ)
        env["YUQING_CONFIG_DIR"] = str(self.settings.config_dir.resolve())
        env["YUQING_DATA_DIR"] = str(self.settings.data_dir.resolve())
        env["YUQING_WORKFLOW_DB"] = self.settings.workflow_url
        if self.settings.secrets_file:
            env["YUQING_SECRETS_FILE"] = str(self.settings.secrets_file.resolve())
        return env

    def close(self) -> None:
        queue = self.__dict__.get("crawl_queue")
        if queue is not None:
            queue.close()
        if "mentions" in self.__dict__:
            self.mentions.close()
        if "engine" in self.__dict__:
            self.engine.dispose()
