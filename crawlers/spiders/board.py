"""The configurable board spider: list pages → thread pages, selectors from the source definition.

`scrapy crawl board -a source=<source id>`. Threads already stored are not fetched again, and paging stops at a
list page whose posts are all known, so a re-crawl of an unchanged board costs one request.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from config import Source
from crawlers.context import CrawlContext, crawl_context
from crawlers.timeparse import parse_post_time
from store.mentions import NewMention, mention_id

_NUMBER = re.compile(r"\d+")
# Text of an element without its scripts and styles, which boards often inline inside posts.
_TEXT_XPATH = ".//text()[normalize-space() and not(ancestor::script) and not(ancestor::style)]"


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
        self.post_id_re = re.compile(self.source.post_id_pattern)
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
        selectors = self.source.list
        found: list[tuple[str, str, dict[str, Any]]] = []
        items = text_response.css(selectors.item)
        if not items:
            self._parse_failure(response.url, f"list selector {selectors.item!r} matched nothing")
        for item in items:
            href = item.css(selectors.url).get()
            if not href:
                self._parse_failure(response.url, f"list item without a link ({selectors.url!r})")
                continue
            url = text_response.urljoin(href.strip())
            match = self.post_id_re.search(url)
            if match is None:
                self._parse_failure(url, "thread URL does not match post_id_pattern")
                continue
            hints = {
                "list_title": _first_text(item, selectors.title),
                "list_time": _first_text(item, selectors.published_at),
            }
            found.append((match.group(1), url, hints))
        known = self._known_post_ids([post_id for post_id, _, _ in found])
        self.crawler.stats.inc_value("yuqing/known_skipped", len(known))
        for post_id, url, hints in found:
            if post_id not in known:
                yield scrapy.Request(
                    url,
                    callback=self.parse_thread,
                    errback=self.on_error,
                    cb_kwargs={"post_id": post_id, **hints},
                )
        unseen = [post_id for post_id, _, _ in found if post_id not in known]
        next_href = text_response.css(selectors.next_page).get() if selectors.next_page else None
        # Newest-first boards: a page with nothing new means everything older was crawled before.
        if unseen and next_href and page < selectors.max_pages:
            yield text_response.follow(
                next_href.strip(),
                callback=self.parse_list,
                errback=self.on_error,
                cb_kwargs={"page": page + 1},
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
        selectors = self.source.thread
        warnings: list[str] = []
        title = _first_text(text_response, selectors.title) or list_title
        content = _all_text(text_response, selectors.content)
        if not title and not content:
            self._parse_failure(response.url, "thread page has neither title nor content")
            return
        if not title:
            warnings.append("no title")
        if not content:
            warnings.append("no content")
            self._parse_failure(response.url, f"content selector {selectors.content!r} matched nothing")
        time_text = _first_text(text_response, selectors.published_at) or list_time
        published_at = parse_post_time(time_text, tz=self.source.timezone)
        if time_text and published_at is None:
            warnings.append(f"unreadable time {time_text!r}")
        for warning in warnings:
            self.logger.warning("%s: kept with what did parse: %s", response.url, warning)
        yield NewMention(
            source=self.source.id,
            post_id=post_id,
            url=response.url,
            title=title or "",
            content=content,
            author=_first_text(text_response, selectors.author),
            published_at=published_at,
            reply_count=_count(_first_text(text_response, selectors.reply_count)),
            view_count=_count(_first_text(text_response, selectors.view_count)),
            unit=self.source.unit,
        )


def _first_text(node: Any, selector: str | None) -> str | None:
    if not selector:
        return None
    if "::" in selector:
        value = node.css(selector).get()
        return value.strip() or None if value else None
    texts = [t.strip() for el in node.css(selector)[:1] for t in el.xpath(_TEXT_XPATH).getall()]
    return " ".join(t for t in texts if t) or None


def _all_text(node: Any, selector: str) -> str:
    if "::" in selector:
        return "\n".join(t.strip() for t in node.css(selector).getall() if t.strip())
    return "\n".join(t.strip() for el in node.css(selector) for t in el.xpath(_TEXT_XPATH).getall() if t.strip())


def _count(text: str | None) -> int | None:
    if not text:
        return None
    match = _NUMBER.search(text.replace(",", ""))
    return int(match.group()) if match else None
