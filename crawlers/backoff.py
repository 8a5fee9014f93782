"""Retries with backoff: Scrapy retries at once; a struggling board gets a growing pause before each retry."""

from __future__ import annotations

import asyncio

from scrapy import Request, Spider
from scrapy.crawler import Crawler


class RetryBackoffMiddleware:
    def __init__(self, base: float, cap: float) -> None:
        self.base = base
        self.cap = cap

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryBackoffMiddleware:
        return cls(crawler.settings.getfloat("YUQING_RETRY_BACKOFF", 2.0), 60.0)

    def delay(self, retries: int) -> float:
        return 0.0 if retries <= 0 else min(self.base * 2 ** (retries - 1), self.cap)

    async def process_request(self, request: Request, spider: Spider) -> None:
        pause = self.delay(int(request.meta.get("retry_times", 0)))
        if pause > 0:
            await asyncio.sleep(pause)
