"""Sitemaps (sitemaps.org `<urlset>`): `scrapy crawl sitemap -a source=<source id>`. Each `<url>` whose `<loc>`
matches the source's `post_id_pattern` is a post (other pages of the site are passed over); its page is read with
the `thread` selectors, and `<lastmod>` stands in for the publication time the page does not give. A sitemap
index (`<sitemapindex>`) is refused with a reason: name its post sitemaps in `start_urls`."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

from parsel import Selector
from scrapy.http import TextResponse

from config import Source
from crawlers.extract import ListEntry, ListPage, canonical_url
from crawlers.spiders.base import SourceSpider


def _lastmod(text: str | None, tz: str) -> datetime | None:
    """W3C datetime (2026-11-29, or with a time and zone), in UTC; a date or time without a zone is the source's."""
    if not text or not text.strip():
        return None
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return (parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=ZoneInfo(tz))).astimezone(UTC)


def read_sitemap(text: str, url: str, source: Source) -> ListPage:
    try:
        root = Selector(text=text, type="xml")
    except ValueError as exc:
        return ListPage(0, [], None, [(url, f"不是站点地图（XML 无法解析：{exc}）")])
    root.remove_namespaces()
    if root.xpath("/sitemapindex"):
        return ListPage(0, [], None, [(url, "这是站点地图索引：请把其中含帖子的子地图写进 start_urls")])
    if not root.xpath("/urlset"):
        return ListPage(0, [], None, [(url, "不是站点地图（没有 <urlset>）")])
    assert source.post_id_pattern is not None  # SitemapSource requires it
    pattern = re.compile(source.post_id_pattern)
    urls = root.xpath("/urlset/url")
    entries: list[ListEntry] = []
    failures: list[tuple[str, str]] = []
    for item in urls:
        loc = (item.xpath("loc/text()").get() or "").strip()
        if not loc:
            failures.append((url, "站点地图条目没有 <loc>"))
            continue
        link = canonical_url(urljoin(url, loc))
        match = pattern.search(link)
        if match is None:
            continue  # a page of the site that is not a post
        entries.append(
            ListEntry(
                post_id=match.group(1),
                url=link,
                published_at=_lastmod(item.xpath("lastmod/text()").get(), source.timezone),
            )
        )
    # Newest first, as a board lists them: the high-water mark then reads the page as it reads a board's.
    entries.sort(key=lambda e: e.published_at.timestamp() if e.published_at else 0.0, reverse=True)
    unique: dict[str, ListEntry] = {}
    for entry in entries:
        unique.setdefault(entry.post_id, entry)  # the same post under two URLs is one entry
    return ListPage(len(urls), list(unique.values()), None, failures)


class SitemapSpider(SourceSpider):
    name = "sitemap"

    @staticmethod
    def list_page(response: TextResponse, text: str, source: Source) -> ListPage:
        return read_sitemap(text, response.url, source)
