"""`yuqing crawl-worker`: take crawl jobs from the shared Redis queue and run them, on any number of machines.

Each job runs the same crawl subprocess as the single-machine scheduler (with its timeout) while a heartbeat
thread renews the worker's liveness and the lease of every source it crawls. A lease that cannot be renewed in
time stops the crawl: by then another worker may have taken the job over, and a source is never crawled twice at
once. The heartbeat thread also reaps workers that went silent, putting their jobs back on the queue.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

import redis

from yuqing.crawl_queue import CrawlJob, CrawlQueue, new_worker_id
from yuqing.jobs import crawl_source
from yuqing.services import Services

log = logging.getLogger(__name__)

# Give up a lease we could not renew a little before Redis expires it, so our crawl is dead before anyone else's
# can start (Redis counts the lease from when it received our last renewal, later than when we sent it).
LEASE_SAFETY = 0.8


@dataclass
class _Running:
    job: CrawlJob
    raw: str
    abort: threading.Event = field(default_factory=threading.Event)
    lost: bool = False


class CrawlWorker:
    def __init__(
        self,
        services: Services,
        queue: CrawlQueue,
        *,
        concurrency: int = 1,
        worker_id: str | None = None,
        poll_seconds: float = 1.0,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.services = services
        self.queue = queue
        self.concurrency = concurrency
        self.id = worker_id or new_worker_id()
        self.poll_seconds = poll_seconds
        self.stop = threading.Event()
        self._beat_stop = threading.Event()
        self._running: dict[str, _Running] = {}
        # Jobs to hand back that Redis refused at the time (it was unreachable): retried by the heartbeat.
        self._to_release: list[tuple[CrawlJob, str]] = []
        self._lock = threading.Lock()
        self.done = 0

    # --- the whole worker -------------------------------------------------------------------------------------

    def run(self) -> int:
        """Until `stop` is set; then running crawls are stopped and their jobs handed back at once."""
        self.queue.register(self.id)
        log.info("抓取节点 %s：同时 %d 个抓取，租约 %.0f 秒", self.id, self.concurrency, self.queue.lease_seconds)
        beat = threading.Thread(target=self._heartbeat, name="crawl-heartbeat", daemon=True)
        beat.start()
        threads = [
            threading.Thread(target=self._take_jobs, name=f"crawl-job-{n}", daemon=True)
            for n in range(self.concurrency)
        ]
        for thread in threads:
            thread.start()
        self.stop.wait()
        with self._lock:
            for running in self._running.values():
                running.abort.set()
        for thread in threads:
            thread.join(timeout=self.poll_seconds + 30)
        self._beat_stop.set()  # only now: leases stay renewed while the stopped crawls hand their jobs back
        beat.join(timeout=self.queue.lease_seconds)
        try:
            self.queue.unregister(self.id)
        except redis.RedisError as exc:
            log.warning("无法注销抓取节点 %s（其任务将在租约到期后收回）：%s", self.id, exc)
        log.info("抓取节点 %s 已停止，共完成 %d 个抓取", self.id, self.done)
        return 0

    # --- heartbeat, leases, reaping ---------------------------------------------------------------------------

    def _heartbeat(self) -> None:
        every = self.queue.lease_seconds / 3
        last_ok = time.monotonic()
        while not self._beat_stop.is_set():
            sent = time.monotonic()
            try:
                self.queue.heartbeat(self.id)
                for running in self._snapshot():
                    if not self.queue.renew_lease(self.id, running.job):
                        log.error("失去信源 %s 的租约（被当作已失联？）：停止其抓取", running.job.source)
                        self._lose(running)
                last_ok = sent
                self._release_pending()
                reaped = self.queue.reap()
                if reaped:
                    log.warning("已把失联抓取节点的 %d 个抓取重新排队", reaped)
            except redis.RedisError as exc:
                if time.monotonic() - last_ok > self.queue.lease_seconds * LEASE_SAFETY:
                    log.error("Redis 长时间无法连接（%s）：停止本节点的全部抓取", exc)
                    for running in self._snapshot():
                        self._lose(running)
                else:
                    log.warning("心跳失败，正在重试：%s", exc)
            self._beat_stop.wait(max(0.0, every - (time.monotonic() - sent)))

    def _lose(self, running: _Running) -> None:
        running.lost = True
        running.abort.set()

    def _release_pending(self) -> None:
        with self._lock:
            pending, self._to_release = self._to_release, []
        for index, (job, raw) in enumerate(pending):
            try:
                self.queue.release(self.id, job, raw)
            except redis.RedisError:
                with self._lock:
                    self._to_release.extend(pending[index:])
                raise

    def _snapshot(self) -> list[_Running]:
        with self._lock:
            return list(self._running.values())

    # --- jobs -------------------------------------------------------------------------------------------------

    def _take_jobs(self) -> None:
        while not self.stop.is_set():
            try:
                got = self.queue.take(self.id, timeout=self.poll_seconds)
            except ValueError as exc:
                log.error("%s", exc)
                continue
            except redis.RedisError as exc:
                log.warning("无法从 Redis 取抓取任务：%s", exc)
                self.stop.wait(1.0)
                continue
            if got is not None:
                try:
                    self.handle(*got)
                except redis.RedisError as exc:
                    # The job stays on our processing list; a later release or the reaper puts it back.
                    log.error("信源 %s 抓取前后 Redis 出错：%s", got[0].source, exc)

    def handle(self, job: CrawlJob, raw: str) -> None:
        config = self.services.config
        source = next((s for s in config.sources if s.id == job.source), None)
        if source is None or not source.enabled:
            log.warning("丢弃信源 %s 的抓取任务：本节点的配置中没有启用的该信源", job.source)
            self.queue.ack(self.id, job, raw, leased=False, record=self._record(job, "unknown source"))
            return
        if not self.queue.acquire_lease(self.id, job):
            holder = self.queue.lease_holder(job.source)
            log.info("丢弃信源 %s 的重复抓取任务：%s 正在抓取它", job.source, holder)
            self.queue.ack(self.id, job, raw, leased=False, record=self._record(job, "already running"))
            return
        running = _Running(job, raw)
        with self._lock:
            self._running[job.id] = running
            if self.stop.is_set():  # stopped between taking the job and here: run() has aborted the others
                running.abort.set()
        started = time.time()
        try:
            aborted = running.abort.is_set()
            outcome = None if aborted else crawl_source(self.services, job.source, abort=running.abort)
        finally:
            with self._lock:
                del self._running[job.id]
        if outcome is None or running.lost or outcome.aborted:
            # Back to the queue unless the reaper did that already (then our lease is gone and this is a no-op).
            try:
                self.queue.release(self.id, job, raw)
            except redis.RedisError:
                with self._lock:
                    self._to_release.append((job, raw))
                raise
            return
        self.done += 1
        record = self._record(job, "crawled", started=started, returncode=outcome.returncode)
        record["timed_out"] = outcome.timed_out
        try:
            self.queue.ack(self.id, job, raw, leased=True, record=record)
        except redis.RedisError:
            # At least once: handed back later, the job is crawled again (incrementally: cheap, nothing doubled).
            with self._lock:
                self._to_release.append((job, raw))
            raise
        log.info("信源 %s 抓取完成，用时 %.1f 秒（退出码 %s）", job.source, time.time() - started, outcome.returncode)

    def _record(
        self, job: CrawlJob, outcome: str, *, started: float | None = None, returncode: int | None = None
    ) -> dict[str, object]:
        now = time.time()
        return {
            "job": job.id,
            "source": job.source,
            "worker": self.id,
            "outcome": outcome,
            "enqueued_at": job.enqueued_at,
            "started_at": started if started is not None else now,
            "finished_at": now,
            "returncode": returncode,
        }
