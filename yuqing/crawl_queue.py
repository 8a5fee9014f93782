"""Crawl jobs shared through Redis, so crawls run on any number of worker processes or machines.

The scheduler enqueues one job per source at the source's interval, never a second one while the first is queued
or running (a per-source pending marker). Workers take jobs with BLMOVE into their own processing list (a reliable
queue: a job is always in some list), hold a per-source lease while the crawl runs — renewed by a heartbeat, so
one source is never crawled by two workers at once — and ack when done. A worker whose heartbeat lapses is reaped
by the others: its leases are released and its jobs go back to the front of the queue.

Keys (P = "<prefix>:crawl"):
  P:queue              list of job JSON; the scheduler pushes on the left, workers take from the right
  P:processing:<wid>   the jobs worker <wid> has taken and not yet acked
  P:workers            set of registered worker ids (the reaper's list)
  P:alive:<wid>        the worker's heartbeat, expiring after the lease
  P:pending:<source>   a job for the source is queued or running (value: the job id)
  P:lease:<source>     who crawls the source now (value: "<wid> <job id>"), expiring after the lease
  P:history            the latest finished jobs, newest first (for operators and tests)
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from dataclasses import asdict, dataclass
from typing import Any, cast

import redis

# A queued job's marker outlives any plausible wait in the queue; if it ever expires with the job still queued,
# the worst case is one extra (incremental, cheap) crawl of that source, never a concurrent one.
PENDING_TTL_SECONDS = 6 * 3600
HISTORY_LENGTH = 1000

_ENQUEUE = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[3]) then
  redis.call('LPUSH', KEYS[2], ARGV[2])
  return 1
end
return 0
"""

_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
"""

# Done with a job: off the processing list, lease and marker released, history kept. A worker that held the lease
# clears the marker only if the lease is still its own: otherwise it was reaped and the job is queued again.
_ACK = """
redis.call('LREM', KEYS[1], 1, ARGV[1])
local ours = true
if ARGV[6] == '1' then
  ours = redis.call('GET', KEYS[2]) == ARGV[2]
  if ours then redis.call('DEL', KEYS[2]) end
end
if ours and redis.call('GET', KEYS[3]) == ARGV[3] then redis.call('DEL', KEYS[3]) end
if ARGV[4] ~= '' then
  redis.call('LPUSH', KEYS[4], ARGV[4])
  redis.call('LTRIM', KEYS[4], 0, tonumber(ARGV[5]) - 1)
end
return 1
"""

# Hand a job back to the front of the queue (a worker stopping, or the reaper for a dead one); the marker stays.
_RELEASE = """
local n = redis.call('LREM', KEYS[1], 1, ARGV[1])
if redis.call('GET', KEYS[2]) == ARGV[2] then redis.call('DEL', KEYS[2]) end
if n > 0 then redis.call('RPUSH', KEYS[3], ARGV[1]) end
return n
"""

# A worker whose heartbeat expired: its jobs go back to the front of the queue and its leases are released, in one
# step, so two reapers never requeue a job twice. Keys are built here from the prefix (single-node Redis).
_REAP = """
if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
local n = 0
while true do
  local job = redis.call('LMOVE', KEYS[2], KEYS[3], 'LEFT', 'RIGHT')
  if not job then break end
  n = n + 1
  local ok, decoded = pcall(cjson.decode, job)
  if ok and type(decoded) == 'table' and decoded['source'] then
    local lease = ARGV[2] .. ':lease:' .. decoded['source']
    if redis.call('GET', lease) == ARGV[1] .. ' ' .. decoded['id'] then redis.call('DEL', lease) end
  end
end
redis.call('SREM', KEYS[4], ARGV[1])
return n
"""


@dataclass(frozen=True)
class CrawlJob:
    id: str
    source: str
    enqueued_at: float

    def encode(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def decode(cls, raw: str) -> CrawlJob:
        data = json.loads(raw)
        return cls(id=str(data["id"]), source=str(data["source"]), enqueued_at=float(data["enqueued_at"]))


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class CrawlQueue:
    """The Redis side of distributed crawling; every method is one round trip and safe from several threads."""

    def __init__(self, url: str, *, prefix: str = "yuqing", lease_seconds: float = 30.0) -> None:
        if lease_seconds <= 0:
            raise ValueError("lease_seconds must be positive")
        self.client: redis.Redis = redis.Redis.from_url(url, decode_responses=True, health_check_interval=30)
        self.base = f"{prefix}:crawl"
        self.lease_ms = int(lease_seconds * 1000)
        self._enqueue = self.client.register_script(_ENQUEUE)
        self._renew = self.client.register_script(_RENEW)
        self._ack = self.client.register_script(_ACK)
        self._release = self.client.register_script(_RELEASE)
        self._reap = self.client.register_script(_REAP)

    @property
    def lease_seconds(self) -> float:
        return self.lease_ms / 1000

    # --- keys -------------------------------------------------------------------------------------------------

    @property
    def queue_key(self) -> str:
        return f"{self.base}:queue"

    @property
    def workers_key(self) -> str:
        return f"{self.base}:workers"

    @property
    def history_key(self) -> str:
        return f"{self.base}:history"

    def processing_key(self, worker: str) -> str:
        return f"{self.base}:processing:{worker}"

    def alive_key(self, worker: str) -> str:
        return f"{self.base}:alive:{worker}"

    def pending_key(self, source: str) -> str:
        return f"{self.base}:pending:{source}"

    def lease_key(self, source: str) -> str:
        return f"{self.base}:lease:{source}"

    # --- the scheduler's side ---------------------------------------------------------------------------------

    def enqueue(self, source: str) -> CrawlJob | None:
        """Queue a crawl of `source` unless one is already queued or running; returns the new job or None."""
        job = CrawlJob(id=uuid.uuid4().hex, source=source, enqueued_at=time.time())
        added = self._enqueue(
            keys=[self.pending_key(source), self.queue_key], args=[job.id, job.encode(), PENDING_TTL_SECONDS]
        )
        return job if int(added) else None

    # --- the workers' side ------------------------------------------------------------------------------------

    def register(self, worker: str) -> None:
        """Before taking any job: a job moved to our processing list must be reapable if we die right after."""
        pipe = self.client.pipeline()
        pipe.set(self.alive_key(worker), "1", px=self.lease_ms)
        pipe.sadd(self.workers_key, worker)
        pipe.execute()

    def heartbeat(self, worker: str) -> None:
        pipe = self.client.pipeline()
        pipe.set(self.alive_key(worker), "1", px=self.lease_ms)
        pipe.sadd(self.workers_key, worker)  # back on the list if we were reaped while cut off
        pipe.execute()

    def unregister(self, worker: str) -> None:
        """A clean stop, after every taken job was acked or released."""
        self.reap(worker_to_check=worker, force=True)

    def take(self, worker: str, *, timeout: float) -> tuple[CrawlJob, str] | None:
        """Wait up to `timeout` seconds for a job; it lands on our processing list. Returns (job, raw JSON)."""
        # redis-py types the timeout as int, but Redis takes fractional seconds.
        wait = cast(int, timeout)
        raw = cast(str | None, self.client.blmove(self.queue_key, self.processing_key(worker), wait, "RIGHT", "LEFT"))
        if raw is None:
            return None
        try:
            return CrawlJob.decode(raw), raw
        except (ValueError, KeyError, TypeError):
            # Not ours to interpret: drop it from our list so it cannot wedge the queue.
            self.client.lrem(self.processing_key(worker), 1, raw)
            raise ValueError(f"malformed crawl job dropped: {raw[:200]!r}") from None

    def lease_value(self, worker: str, job: CrawlJob) -> str:
        return f"{worker} {job.id}"

    def acquire_lease(self, worker: str, job: CrawlJob) -> bool:
        value = self.lease_value(worker, job)
        return bool(self.client.set(self.lease_key(job.source), value, nx=True, px=self.lease_ms))

    def lease_holder(self, source: str) -> str | None:
        return cast(str | None, self.client.get(self.lease_key(source)))

    def renew_lease(self, worker: str, job: CrawlJob) -> bool:
        """False when the lease is no longer ours (we were reaped): the crawl must stop."""
        renewed = self._renew(keys=[self.lease_key(job.source)], args=[self.lease_value(worker, job), self.lease_ms])
        return bool(int(renewed))

    def ack(self, worker: str, job: CrawlJob, raw: str, *, leased: bool, record: dict[str, Any] | None = None) -> None:
        """Finish a job (`leased`: we held its lease; otherwise we dropped it without crawling)."""
        self._ack(
            keys=[
                self.processing_key(worker),
                self.lease_key(job.source),
                self.pending_key(job.source),
                self.history_key,
            ],
            args=[
                raw,
                self.lease_value(worker, job),
                job.id,
                json.dumps(record, ensure_ascii=False, sort_keys=True) if record else "",
                HISTORY_LENGTH,
                "1" if leased else "0",
            ],
        )

    def release(self, worker: str, job: CrawlJob, raw: str) -> bool:
        """Put a taken job back at the front of the queue for another worker (we are stopping)."""
        n = self._release(
            keys=[self.processing_key(worker), self.lease_key(job.source), self.queue_key],
            args=[raw, self.lease_value(worker, job)],
        )
        return bool(int(n))

    def reap(self, *, worker_to_check: str | None = None, force: bool = False) -> int:
        """Requeue the jobs of every registered worker whose heartbeat expired; returns how many jobs.

        `force` (with `worker_to_check`, a worker stopping cleanly) drops the heartbeat first."""
        if worker_to_check:
            workers = [worker_to_check]
        else:
            workers = sorted(cast(set[str], self.client.smembers(self.workers_key)))
        moved = 0
        for worker in workers:
            if force:
                self.client.delete(self.alive_key(worker))
            n = int(
                self._reap(
                    keys=[self.alive_key(worker), self.processing_key(worker), self.queue_key, self.workers_key],
                    args=[worker, self.base],
                )
            )
            moved += max(n, 0)
        return moved

    # --- reading ----------------------------------------------------------------------------------------------

    def queued(self) -> list[CrawlJob]:
        return [CrawlJob.decode(raw) for raw in cast(list[str], self.client.lrange(self.queue_key, 0, -1))]

    def history(self, limit: int = HISTORY_LENGTH) -> list[dict[str, Any]]:
        """Finished jobs, newest first."""
        return [json.loads(raw) for raw in cast(list[str], self.client.lrange(self.history_key, 0, limit - 1))]

    def status(self) -> dict[str, Any]:
        workers = sorted(cast(set[str], self.client.smembers(self.workers_key)))
        return {
            "queued": [job.source for job in reversed(self.queued())],
            "workers": {
                worker: {
                    "alive": bool(self.client.exists(self.alive_key(worker))),
                    "holding": [
                        CrawlJob.decode(raw).source
                        for raw in cast(list[str], self.client.lrange(self.processing_key(worker), 0, -1))
                    ],
                }
                for worker in workers
            },
        }

    def clear(self) -> None:
        """Delete every key under this queue's prefix (tests; an operator resetting a deployment)."""
        keys = list(self.client.scan_iter(match=f"{self.base}:*", count=500))
        if keys:
            self.client.delete(*keys)

    def close(self) -> None:
        self.client.close()
