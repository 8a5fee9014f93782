"""RSS and Atom feeds: `scrapy crawl feed -a source=<source id>`. An item's text is its content or description,
unless the source gives thread selectors, when each new item's page is fetched for the whole text."""

from __future__ import annotations

from scrapy.http import TextResponse

from config import Source
from crawlers.extract import ListPage, extract_feed
from crawlers.spiders.base import SourceSpider


class FeedSpider(SourceSpider):
    name = "feed"

    @staticmethod
    def list_page(response: TextResponse, text: str, source: Source) -> ListPage:
        return extract_feed(text, response.url, source)
