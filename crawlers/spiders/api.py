"""JSON APIs behind modern boards (12345 hotlines, app backends): `scrapy crawl api -a source=<source id>`.
Posts are read from the answer by the source's field paths; pages by its page-number template."""

from __future__ import annotations

from scrapy.http import TextResponse

from config import Source
from crawlers.extract import ListPage, extract_json
from crawlers.spiders.base import SourceSpider


class ApiSpider(SourceSpider):
    name = "api"

    @staticmethod
    def list_page(response: TextResponse, text: str, source: Source) -> ListPage:
        return extract_json(text, response.url, source)
