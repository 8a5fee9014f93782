"""The composition root: settings and configuration loaded once, stores and workers built lazily, and the narrow
view each consumer gets of them. The scheduler (yuqing.scheduler, yuqing.jobs) works on `Services` itself; the
API gets `api_state()` (api.state.ApiState: configuration, stores, clock, no workers); a crawl gets
`crawl_context()` (crawlers.context.CrawlContext: settings and configuration, its own stores, built in the crawl's
process); the tests get the same views over their own temporary stores (tests/conftest.py `app_world`)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

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
from yuqing.heap import release_heap, settle_heap

if TYPE_CHECKING:
    from api.state import ApiState
    from crawlers.context import CrawlContext
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
        if self.__dict__.pop("analyser", None) is not None:
            release_heap()  # the old analyser was settled: collectable again
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
        analyser = Analyser(self.config)
        # Its dictionaries, automata and models live until the schemes change: settled, the analysis job's
        # collections stop walking them (GC measured ~60 -> ~3 µs a mention, bench/README.md).
        settle_heap()
        return analyser

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

    def api_state(self, **options: Any) -> ApiState:
        """The API's view: configuration and stores, the acknowledgement links, the health checks' limits.
        `options` are ApiState's own (a test's clock or feed poll). Imported here: a crawl never loads FastAPI."""
        from api.state import ApiState
        from yuqing.leader import heartbeat_limit

        view: dict[str, Callable[[], Any]] = {
            "config": lambda: self.config,
            "mentions": lambda: self.mentions,
            "sessions": lambda: self.sessions,
            "base_url": lambda: self.settings.base_url,
            "ack_links": lambda: self.ack_links,
            "data_dir": lambda: self.settings.data_dir,
            "heartbeat_limit_seconds": lambda: heartbeat_limit(self.settings.leader_retry_seconds),
        }
        # Only what the caller did not give is built (a test's API opens no ack-link key file).
        options = {name: build() for name, build in view.items() if name not in options} | options
        return ApiState(**options)

    def crawl_context(self) -> CrawlContext:
        """A crawl's view: settings and configuration; it opens its own stores in its process. Imported here:
        the API process never loads Scrapy."""
        from crawlers.context import CrawlContext

        return CrawlContext(settings=self.settings, config=self.config)

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
        if self.__dict__.pop("analyser", None) is not None:
            release_heap()  # what was settled with it may now be garbage (a test's stores): collectable again
