"""HTML boards: list pages → thread pages, selectors from the source definition.

`scrapy crawl board -a source=<source id>`. Threads already stored are not fetched again, and paging stops at a
list page with nothing new (or below the high-water mark), so a re-crawl of an unchanged board costs one request.
"""

from __future__ import annotations

from scrapy.http import TextResponse

from config import Source
from crawlers.extract import ListPage, extract_list
from crawlers.spiders.base import SourceSpider


class BoardSpider(SourceSpider):
    name = "board"

    @staticmethod
    def list_page(response: TextResponse, text: str, source: Source) -> ListPage:
        return extract_list(response, source)
