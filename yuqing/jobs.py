"""The scheduled jobs. Each is safe to run again at any time: all progress is in the stores."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime

from alerting.clock import clock_tick
from alerting.delivery.sender import deliver_pending
from alerting.digests import send_digests
from alerting.operations import check_sources
from alerting.rules import run_rules
from analysis.job import analyse_pending
from briefings.schedule import briefing_tick
from crawlers.health import CrawlRun, record_run
from store.workflow.db import utcnow
from yuqing.services import Services

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CrawlOutcome:
    source: str
    returncode: int
    timed_out: bool
    aborted: bool = False  # stopped by the caller (a worker stopping or losing its lease), not the source's fault


def crawl_source(services: Services, source_id: str, *, abort: threading.Event | None = None) -> CrawlOutcome:
    """One crawl in a subprocess: Scrapy's reactor cannot restart, and a hung crawl is killed at the timeout.

    The crawl's log goes to <data>/logs/crawl-<source>.log (the latest run), for operators reading a failure. The
    subprocess dies with this process (Linux), so a killed scheduler or worker leaves no orphan crawl behind to
    race the crawl that retries it. Setting `abort` kills the crawl and records nothing against the source.
    """
    command = [sys.executable, "-m", "yuqing", "crawl", source_id, "--parent-pid", str(os.getpid())]
    logs = services.settings.data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log_path = logs / f"crawl-{source_id}.log"
    timeout = services.settings.crawl_timeout_seconds
    started = utcnow()
    deadline = time.monotonic() + timeout
    with log_path.open("wb") as out:
        process = subprocess.Popen(command, env=services.subprocess_env(), stdout=out, stderr=subprocess.STDOUT)
        try:
            returncode = _wait(process, deadline, abort)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    if returncode is None:
        if abort is not None and abort.is_set():
            log.warning("crawl of %s stopped by the worker", source_id)
            return CrawlOutcome(source_id, process.returncode, False, aborted=True)
        log.error("crawl of %s timed out after %ss", source_id, timeout)
        _record_killed_crawl(services, source_id, started, "killed at the crawl timeout")
        return CrawlOutcome(source_id, -1, True)
    if returncode < 0:  # killed by a signal: its own health record never got written
        _record_killed_crawl(services, source_id, started, f"crawl process killed by signal {-returncode}")
    if returncode != 0:
        log.error("crawl of %s failed with exit code %s; see %s", source_id, returncode, log_path)
    return CrawlOutcome(source_id, returncode, False)


def _wait(process: subprocess.Popen[bytes], deadline: float, abort: threading.Event | None) -> int | None:
    """The exit code, or None at the deadline or on abort (the caller kills the process)."""
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or (abort is not None and abort.is_set()):
            return None
        try:
            return process.wait(timeout=min(left, 0.2) if abort is not None else left)
        except subprocess.TimeoutExpired:
            continue


def _record_killed_crawl(services: Services, source_id: str, started: datetime, reason: str) -> None:
    with services.sessions.begin() as session:
        record_run(
            session,
            CrawlRun(
                source=source_id,
                started_at=started,
                finished_at=utcnow(),
                ok=False,
                finish_reason=reason,
                pages=0,
                items=0,
                new_items=0,
                errors=1,
                parse_failures=0,
            ),
        )


def analysis_tick(services: Services) -> int:
    if services.refresh_schemes():
        log.info("schemes edited through the API: the analyser now uses %d schemes", len(services.config.schemes))
    return analyse_pending(services.mentions, services.analyser, sessions=services.sessions)


def operations_tick(services: Services) -> tuple[int, int]:
    """Sources failing, quiet or no longer parsing: operations alerts, opened and resolved."""
    with services.sessions.begin() as session:
        return check_sources(session, services.config, now=utcnow())


def alerting_tick(services: Services) -> dict[str, int]:
    """Rules, then the clock, then the outbox: a new incident's alert goes out in the same tick."""
    base_url = services.settings.base_url
    link = services.ack_links.link
    opened = run_rules(
        services.mentions,
        services.sessions,
        services.config,
        services.playbooks,
        base_url=base_url,
        now=utcnow(),
        ack_link=link,
    )
    digests = send_digests(services.mentions, services.sessions, services.config, now=utcnow())
    fired = clock_tick(
        services.sessions, services.config, base_url=base_url, now=utcnow(), ack_link=link, playbooks=services.playbooks
    )
    sent = deliver_pending(
        services.sessions,
        services.sender,
        max_attempts=services.config.alerting.delivery_attempts,
        now=utcnow(),
        config=services.config,
    )
    return {"opened": opened, "clock_steps": fired, "digests": digests, "sent": sent}


def briefings_tick(services: Services) -> int:
    """Queue the daily and weekly briefings that are due; the alerting tick's outbox run sends them."""
    return briefing_tick(
        services.mentions,
        services.sessions,
        services.config,
        base_url=services.settings.base_url,
        archive_dir=services.settings.data_dir / "briefings",
        now=utcnow(),
    )
