"""The paging mark, a Scrapy extension: a crawl cut short (killed, timed out, a list page failed) must not
leave a gap. When the crawl opens, the source's paging is marked as under way; the spider learns whether the
last crawl's paging never finished (then "a page of known posts ends the paging" would stop above the posts
that crawl did not reach, so it pages on: `catch_up`). A crawl that finished with every list page read clears
the mark."""

from __future__ import annotations

from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler

from crawlers.context import CrawlContext, crawl_context
from store.workflow.cursors import read_cursor, write_cursor


def paging_cursor(source_id: str) -> str:
    return f"crawl.unfinished:{source_id}"[:100]


class PagingMark:
    def __init__(self, crawler: Crawler, context: CrawlContext) -> None:
        self.crawler = crawler
        self.context = context

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PagingMark:
        """Built after the spider (Scrapy creates the spider first), before its first request."""
        mark = cls(crawler, crawl_context(crawler))
        spider: Any = crawler.spider
        if spider is not None and hasattr(spider, "source_id"):
            spider.catch_up = mark.started(spider.source_id)
            if spider.catch_up:
                spider.logger.info("the last crawl of %s did not finish its list pages: paging on", spider.source_id)
        crawler.signals.connect(mark.spider_closed, signal=signals.spider_closed)
        return mark

    def started(self, source_id: str) -> bool:
        """Mark the source's paging as under way; True when the last crawl's paging never finished."""
        with self.context.workflow.begin() as session:
            unfinished = read_cursor(session, paging_cursor(source_id)) > 0
            write_cursor(session, paging_cursor(source_id), 1)
        return unfinished

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if reason == "finished" and hasattr(spider, "source_id") and not getattr(spider, "list_failed", True):
            with self.context.workflow.begin() as session:
                write_cursor(session, paging_cursor(spider.source_id), 0)
