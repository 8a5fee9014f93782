"""JSON APIs behind modern boards (12345 hotlines, app backends): `scrapy crawl api -a source=<source id>`.
Posts are read from the answer by the source's field paths; pages by its page-number template."""

from __future__ import annotations

from typing import ClassVar

from scrapy.http import TextResponse

from crawlers.extract import ListPage, extract_json
from crawlers.spiders.base import SourceSpider


class ApiSpider(SourceSpider):
    name = "api"
    kinds: ClassVar[tuple[str, ...]] = ("json",)

    def read_list(self, response: TextResponse, text: str) -> ListPage:
        return extract_json(text, response.url, self.source)
