"""Safety: a crawl only reaches public addresses, unless its source explicitly allows private ones."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest

from crawlers.stats import CrawlStat


def is_private_host(host: str) -> bool:
    """True when `host` resolves to a loopback, private, link-local or reserved address."""
    try:
        infos = socket.getaddrinfo(host, None)
    except socket.gaierror:
        return False  # let the download fail with its own DNS error
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if address.is_private or address.is_loopback or address.is_link_local or address.is_reserved:
            return True
    return False


class AddressGuardMiddleware:
    """Runs for every request, redirects included (Scrapy re-schedules redirects through the downloader)."""

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AddressGuardMiddleware:
        return cls(crawler)

    def process_request(self, request: Request, spider: Spider) -> Any:
        if getattr(spider, "allow_private_addresses", False):
            return None
        host = urlsplit(request.url).hostname or ""
        if is_private_host(host):
            if self.stats is not None:
                self.stats.inc_value(CrawlStat.BLOCKED_PRIVATE_ADDRESS)
            raise IgnoreRequest(f"refused private or loopback address: {request.url}")
        return None
