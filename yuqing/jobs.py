"""The scheduled jobs. Each is safe to run again at any time: all progress is in the stores."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select

from alerting.clock import clock_tick
from alerting.delivery.sender import deliver_pending
from alerting.digests import send_digests
from alerting.operations import check_sources
from alerting.rules import run_rules
from alerting.service_health import Health, assess, raise_service_alerts
from analysis.job import analyse_pending
from briefings.schedule import briefing_tick
from config.names import source_name
from sources.runs import CrawlRun, record_run
from store.mentions import Analysis
from store.workflow.db import utcnow
from yuqing.leader import heartbeat_limit
from yuqing.services import Services

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CrawlOutcome:
    source: str
    returncode: int
    timed_out: bool
    aborted: bool = False  # stopped by the caller (a worker stopping or losing its lease), not the source's fault


# The failing crawls' logs kept beside the latest one, per source, for operators reading a run of failures.
FAILED_LOGS_KEPT = 5
# How much of a failed crawl's output goes into its recorded error (the whole log stays on disk).
TAIL_LINES = 6
TAIL_CHARS = 1500


def crawl_command(source_id: str) -> list[str]:
    """The crawl subprocess. `-P`: no working-directory entry goes on sys.path, so a folder there named like one of
    our packages (an operator's `config/`, a `store/` backup) cannot shadow the installed package."""
    return [sys.executable, "-P", "-m", "yuqing", "crawl", source_id, "--parent-pid", str(os.getpid())]


def crawl_source(services: Services, source_id: str, *, abort: threading.Event | None = None) -> CrawlOutcome:
    """One crawl in a subprocess: Scrapy's reactor cannot restart, and a hung crawl is killed at the timeout.

    The crawl's log goes to <data>/logs/crawl-<source>.log (the latest run), and a failed run's log is also kept as
    crawl-<source>.failed-<time>.log (the last few), for operators reading a failure. Every failure is recorded as a
    crawl run, counted toward the source's `failing_after`: a crawl that died before it could record its own run
    (an import error, a corrupt store, a signal, the timeout) is recorded here with the tail of its output. The
    subprocess dies with this process (Linux), so a killed scheduler or worker leaves no orphan crawl behind to race
    the crawl that retries it. Setting `abort` kills the crawl and records nothing against the source.
    """
    command = crawl_command(source_id)
    logs = services.settings.data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log_path = logs / f"crawl-{source_id}.log"
    timeout = services.settings.crawl_timeout_seconds
    started = utcnow()
    before = _last_run_id(services, source_id)
    deadline = time.monotonic() + timeout
    with log_path.open("wb") as out:
        process = subprocess.Popen(command, env=services.subprocess_env(), stdout=out, stderr=subprocess.STDOUT)
        try:
            returncode = _wait(process, deadline, abort)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    name = source_name(services.config, source_id)
    if returncode is None:
        if abort is not None and abort.is_set():
            log.warning("信源「%s」的抓取已中止（调度器或抓取节点停止、交出任务），下次重新抓取", name)
            return CrawlOutcome(source_id, process.returncode, False, aborted=True)
        log.error("信源「%s」的抓取超过 %s 秒未完成，已终止", name, timeout)
        _record_failed_crawl(services, source_id, started, "抓取超时，已终止", _tail(log_path))
        _keep_failed_log(log_path)
        return CrawlOutcome(source_id, -1, True)
    if returncode < 0:  # killed by a signal: its own health record never got written
        reason = f"抓取进程被信号 {-returncode} 终止"
        _record_failed_crawl(services, source_id, started, reason, _tail(log_path))
    elif returncode > 0 and _last_run_id(services, source_id) == before:  # died before recording its run
        reason = f"抓取进程异常退出（退出码 {returncode}）"
        _record_failed_crawl(services, source_id, started, reason, _tail(log_path))
    if returncode != 0:
        kept = _keep_failed_log(log_path)
        log.error("信源「%s」的抓取失败（退出码 %s），日志见 %s", name, returncode, kept or log_path)
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


def _last_run_id(services: Services, source_id: str) -> int:
    with services.sessions() as session:
        return session.scalar(select(func.max(CrawlRun.id)).where(CrawlRun.source == source_id)) or 0


def _tail(log_path: Path) -> str:
    """The last lines of a crawl's output: where a traceback says what went wrong."""
    try:
        with log_path.open("rb") as f:
            f.seek(max(0, log_path.stat().st_size - 16_384))
            text = f.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    return "\n".join(lines[-TAIL_LINES:])[-TAIL_CHARS:]


def _keep_failed_log(log_path: Path) -> Path | None:
    """Copy a failed crawl's log aside (the next run overwrites the latest log) and drop all but the newest few."""
    stamp = utcnow().strftime("%Y%m%dT%H%M%S%fZ")
    kept = log_path.with_name(f"{log_path.stem}.failed-{stamp}.log")
    try:
        shutil.copyfile(log_path, kept)
        for old in sorted(log_path.parent.glob(f"{log_path.stem}.failed-*.log"))[:-FAILED_LOGS_KEPT]:
            old.unlink(missing_ok=True)
    except OSError as exc:  # a full disk must not stop the failure being recorded
        log.warning("无法保留失败抓取的日志 %s：%s", log_path, exc)
        return None
    return kept


def _record_failed_crawl(services: Services, source_id: str, started: datetime, reason: str, tail: str) -> None:
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
            # Output written outside logging (an uncaught traceback) is not masked by the crawl's log handlers.
            error=services.config.mask(f"{reason}: {tail}" if tail else reason),
        )


def analysis_tick(services: Services, *, on_saved: Callable[[list[tuple[str, Analysis]]], None] | None = None) -> int:
    """`on_saved` hears of every saved batch: a major post analysed ahead of a backlog is alerted on at once."""
    if services.refresh_schemes():
        log.info("监测方案已在值班台修改：分析改用 %d 个方案", len(services.config.schemes))
    return analyse_pending(services.mentions, services.analyser, sessions=services.sessions, on_saved=on_saved)


def operations_tick(services: Services) -> tuple[int, int]:
    """Sources failing, quiet or no longer parsing, and the service's own health (stores, disk, backlog, outbox):
    operations alerts, opened and resolved."""
    now = utcnow()
    health = service_health(services)
    with services.sessions.begin() as session:
        opened, resolved = check_sources(session, services.config, now=now)
        more, fewer = raise_service_alerts(session, services.config, health, now=now)
    return opened + more, resolved + fewer


def service_health(services: Services) -> Health:
    settings = services.settings
    return assess(
        sessions=services.sessions,
        mentions=lambda: services.mentions,
        config=services.config,
        data_dir=settings.data_dir,
        heartbeat_limit_seconds=heartbeat_limit(settings.leader_retry_seconds),
        now=utcnow(),
    )


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
        # Connect and read timeouts each: an attempt past both is hung, and the recipient's next channel goes.
        attempt_seconds=2 * services.config.alerting.delivery_timeout_seconds,
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
