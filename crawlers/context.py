"""What a crawl process needs, built once per crawler: settings, configuration and the stores."""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from functools import cached_property

from scrapy.crawler import Crawler
from sqlalchemy.orm import Session, sessionmaker

from config import Config, Settings, load_config
from store.mentions import CrawlBookkeeping
from store.tokens import add_words, config_words
from store.workflow import make_engine, make_session_factory
from store.workflow.migrate import upgrade

CONTEXT_SETTING = "YUQING_CONTEXT"


@dataclass
class CrawlContext:
    settings: Settings
    config: Config
    _closed: bool = field(default=False, init=False)

    @cached_property
    def mention_store(self) -> CrawlBookkeeping:
        from store.mentions.factory import open_mention_store

        add_words(config_words(self.config))  # index with the same dictionary analysis uses
        return open_mention_store(self.settings)

    @cached_property
    def workflow(self) -> sessionmaker[Session]:
        return make_session_factory(make_engine(self.settings.workflow_url))

    def close(self) -> None:
        if not self._closed and "mention_store" in self.__dict__:
            self.mention_store.close()
        self._closed = True


_contexts: weakref.WeakKeyDictionary[Crawler, CrawlContext] = weakref.WeakKeyDictionary()


def crawl_context(crawler: Crawler) -> CrawlContext:
    """The runner passes a ready context in the settings; `scrapy crawl` builds one from YUQING_* variables."""
    context = _contexts.get(crawler)
    if context is None:
        given = crawler.settings.get(CONTEXT_SETTING)
        if isinstance(given, CrawlContext):
            context = given
        else:
            # Started as plain `scrapy crawl`: nobody migrated the workflow database for us.
            settings = Settings()
            context = CrawlContext(
                settings=settings, config=load_config(settings.config_dir, secrets_file=settings.secrets_file)
            )
            upgrade(settings.workflow_url)
        _contexts[crawler] = context
    return context
