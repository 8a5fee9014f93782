"""The Scrapy extension that records each crawl's run and the source's health (sources.runs) when it ends."""

from __future__ import annotations

from scrapy import Spider, signals
from scrapy.crawler import Crawler

from crawlers.context import crawl_context
from crawlers.stats import CrawlStat
from sources.runs import CrawlRun, record_run
from store.workflow.db import utcnow


class CrawlHealthExtension:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.started_at = utcnow()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlHealthExtension:
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        self.started_at = utcnow()

    def spider_closed(self, spider: Spider, reason: str) -> None:
        stats = self.crawler.stats
        assert stats is not None
        pages = int(stats.get_value(CrawlStat.LIST_PAGES, 0))
        errors = int(stats.get_value(CrawlStat.ERRORS, 0))
        # A run succeeded when it read at least one list page and finished normally.
        ok = reason == "finished" and pages > 0
        run = CrawlRun(
            source=getattr(spider, "source_id", spider.name),
            started_at=self.started_at,
            finished_at=utcnow(),
            ok=ok,
            finish_reason=reason if ok or pages else f"{reason}: no list page read ({errors} errors)",
            pages=int(stats.get_value(CrawlStat.RESPONSES, 0)),
            items=int(stats.get_value(CrawlStat.ITEMS, 0)),
            new_items=int(stats.get_value(CrawlStat.CREATED, 0)),
            errors=errors,
            parse_failures=int(stats.get_value(CrawlStat.PARSE_FAILURES, 0)),
        )
        context = crawl_context(self.crawler)
        with context.workflow.begin() as session:
            record_run(session, run)
        context.close()
