"""The scheduled jobs. Each is safe to run again at any time: all progress is in the stores."""

from __future__ import annotations

import logging
import subprocess
import sys
from dataclasses import dataclass

from alerting.deadlines import check_deadlines
from alerting.delivery.sender import deliver_pending
from alerting.rules import run_rules
from analysis.job import analyse_pending
from store.workflow.db import utcnow
from yuqing.services import Services

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CrawlOutcome:
    source: str
    returncode: int
    timed_out: bool


def crawl_source(services: Services, source_id: str) -> CrawlOutcome:
    """One crawl in a subprocess: Scrapy's reactor cannot restart, and a hung crawl is killed at the timeout."""
    command = [sys.executable, "-m", "yuqing", "crawl", source_id]
    try:
        done = subprocess.run(
            command,
            env=services.subprocess_env(),
            timeout=services.settings.crawl_timeout_seconds,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    except subprocess.TimeoutExpired:
        log.error("crawl of %s timed out after %ss", source_id, services.settings.crawl_timeout_seconds)
        return CrawlOutcome(source_id, -1, True)
    if done.returncode != 0:
        log.error("crawl of %s failed (%s): %s", source_id, done.returncode, done.stderr[-2000:])
    return CrawlOutcome(source_id, done.returncode, False)


def analysis_tick(services: Services) -> int:
    return analyse_pending(services.mentions, services.analyser)


def alerting_tick(services: Services) -> dict[str, int]:
    """Rules, then the clock, then the outbox: a new incident's alert goes out in the same tick."""
    base_url = services.settings.base_url
    opened = run_rules(services.mentions, services.sessions, services.config, base_url=base_url, now=utcnow())
    breached = check_deadlines(services.sessions, services.config, base_url=base_url, now=utcnow())
    sent = deliver_pending(
        services.sessions,
        services.sender,
        max_attempts=services.config.alerting.delivery_attempts,
        now=utcnow(),
    )
    return {"opened": opened, "breached": breached, "sent": sent}
