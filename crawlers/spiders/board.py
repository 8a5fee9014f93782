"""The configurable board spider: list pages → thread pages, selectors from the source definition.

`scrapy crawl board -a source=<source id>`. Threads already stored are not fetched again, and paging stops at a
list page whose posts are all known, so a re-crawl of an unchanged board costs one request.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from config import Source
from crawlers.context import CrawlContext, crawl_context
from crawlers.extract import extract_list, extract_thread
from store.mentions import NewMention, mention_id


class BoardSpider(scrapy.Spider):
    name = "board"

    def __init__(self, source: str = "", *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not source:
            raise ValueError("give the source id: scrapy crawl board -a source=<id>")
        self.source_id = source

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> BoardSpider:
        spider: BoardSpider = super().from_crawler(crawler, *args, **kwargs)
        spider.bind(crawl_context(crawler))
        return spider

    def bind(self, context: CrawlContext) -> None:
        self.context = context
        self.source: Source = context.config.source(self.source_id)
        self.allowed_domains = self.source.allowed_domains or sorted(
            {urlsplit(u).hostname or "" for u in self.source.start_urls}
        )
        self.allow_private_addresses = self.source.allow_private_addresses

    async def start(self) -> Any:
        for url in self.source.start_urls:
            yield scrapy.Request(url, callback=self.parse_list, errback=self.on_error, cb_kwargs={"page": 1})

    def _decoded(self, response: Response) -> TextResponse | None:
        if not isinstance(response, TextResponse):
            self._parse_failure(response.url, "not a text page")
            return None
        if self.source.encoding:
            return response.replace(encoding=self.source.encoding)
        return response

    def _parse_failure(self, url: str, reason: str) -> None:
        self.logger.warning("parse failure at %s: %s", url, reason)
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("yuqing/parse_failures")

    def on_error(self, failure: Failure) -> None:
        request = getattr(failure, "request", None)
        self.logger.error("request failed: %s: %s", getattr(request, "url", "?"), failure.getErrorMessage())
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("yuqing/errors")

    def parse_list(self, response: Response, page: int) -> Iterator[Any]:
        text_response = self._decoded(response)
        if text_response is None:
            return
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("yuqing/list_pages")
        found = extract_list(text_response, self.source)
        for url, reason in found.failures:
            self._parse_failure(url, reason)
        known = self._known_post_ids([e.post_id for e in found.entries])
        self.crawler.stats.inc_value("yuqing/known_skipped", len(known))
        unseen = [e for e in found.entries if e.post_id not in known]
        for entry in unseen:
            yield scrapy.Request(
                entry.url,
                callback=self.parse_thread,
                errback=self.on_error,
                cb_kwargs={"post_id": entry.post_id, "list_title": entry.title, "list_time": entry.time_text},
            )
        # Newest-first boards: a page with nothing new means everything older was crawled before.
        if unseen and found.next_url and page < self.source.list.max_pages:
            yield scrapy.Request(
                found.next_url, callback=self.parse_list, errback=self.on_error, cb_kwargs={"page": page + 1}
            )

    def _known_post_ids(self, post_ids: list[str]) -> set[str]:
        ids = [mention_id(self.source.id, p) for p in post_ids]
        return {m.post_id for m in self.context.mention_store.get_many(ids)}

    def parse_thread(
        self, response: Response, post_id: str, list_title: str | None, list_time: str | None
    ) -> Iterator[NewMention]:
        text_response = self._decoded(response)
        if text_response is None:
            return
        page = extract_thread(text_response, self.source, list_title=list_title, list_time=list_time)
        if page.failure:
            self._parse_failure(response.url, page.failure)
            return
        for warning in page.warnings:
            self.logger.warning("%s: kept with what did parse: %s", response.url, warning)
        if not page.content:
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("yuqing/parse_failures")
        yield NewMention(
            source=self.source.id,
            post_id=post_id,
            url=response.url,
            title=page.title or "",
            content=page.content,
            author=page.author,
            published_at=page.published_at,
            reply_count=page.reply_count,
            view_count=page.view_count,
            unit=self.source.unit,
        )
