"""Run one crawl of one source in this process (Scrapy's reactor cannot restart: one crawl a process)."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings as ScrapySettings

from config.masking import mask_logs
from crawlers.context import CONTEXT_SETTING, CrawlContext
from crawlers.spiders.base import spider_for
from store.mentions import NewMention


def scrapy_settings(context: CrawlContext, **overrides: Any) -> ScrapySettings:
    settings = ScrapySettings()
    settings.setmodule("crawlers.settings", priority="project")
    settings.set(CONTEXT_SETTING, context, priority="cmdline")
    settings.setdict(overrides, priority="cmdline")
    return settings


def run_crawl(context: CrawlContext, source_id: str, *, jsonl: Path | None = None, **overrides: Any) -> dict[str, Any]:
    """Crawl `source_id` once; returns Scrapy's stats. With `jsonl`, every post found is also written there."""
    source = context.config.source(source_id)
    # The CLI has set up logging already: a second root handler from Scrapy would print every line twice.
    own_handler = not logging.getLogger().handlers
    overrides.setdefault("LOG_INSTALL_ROOT_HANDLER", own_handler)
    process = CrawlerProcess(scrapy_settings(context, **overrides))
    mask_logs(context.config.mask)  # a key in a source's URL is logged as ${NAME}, never in clear
    crawler = process.create_crawler(spider_for(source.kind))
    out = jsonl.open("w", encoding="utf-8") if jsonl else None

    def item_scraped(item: Any, spider: Spider) -> None:
        if out is not None and isinstance(item, NewMention):
            out.write(json.dumps(asdict(item), ensure_ascii=False, default=_iso) + "\n")

    if out is not None:  # a receiver costs a dispatch for every item
        crawler.signals.connect(item_scraped, signal=signals.item_scraped)
    failures: list[Any] = []
    try:
        started = process.crawl(crawler, source=source_id)
        started.addErrback(failures.append)  # a component that cannot start (the store unreadable) fails here
        process.start()
    finally:
        if out is not None:
            out.close()
    if failures:
        failure = failures[0]
        raise CrawlDidNotStart(f"抓取未能开始：{type(failure.value).__name__}: {failure.getErrorMessage()}")
    assert crawler.stats is not None
    return dict(crawler.stats.get_stats())


def _iso(value: Any) -> str:
    """Times in a post's JSON line (its own and its official reply's) as ISO 8601."""
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


class CrawlDidNotStart(RuntimeError):
    """The crawl failed before its first request: the reason is the component's own error."""
