"""What a crawl process needs, built once per crawler: settings, configuration and the stores; and the narrow
view of the store a spider is handed (`StoredPosts`): the spider reads what is stored of its source through it and
writes only by yielding items, which the pipeline and extensions store."""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from scrapy.crawler import Crawler
from sqlalchemy.orm import Session, sessionmaker

from config import Config, Settings, load_config
from store.mentions import CrawlBookkeeping, Mention, mention_id
from store.tokens import add_words, config_words
from store.workflow import make_engine, make_session_factory
from store.workflow.migrate import upgrade

CONTEXT_SETTING = "YUQING_CONTEXT"


@dataclass(frozen=True)
class StoredPosts:
    """What a spider may know of the store about its one source, read-only: the high-water mark, which listed posts
    are stored already, which young threads are due a revisit."""

    source_id: str
    _store: CrawlBookkeeping = field(repr=False)

    def latest_published(self) -> datetime | None:
        return self._store.latest_published(self.source_id)

    def known(self, post_ids: list[str]) -> set[str]:
        """Which of these post ids of the source are stored (or aliases of stored ones): what need not be fetched."""
        by_id = {mention_id(self.source_id, p): p for p in post_ids}
        return {by_id[i] for i in self._store.known_ids(list(by_id))}

    def revisit_due(self, *, published_since: datetime, seen_before: datetime, limit: int) -> list[Mention]:
        return self._store.revisit_due(
            self.source_id, published_since=published_since, seen_before=seen_before, limit=limit
        )


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

    def stored_posts(self, source_id: str) -> StoredPosts:
        """The spider's view of the store (handed over in its from_crawler)."""
        return StoredPosts(source_id, self.mention_store)

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
