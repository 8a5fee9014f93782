"""The names of a crawl's statistics, listed once: the spiders, pipelines and middlewares write them into Scrapy's
stats collector, and the crawl health record, the `crawl` command's summary and the benches read them.

Scrapy-free, so a reader of the numbers need not load Scrapy."""

from __future__ import annotations

from enum import StrEnum


class CrawlStat(StrEnum):
    # Ours, written by crawlers/.
    LIST_PAGES = "yuqing/list_pages"
    CATCH_UP = "yuqing/catch_up"  # 1 when the last crawl's paging never finished, so this one pages on
    KNOWN_SKIPPED = "yuqing/known_skipped"
    REVISITED = "yuqing/revisited"
    REMOVED = "yuqing/removed"
    CREATED = "yuqing/created"
    UPDATED = "yuqing/updated"
    UNCHANGED = "yuqing/unchanged"
    COUNTS_CHANGED = "yuqing/counts_changed"
    DUPLICATE_CONTENT = "yuqing/duplicate_content"
    PARSE_FAILURES = "yuqing/parse_failures"
    ERRORS = "yuqing/errors"
    REFUSED = "yuqing/refused"
    REFUSED_URLS = "yuqing/refused_urls"
    BLOCKED_PRIVATE_ADDRESS = "yuqing/blocked_private_address"
    OVERSIZED_PAGES = "yuqing/oversized_pages"
    ENCODING_MISMATCHES = "yuqing/encoding_mismatches"
    # Scrapy's own, only read.
    FINISH_REASON = "finish_reason"
    ELAPSED_SECONDS = "elapsed_time_seconds"
    RESPONSES = "response_received_count"
    ITEMS = "item_scraped_count"
    REQUESTS = "downloader/request_count"
    ROBOTS_REQUESTS = "robotstxt/request_count"

    def __repr__(self) -> str:
        # Scrapy logs its stats with pprint when a crawl closes: the log keeps showing the plain key.
        return repr(self.value)
