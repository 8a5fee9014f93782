"""What every source spider does, whatever the shape of its list: decode pages without mojibake, skip posts
already stored, stop paging below the high-water mark, fetch and parse thread pages, revisit young threads for
replies, views, edits and removals, and count every failure with its reason instead of stopping.

Subclasses (board, feed, api) only read their list pages into entries.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import scrapy
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from config import Source
from config.sources import SOURCE_KINDS
from crawlers.context import StoredPosts, crawl_context
from crawlers.encoding import Decoded, decode_page
from crawlers.extract import ListEntry, ListPage, extract_thread, max_pages, page_url
from crawlers.items import Removed
from crawlers.stats import CrawlStat
from crawlers.timeparse import parse_post_time
from crawlers.urlcheck import allowed_post_url
from store.mentions import CountUpdate, NewMention, mention_id

# A list page whose posts are all older than the newest stored post by more than this ends the paging (boards
# sorted by last reply or with pinned posts shuffle a little around the mark).
HIGH_WATER_SLACK = timedelta(hours=1)
GONE = (404, 410)


class SourceSpider(scrapy.Spider):
    def __init__(self, source: str = "", *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not source:
            raise ValueError(f"give the source id: scrapy crawl {self.name} -a source=<id>")
        self.source_id = source

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> SourceSpider:
        spider: SourceSpider = super().from_crawler(crawler, *args, **kwargs)
        context = crawl_context(crawler)
        spider.bind(context.config.source(spider.source_id), context.stored_posts(spider.source_id))
        return spider

    def bind(self, source: Source, stored: StoredPosts) -> None:
        """The spider's source and its read-only view of what is stored of it; it writes only by yielding items
        (crawlers/pipelines.py stores them; crawlers/paging.py and crawlers/health.py keep the crawl's state)."""
        self.source = source
        self.stored = stored
        if spider_for(self.source.kind) is not type(self):
            raise ValueError(
                f"source {self.source.id} is of kind {self.source.kind}; crawl it with the "
                f"{SOURCE_KINDS[self.source.kind].spider_name} spider"
            )
        self.allowed_domains = self.source.hosts
        self.allow_private_addresses = self.source.allow_private_addresses
        if self.crawler.settings.getbool("YUQING_SOURCE_POLITENESS", True):
            # Read by Scrapy's downloader for this spider's slots: the source's own pace.
            self.download_delay = self.source.download_delay
            self.max_concurrent_requests = self.source.concurrency
        self.now = datetime.now(UTC)
        self.high_water = stored.latest_published()
        self.list_failed = False
        self.catch_up = False  # set by the paging mark (crawlers/paging.py) before the first request

    @property
    def stats(self) -> Any:
        assert self.crawler.stats is not None
        return self.crawler.stats

    def request(self, url: str, callback: Any, **kwargs: Any) -> scrapy.Request:
        meta = kwargs.pop("meta", {})
        if not self.source.obey_robots:
            meta["dont_obey_robotstxt"] = True
        return scrapy.Request(url, callback=callback, errback=self.on_error, meta=meta, **kwargs)

    async def start(self) -> Any:
        if self.catch_up:
            self.stats.set_value(CrawlStat.CATCH_UP, 1)
        for url in self.source.start_urls:
            yield self.request(url, self.parse_list, cb_kwargs={"page": 1})
        for request in self.revisits():
            yield request

    # --- decoding and failures ----------------------------------------------------------------------------

    def decoded(self, response: Response) -> tuple[TextResponse, Decoded] | None:
        if not isinstance(response, TextResponse) and not _looks_textual(response):
            self.parse_failure(response.url, "not a text page")
            return None
        content_type = response.headers.get("Content-Type")
        decoded = decode_page(
            response.body,
            content_type=content_type.decode("latin-1") if content_type else None,
            override=self.source.encoding,
            truncated="download_stopped" in response.flags,
        )
        if decoded.note:
            self.logger.warning("%s: %s", response.url, decoded.note)
            self.stats.inc_value(CrawlStat.ENCODING_MISMATCHES)
        if "download_stopped" in response.flags:
            self.stats.inc_value(CrawlStat.OVERSIZED_PAGES)
            self.logger.warning("%s: cut at %s bytes (max_page_bytes)", response.url, self.source.max_page_bytes)
        text = HtmlResponse(
            url=response.url,
            status=response.status,
            headers=response.headers,
            body=decoded.text.encode("utf-8"),
            encoding="utf-8",
            flags=response.flags,
            request=response.request,
        )
        return text, decoded

    def notes_for(self, response: Response) -> tuple[str, ...]:
        if "download_stopped" in response.flags:
            return (f"页面超过 {self.source.max_page_bytes} 字节，已截断",)
        return ()

    def keeps_url(self, entry: ListEntry) -> bool:
        """A post whose URL is not http(s) on the source's own domains is refused, counted, never stored."""
        if allowed_post_url(entry.url, self.source.hosts):
            return True
        self.logger.warning(
            "refused post %s: its URL %r is not http(s) on %s", entry.post_id, entry.url[:200], self.source.hosts
        )
        self.stats.inc_value(CrawlStat.REFUSED_URLS)
        return False

    def parse_failure(self, url: str, reason: str) -> None:
        self.logger.warning("parse failure at %s: %s", url, reason)
        self.stats.inc_value(CrawlStat.PARSE_FAILURES)

    def on_error(self, failure: Failure) -> None:
        request = getattr(failure, "request", None)
        if failure.check(IgnoreRequest) and not failure.check(
            HttpError
        ):  # robots.txt or the private-address rule said no: not the board's fault
            self.logger.warning("not fetched: %s: %s", getattr(request, "url", "?"), failure.getErrorMessage())
            self.stats.inc_value(CrawlStat.REFUSED)
            return
        if request is not None and getattr(request, "callback", None) == self.parse_list:
            self.list_failed = True  # the pages after it were not read: the next crawl pages on
        self.logger.error("request failed: %s: %s", getattr(request, "url", "?"), failure.getErrorMessage())
        self.stats.inc_value(CrawlStat.ERRORS)

    # --- list pages -----------------------------------------------------------------------------------------

    @staticmethod
    def list_page(response: TextResponse, text: str, source: Source) -> ListPage:
        """The posts of one list page of `source` (each kind's spider reads its own format)."""
        raise NotImplementedError

    def read_list(self, response: TextResponse, text: str) -> ListPage:
        return self.list_page(response, text, self.source)

    def parse_list(self, response: Response, page: int) -> Iterator[Any]:
        got = self.decoded(response)
        if got is None:
            return
        text_response, decoded = got
        self.stats.inc_value(CrawlStat.LIST_PAGES)
        found = self.read_list(text_response, decoded.text)
        for url, reason in found.failures:
            self.parse_failure(url, reason)
        found = replace(found, entries=[e for e in found.entries if self.keeps_url(e)])
        known = self.known_post_ids([e.post_id for e in found.entries])
        self.stats.inc_value(CrawlStat.KNOWN_SKIPPED, len(known))
        counts = [
            CountUpdate(
                mention_id(self.source.id, e.post_id), e.reply_count, e.view_count, e.status, e.up_votes, e.down_votes
            )
            for e in found.entries
            if e.post_id in known
            and (
                e.reply_count is not None
                or e.view_count is not None
                or e.status
                or e.up_votes is not None
                or e.down_votes is not None
            )
        ]
        if counts:
            yield from counts
        unseen = [e for e in found.entries if e.post_id not in known]
        for entry in unseen:
            yield from self.follow_entry(entry, self.notes_for(response))
        next_url = found.next_url or page_url(self.source, page + 1)
        go_on = self.catch_up or (unseen and not self.below_high_water(found.entries))
        if go_on and next_url and page < max_pages(self.source):
            yield self.request(next_url, self.parse_list, cb_kwargs={"page": page + 1})

    def follow_entry(self, entry: ListEntry, notes: tuple[str, ...]) -> Iterator[Any]:
        """Fetch the thread page, or, for a feed or API that carries the text and has no thread selectors,
        store the entry as it is."""
        if self.source.thread is not None:
            yield self.request(entry.url, self.parse_thread, cb_kwargs={"entry": entry, "revisit": False})
        elif entry.title or entry.content:
            yield self.mention(entry, title=entry.title, content=entry.content or "", notes=notes)
        else:
            self.parse_failure(entry.url, "条目既没有标题也没有正文")

    def known_post_ids(self, post_ids: list[str]) -> set[str]:
        return self.stored.known(post_ids)

    def below_high_water(self, entries: list[ListEntry]) -> bool:
        """Every dated post on this page is older than what is stored already: older pages hold nothing new."""
        if self.high_water is None:
            return False
        times = [e.published_at or _list_time(e, self.source.timezone) for e in entries]
        dated = [t for t in times if t is not None]
        return bool(dated) and len(dated) == len(entries) and max(dated) < self.high_water - HIGH_WATER_SLACK

    # --- thread pages ---------------------------------------------------------------------------------------

    def parse_thread(self, response: Response, entry: ListEntry | None, revisit: bool) -> Iterator[Any]:
        post_id = entry.post_id if entry else response.meta["post_id"]
        if response.status in GONE:
            yield self.gone(post_id, f"HTTP {response.status}")
            return
        got = self.decoded(response)
        if got is None:
            return
        text_response, decoded = got
        page = extract_thread(text_response, self.source, entry=entry, text=decoded.text)
        if page.deleted and revisit:
            yield self.gone(post_id, "the board says it was removed")
            return
        if page.failure:
            self.parse_failure(response.url, page.failure)
            return
        for warning in page.warnings:
            self.logger.warning("%s: kept with what did parse: %s", response.url, warning)
        if not page.content:
            self.stats.inc_value(CrawlStat.PARSE_FAILURES)
        if revisit:
            self.stats.inc_value(CrawlStat.REVISITED)
        yield NewMention(
            source=self.source.id,
            post_id=post_id,
            url=entry.url if entry else response.url,
            title=page.title or "",
            content=page.content,
            author=page.author,
            published_at=page.published_at,
            # A revisit's list count is the stored one, read when the revisit was scheduled: the list page of
            # this crawl may have recorded a newer one since, which the store keeps when this gives none.
            reply_count=None if revisit and page.reply_count_from == "list" else page.reply_count,
            view_count=page.view_count,
            unit=self.source.unit,
            status=page.status,
            notes=self.notes_for(response),
            up_votes=page.up_votes,
            down_votes=page.down_votes,
            official_reply=page.official_reply,
        )

    def mention(self, entry: ListEntry, *, title: str | None, content: str, notes: tuple[str, ...]) -> NewMention:
        return NewMention(
            source=self.source.id,
            post_id=entry.post_id,
            url=entry.url,
            title=title or "",
            content=content,
            author=entry.author,
            published_at=entry.published_at or _list_time(entry, self.source.timezone),
            reply_count=entry.reply_count,
            view_count=entry.view_count,
            unit=self.source.unit,
            status=entry.status,
            notes=notes,
            up_votes=entry.up_votes,
            down_votes=entry.down_votes,
        )

    # --- revisits -------------------------------------------------------------------------------------------

    def revisits(self) -> Iterator[scrapy.Request]:
        """Young threads not fetched for a while: their replies and views (heat over time), edits, removal."""
        source = self.source
        if source.thread is None or source.revisit_hours <= 0 or source.revisit_limit <= 0:
            return
        due = self.stored.revisit_due(
            published_since=self.now - timedelta(hours=source.revisit_hours),
            seen_before=self.now - timedelta(seconds=source.revisit_every_seconds),
            limit=source.revisit_limit,
        )
        for mention in due:
            # The stored count came from the list: it still beats counting the replies shown on one page.
            entry = ListEntry(
                post_id=mention.post_id, url=mention.url, title=mention.title, reply_count=mention.reply_count
            )
            yield self.request(
                mention.url,
                self.parse_thread,
                cb_kwargs={"entry": entry, "revisit": True},
                meta={"handle_httpstatus_list": list(GONE)},
                priority=-1,  # new posts first
            )

    def gone(self, post_id: str, why: str) -> Removed:
        """What the pipeline records (crawlers/pipelines.py): the post stays stored, marked removed."""
        return Removed(source=self.source.id, post_id=post_id, why=why)


def _list_time(entry: ListEntry, tz: str) -> datetime | None:
    return parse_post_time(entry.time_text, tz=tz)


def _looks_textual(response: Response) -> bool:
    """Feeds and APIs are often served as application/octet-stream or without a type."""
    head = response.body[:200].lstrip()
    return head[:1] in (b"<", b"{", b"[") or head.startswith(b"\xef\xbb\xbf")


def spider_for(kind: str) -> type[SourceSpider]:
    """The spider class of a source kind, from the registry (config.sources.SOURCE_KINDS)."""
    module, _, name = SOURCE_KINDS[kind].spider.partition(":")
    spider: type[SourceSpider] = getattr(importlib.import_module(module), name)
    return spider
