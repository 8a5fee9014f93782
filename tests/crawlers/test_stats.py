"""Crawl statistics are named once (crawlers.stats.CrawlStat) and still read as the plain keys Scrapy knows."""

from __future__ import annotations

import pprint
import subprocess
import sys

from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from crawlers.stats import CrawlStat


def test_a_stat_written_by_name_is_read_by_its_plain_key_and_logged_as_one() -> None:
    stats = MemoryStatsCollector(get_crawler())
    stats.inc_value(CrawlStat.CREATED, 3)
    stats.inc_value("yuqing/created")
    assert stats.get_value("yuqing/created") == 4
    assert stats.get_value(CrawlStat.CREATED) == 4
    # Scrapy dumps its stats with pprint when a crawl closes: the log shows the key, not the enum.
    assert pprint.pformat(stats.get_stats()) == "{'yuqing/created': 4}"


def test_reading_the_names_loads_no_scrapy() -> None:
    code = "import sys, crawlers.stats; print('scrapy' in sys.modules, 'twisted' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]
