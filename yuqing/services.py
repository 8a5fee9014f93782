"""The composition root's container: settings and configuration loaded once, stores and workers built lazily."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from alerting.ack_links import AckLinks
from alerting.delivery.sender import AppriseSender, ChannelSender
from alerting.playbooks import Playbooks, load_playbooks
from analysis.analyser import Analyser
from config import Config, Settings, load_config
from store.mentions import MentionStore
from store.workflow import make_engine, make_session_factory
from store.workflow.migrate import upgrade


@dataclass
class Services:
    settings: Settings
    config: Config
    playbooks: Playbooks

    @classmethod
    def load(cls, settings: Settings, *, migrate: bool = True) -> Services:
        """Validate the whole configuration before anything starts: nothing starts half-way."""
        config = load_config(settings.config_dir, secrets_file=settings.secrets_file)
        playbooks = load_playbooks(settings.playbooks_dir)
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        if migrate:
            upgrade(settings.workflow_url)
        return cls(settings=settings, config=config, playbooks=playbooks)

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
        return AckLinks.from_key_file(self.settings.data_dir / "ack_key", base_url=self.settings.base_url)

    @cached_property
    def analyser(self) -> Analyser:
        return Analyser(self.config)

    @cached_property
    def sender(self) -> ChannelSender:
        return AppriseSender(self.config, timeout_seconds=self.config.alerting.delivery_timeout_seconds)

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
        if "mentions" in self.__dict__:
            self.mentions.close()
        if "engine" in self.__dict__:
            self.engine.dispose()
