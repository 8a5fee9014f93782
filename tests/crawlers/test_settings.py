"""Scrapy settings that trade a run-time check for a test: what the crawl no longer checks for every response is
checked here, once, with Scrapy's own function."""

from __future__ import annotations

import inspect
from collections.abc import Iterator

from scrapy.utils.misc import is_generator_with_return_value

from config.sources import SOURCE_KINDS
from crawlers import settings
from crawlers.spiders.base import spider_for


def test_no_spider_callback_is_a_generator_that_returns_a_value() -> None:
    # What WARN_ON_GENERATOR_RETURN_VALUE would have warned about at run time: a value returned from a generator
    # callback is silently lost.
    assert settings.WARN_ON_GENERATOR_RETURN_VALUE is False
    checked = 0
    for kind in SOURCE_KINDS:
        spider = spider_for(kind)
        for name, member in inspect.getmembers(spider, inspect.isfunction):
            if inspect.isgeneratorfunction(member):
                assert not is_generator_with_return_value(member), f"{spider.__name__}.{name}"
                checked += 1
    assert checked >= 3  # parse_list, parse_thread and the feed and API spiders' own


def test_the_check_catches_a_generator_returning_a_value() -> None:
    def returns_a_value() -> Iterator[int]:
        yield 1
        return 2  # type: ignore[return-value]  # the very mistake the check is for

    def returns_nothing() -> Iterator[int]:
        yield 1
        return

    assert is_generator_with_return_value(returns_a_value)
    assert not is_generator_with_return_value(returns_nothing)
