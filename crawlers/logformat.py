"""Scrapy's own log lines for a crawl, said in Chinese: Scrapy's LOG_FORMATTER hook (crawlers/settings.py) for
the lines it writes about each page, post and error. The engine's few lines about the crawl as a whole (opened,
closing, the periodic page count) are rewritten by the CLI's log filter (yuqing/logs.py), which also keeps
Scrapy's start-up narration (versions, enabled middlewares, overridden settings) out of an operator's log."""

from __future__ import annotations

import logging
from typing import Any, Self

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.http import Request, Response
from scrapy.logformatter import LogFormatter, LogFormatterResult
from twisted.python.failure import Failure


def _post(item: Any) -> str:
    """A post by its title (what an operator recognises), else its kind."""
    title = getattr(item, "title", None)
    return f"「{title}」" if title else type(item).__name__


class ChineseLogFormatter(LogFormatter):
    """The page's address stays as it is (an operator opens it); everything around it is Chinese. The two DEBUG
    records a page costs (downloaded, scraped) are not built at all when the crawl logs at INFO or above: Scrapy's
    handler filters by LOG_LEVEL only after the record is made, twice a page; returning None is LogFormatter's
    documented way to skip a message."""

    def __init__(self, level: int = logging.DEBUG) -> None:
        super().__init__()
        self.per_page = level <= logging.DEBUG

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        level = crawler.settings.get("LOG_LEVEL", "DEBUG")
        return cls(level if isinstance(level, int) else logging.getLevelName(str(level).upper()))

    def crawled(self, request: Request, response: Response, spider: Spider) -> LogFormatterResult | None:  # type: ignore[override]
        if not self.per_page:
            return None
        return {
            "level": logging.DEBUG,
            "msg": "已下载（HTTP %(status)s）%(url)s",
            "args": {"status": response.status, "url": request.url},
        }

    def scraped(self, item: Any, response: Response | Failure | None, spider: Spider) -> LogFormatterResult | None:  # type: ignore[override]
        if not self.per_page:
            return None
        return {"level": logging.DEBUG, "msg": "抓到帖子 %(post)s", "args": {"post": _post(item)}}

    def dropped(
        self, item: Any, exception: BaseException, response: Response | Failure | None, spider: Spider
    ) -> LogFormatterResult:
        return {
            "level": logging.INFO,
            "msg": "未收录帖子 %(post)s：%(why)s",
            "args": {"post": _post(item), "why": exception},
        }

    def item_error(
        self, item: Any, exception: BaseException, response: Response | Failure | None, spider: Spider
    ) -> LogFormatterResult:
        return {"level": logging.ERROR, "msg": "保存帖子 %(post)s 出错", "args": {"post": _post(item)}}

    def spider_error(
        self, failure: Failure, request: Request, response: Response | Failure, spider: Spider
    ) -> LogFormatterResult:
        return {"level": logging.ERROR, "msg": "解析页面出错：%(url)s", "args": {"url": request.url}}

    def download_error(
        self, failure: Failure, request: Request, spider: Spider, errmsg: str | None = None
    ) -> LogFormatterResult:
        why = f"：{errmsg}" if errmsg else ""
        return {"level": logging.ERROR, "msg": "下载失败：%(url)s%(why)s", "args": {"url": request.url, "why": why}}
