"""Exactly one APScheduler process drives crawls, analysis and alerting.

Job definitions come from the configuration at start-up (in-memory job store, never shared); everything that
must survive a restart — mentions, incidents, deadlines, the outbox — lives in the stores.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import redis
from apscheduler.schedulers.background import BackgroundScheduler

from store.mentions import Analysis
from yuqing.jobs import alerting_tick, analysis_tick, briefings_tick, crawl_source, operations_tick
from yuqing.services import Services

log = logging.getLogger(__name__)


class Pipeline:
    """Wires the jobs so that fresh work flows on at once instead of waiting for the next interval."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.scheduler = BackgroundScheduler(
            timezone=UTC, job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60}
        )
        self._stopping = threading.Event()
        self._running = 0
        self._idle = threading.Condition()

    def _job(self, work: Callable[..., None]) -> Callable[..., None]:
        """Count running jobs, so stop() can let them finish before the scheduler shuts down."""

        @functools.wraps(work)
        def run(*args: Any) -> None:
            with self._idle:
                self._running += 1
            try:
                work(*args)
            finally:
                with self._idle:
                    self._running -= 1
                    self._idle.notify_all()

        return run

    def _poke(self, job_id: str) -> None:
        # Never call into the scheduler while it stops: its shutdown holds the lock get_job needs.
        if self._stopping.is_set():
            return
        job = self.scheduler.get_job(job_id)
        if job is not None:
            job.modify(next_run_time=datetime.now(UTC))

    def _crawl(self, source_id: str) -> None:
        queue = self.services.crawl_queue
        if queue is None:
            # Stopping (Ctrl+C, a deploy's SIGTERM, a lost lock) ends a running crawl at once instead of waiting up
            # to its timeout: what it stored stays, and the next start crawls the source again.
            crawl_source(self.services, source_id, abort=self._stopping)
            self._poke("analysis")
            return
        # Crawl workers run it; analysis picks the new posts up at its interval.
        try:
            if queue.enqueue(source_id) is None:
                log.debug("crawl of %s still queued or running; not queued again", source_id)
        except redis.RedisError as exc:  # Redis down: the next interval tries again; the scheduler must not stop
            log.error("无法把信源 %s 的抓取放入队列：%s", source_id, exc)

    def _analyse(self) -> None:
        # Alerting runs as soon as a batch with a flagged post is saved, not after the whole backlog.
        def saved(results: list[tuple[str, Analysis]]) -> None:
            if any(a.level or a.flags for _, a in results):
                self._poke("alerting")

        if analysis_tick(self.services, on_saved=saved):
            self._poke("alerting")

    def _alert(self) -> None:
        alerting_tick(self.services)

    def _operations(self) -> None:
        if any(operations_tick(self.services)):
            self._poke("alerting")  # its outbox sends the operations notice

    def _brief(self) -> None:
        if briefings_tick(self.services):
            self._poke("alerting")  # the outbox goes out now, not at the next interval

    def start(self) -> None:
        now = datetime.now(UTC)
        settings = self.services.settings
        for source in self.services.config.sources:
            if source.enabled:
                self.scheduler.add_job(
                    self._job(self._crawl),
                    "interval",
                    seconds=source.interval_seconds,
                    args=[source.id],
                    id=f"crawl:{source.id}",
                    next_run_time=now,
                )
        self.scheduler.add_job(
            self._job(self._analyse),
            "interval",
            seconds=settings.analysis_interval_seconds,
            id="analysis",
            next_run_time=now,
        )
        self.scheduler.add_job(
            self._job(self._alert),
            "interval",
            seconds=settings.alerting_interval_seconds,
            id="alerting",
            next_run_time=now,
        )
        self.scheduler.add_job(
            self._job(self._operations),
            "interval",
            seconds=settings.operations_interval_seconds,
            id="operations",
            next_run_time=now,
        )
        # Every minute: the cursors make a tick that finds nothing due cost two small reads.
        self.scheduler.add_job(self._job(self._brief), "interval", seconds=60, id="briefings", next_run_time=now)
        self.scheduler.start()
        log.info("调度器已启动，共 %d 项定时任务", len(self.scheduler.get_jobs()))

    def stop(self) -> None:
        """Let running jobs finish (a crawl is bounded by its timeout), then stop. Nothing is lost either way:
        all progress is in the stores."""
        if not self.scheduler.running:
            return
        self._stopping.set()
        self.scheduler.pause()
        with self._idle:
            self._idle.wait_for(lambda: self._running == 0, timeout=self.services.settings.crawl_timeout_seconds + 30)
        self.scheduler.shutdown(wait=False)
        log.info("调度器已停止")
