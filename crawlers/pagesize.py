"""A maximum page size that cuts instead of dropping: past the source's max_page_bytes the download stops and
the part received is parsed, flagged `download_stopped` (a 20 MB thread still yields its title and first text).
"""

from __future__ import annotations

from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import StopDownload

DEFAULT_LIMIT = 5 * 1024 * 1024


class PageSizeLimit:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PageSizeLimit:
        ext = cls(crawler)
        crawler.signals.connect(ext.bytes_received, signal=signals.bytes_received)
        return ext

    def bytes_received(self, data: bytes, request: Request, spider: Spider) -> Any:
        source = getattr(spider, "source", None)
        limit = getattr(source, "max_page_bytes", DEFAULT_LIMIT)
        got = request.meta.get("yuqing_bytes", 0) + len(data)
        request.meta["yuqing_bytes"] = got
        if got > limit:
            raise StopDownload(fail=False)
        return None
