"""A public board that redirects to a private address is stopped there: the redirect Scrapy makes goes through
the address guard like any request. (Public addresses appear only as literals here: nothing is sent.)"""

from __future__ import annotations

import pytest
from scrapy import Request, Spider
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.test import get_crawler

from crawlers.backoff import RetryBackoffMiddleware
from crawlers.middlewares import AddressGuardMiddleware, is_private_host


class _Spider(Spider):
    name = "t"
    allow_private_addresses = False


@pytest.mark.parametrize(
    ("target", "refused"),
    [
        ("http://10.0.0.5/admin", True),
        ("http://192.168.1.1/", True),
        ("http://127.0.0.1:8080/", True),
        ("http://169.254.169.254/latest/meta-data/", True),  # cloud metadata
        ("http://[::1]/", True),
        ("http://8.8.8.8/next", False),
    ],
)
def test_redirect_to_a_private_address_is_refused(target: str, refused: bool) -> None:
    crawler = get_crawler(_Spider)
    spider = _Spider()
    guard = AddressGuardMiddleware.from_crawler(crawler)
    redirect = RedirectMiddleware.from_crawler(crawler)
    start = Request("http://1.2.4.8/list")
    assert guard.process_request(start, spider) is None  # the public start is fetched
    answer = Response(start.url, status=302, headers={"Location": target}, request=start)
    follow = redirect.process_response(start, answer)
    assert isinstance(follow, Request) and follow.url.startswith(target.split("/")[0])
    if refused:
        with pytest.raises(IgnoreRequest, match="private or loopback"):
            guard.process_request(follow, spider)
    else:
        assert guard.process_request(follow, spider) is None


def test_a_source_may_allow_private_addresses() -> None:
    spider = _Spider()
    spider.allow_private_addresses = True
    guard = AddressGuardMiddleware.from_crawler(get_crawler(_Spider))
    assert guard.process_request(Request("http://127.0.0.1/list"), spider) is None
    assert is_private_host("localhost") and not is_private_host("8.8.8.8")


def test_retry_backoff_grows_and_is_capped() -> None:
    backoff = RetryBackoffMiddleware(base=2.0, cap=60.0)
    assert [backoff.delay(n) for n in range(0, 8)] == [0.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]
