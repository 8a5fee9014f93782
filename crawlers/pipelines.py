"""Items → the mention store, in batches; idempotent, so a repeated or restarted crawl never duplicates."""

from __future__ import annotations

from scrapy import Spider
from scrapy.crawler import Crawler

from crawlers.context import CrawlContext, crawl_context
from store.mentions import NewMention

BATCH = 20


class MentionStorePipeline:
    def __init__(self, crawler: Crawler, context: CrawlContext) -> None:
        self.crawler = crawler
        self.context = context
        self.buffer: list[NewMention] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> MentionStorePipeline:
        return cls(crawler, crawl_context(crawler))

    def process_item(self, item: NewMention, spider: Spider) -> NewMention:
        self.buffer.append(item)
        if len(self.buffer) >= BATCH:
            self.flush()
        return item

    def flush(self) -> None:
        if not self.buffer:
            return
        result = self.context.mention_store.upsert_many(self.buffer)
        self.buffer = []
        stats = self.crawler.stats
        assert stats is not None
        stats.inc_value("yuqing/created", len(result.created))
        stats.inc_value("yuqing/updated", len(result.updated))
        stats.inc_value("yuqing/unchanged", len(result.unchanged))

    def close_spider(self, spider: Spider) -> None:
        self.flush()
