"""RSS and Atom feeds: `scrapy crawl feed -a source=<source id>`. An item's text is its content or description,
unless the source gives thread selectors, when each new item's page is fetched for the whole text."""

from __future__ import annotations

from typing import ClassVar

from scrapy.http import TextResponse

from crawlers.extract import ListPage, extract_feed
from crawlers.spiders.base import SourceSpider


class FeedSpider(SourceSpider):
    name = "feed"
    kinds: ClassVar[tuple[str, ...]] = ("rss", "atom")

    def read_list(self, response: TextResponse, text: str) -> ListPage:
        return extract_feed(text, response.url, self.source)
