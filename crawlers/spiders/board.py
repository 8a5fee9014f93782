"""HTML boards: list pages → thread pages, selectors from the source definition.

`scrapy crawl board -a source=<source id>`. Threads already stored are not fetched again, and paging stops at a
list page with nothing new (or below the high-water mark), so a re-crawl of an unchanged board costs one request.
"""

from __future__ import annotations

from typing import ClassVar

from scrapy.http import TextResponse

from crawlers.extract import ListPage, extract_list
from crawlers.spiders.base import SourceSpider


class BoardSpider(SourceSpider):
    name = "board"
    kinds: ClassVar[tuple[str, ...]] = ("html",)

    def read_list(self, response: TextResponse, text: str) -> ListPage:
        return extract_list(response, self.source)
