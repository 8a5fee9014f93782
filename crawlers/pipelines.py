"""Items → the mention store, in batches; idempotent, so a repeated or restarted crawl never duplicates.

Three kinds of item: a NewMention (a post's page was read), a CountUpdate (a known post's replies and views
as its list shows them) and a Removed (the board removed a known post: marked at once, then dropped, so it is
not counted among the crawl's items). A new post whose text is already stored under another id of the same
source (the same thread reachable under two URLs, a board re-listing a post) is dropped as a duplicate and counted.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawlers.context import CrawlContext, crawl_context
from crawlers.items import Removed
from crawlers.stats import CrawlStat
from store.mentions import CountUpdate, NewMention
from store.mentions.content import content_hash

log = logging.getLogger(__name__)

# A batch is written when it has BATCH items or its oldest item waited FLUSH_SECONDS (checked as items arrive;
# the rest at the end of the crawl): large batches at speed, little delay on a slow, polite crawl.
BATCH = 100
FLUSH_SECONDS = 1.0


class MentionStorePipeline:
    def __init__(self, crawler: Crawler, context: CrawlContext) -> None:
        self.crawler = crawler
        self.context = context
        self.buffer: list[NewMention] = []
        self.counts: list[CountUpdate] = []
        self.oldest: float | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> MentionStorePipeline:
        return cls(crawler, crawl_context(crawler))

    @property
    def stats(self) -> Any:
        assert self.crawler.stats is not None
        return self.crawler.stats

    def process_item(self, item: Any, spider: Spider) -> Any:
        if isinstance(item, Removed):
            self.stats.inc_value(CrawlStat.REMOVED, self.context.mention_store.mark_deleted([item.id]))
            log.info("post %s of %s removed from the board (%s)", item.post_id, item.source, item.why)
            raise DropItem(f"removal of {item.id} recorded", log_level="DEBUG")
        if isinstance(item, CountUpdate):
            self.counts.append(item)
        else:
            self.buffer.append(item)
        now = time.monotonic()
        if self.oldest is None:
            self.oldest = now
        if len(self.buffer) + len(self.counts) >= BATCH or now - self.oldest >= FLUSH_SECONDS:
            self.flush()
        return item

    def flush(self) -> None:
        self.oldest = None
        store = self.context.mention_store
        if self.counts:
            self.stats.inc_value(CrawlStat.COUNTS_CHANGED, store.record_counts(self.counts))
            self.counts = []
        if not self.buffer:
            return
        items, self.buffer = self.buffer, []
        items, aliases = self.without_duplicates(items)
        result = store.upsert_many(items)
        store.add_aliases(aliases)  # after the posts they name are stored
        self.stats.inc_value(CrawlStat.CREATED, len(result.created))
        self.stats.inc_value(CrawlStat.UPDATED, len(result.updated))
        self.stats.inc_value(CrawlStat.UNCHANGED, len(result.unchanged))

    def without_duplicates(self, items: list[NewMention]) -> tuple[list[NewMention], dict[str, str]]:
        hashes = {item.id: content_hash(item.title, item.content) for item in items}
        by_source: dict[str, list[NewMention]] = {}
        for item in items:
            by_source.setdefault(item.source, []).append(item)
        kept: list[NewMention] = []
        aliases: dict[str, str] = {}
        for source, group in by_source.items():
            stored = self.context.mention_store.same_content(source, [hashes[i.id] for i in group])
            first_in_batch: dict[str, str] = {}
            for item in group:
                digest = hashes[item.id]
                owner = stored.get(digest) or first_in_batch.setdefault(digest, item.id)
                if owner != item.id and item.content.strip():
                    self.stats.inc_value(CrawlStat.DUPLICATE_CONTENT)
                    aliases[item.id] = owner
                    continue
                kept.append(item)
        return kept, aliases

    def close_spider(self, spider: Spider) -> None:
        self.flush()
