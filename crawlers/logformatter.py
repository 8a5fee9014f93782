"""Scrapy's log formatter without the two DEBUG records a page costs (Crawled …, Scraped from …) when the crawl
logs at INFO or above: Scrapy's handler filters by LOG_LEVEL only after the record is built, formatted arguments
and all, twice a page. Returning None is LogFormatter's documented way to skip a message."""

from __future__ import annotations

import logging
from typing import Any, Self

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.http import Request, Response
from scrapy.logformatter import LogFormatter, LogFormatterResult
from twisted.python.failure import Failure


class QuietLogFormatter(LogFormatter):
    def __init__(self, level: int = logging.DEBUG) -> None:
        super().__init__()
        self.per_page = level <= logging.DEBUG

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        level = crawler.settings.get("LOG_LEVEL", "DEBUG")
        return cls(level if isinstance(level, int) else logging.getLevelName(str(level).upper()))

    def crawled(self, request: Request, response: Response, spider: Spider) -> LogFormatterResult | None:  # type: ignore[override]
        return super().crawled(request, response, spider) if self.per_page else None

    def scraped(self, item: Any, response: Response | Failure | None, spider: Spider) -> LogFormatterResult | None:  # type: ignore[override]
        return super().scraped(item, response, spider) if self.per_page else None
