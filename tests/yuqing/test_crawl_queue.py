"""The Redis crawl queue against the real Redis server: markers, leases, acks, reaping (no crawls here)."""

from __future__ import annotations

import json
import time
from typing import Any

from yuqing.crawl_queue import CrawlJob, CrawlQueue


def test_a_source_is_queued_once_until_its_job_is_acked(make_queue: Any) -> None:
    queue: CrawlQueue = make_queue()
    first = queue.enqueue("board-a")
    assert first is not None
    assert queue.enqueue("board-a") is None  # queued already
    assert queue.enqueue("board-b") is not None
    assert [job.source for job in queue.queued()] == ["board-b", "board-a"]

    queue.register("w1")
    got = queue.take("w1", timeout=1)
    assert got is not None and got[0] == first  # first in, first out
    assert queue.acquire_lease("w1", first)
    assert queue.enqueue("board-a") is None  # running now
    queue.ack("w1", first, got[1], leased=True, record={"source": "board-a", "outcome": "crawled"})
    assert queue.lease_holder("board-a") is None
    assert queue.client.llen(queue.processing_key("w1")) == 0
    assert queue.history()[0]["source"] == "board-a"
    assert queue.enqueue("board-a") is not None  # done: due again


def test_take_times_out_on_an_empty_queue(make_queue: Any) -> None:
    queue: CrawlQueue = make_queue()
    started = time.monotonic()
    assert queue.take("w1", timeout=0.2) is None
    assert time.monotonic() - started < 2


def test_a_leased_source_is_not_leased_again(make_queue: Any) -> None:
    queue: CrawlQueue = make_queue()
    job = CrawlJob(id="j1", source="board-a", enqueued_at=0.0)
    other = CrawlJob(id="j2", source="board-a", enqueued_at=0.0)
    assert queue.acquire_lease("w1", job)
    assert not queue.acquire_lease("w2", other)
    assert queue.lease_holder("board-a") == "w1 j1"
    assert queue.renew_lease("w1", job)
    assert not queue.renew_lease("w2", other)


def test_a_silent_worker_is_reaped_and_its_job_retried_once(make_queue: Any) -> None:
    queue: CrawlQueue = make_queue(lease_seconds=0.5)
    job = queue.enqueue("board-a")
    assert job is not None
    queue.register("dead")
    got = queue.take("dead", timeout=1)
    assert got is not None and queue.acquire_lease("dead", job)
    queue.register("alive")
    assert queue.reap() == 0  # both heartbeats still fresh

    time.sleep(0.7)  # "dead" sends no heartbeat: its liveness and its lease expire
    queue.heartbeat("alive")
    assert queue.reap() == 1
    assert queue.reap() == 0  # never requeued twice
    assert queue.status()["workers"].keys() == {"alive"}
    again = queue.take("alive", timeout=1)
    assert again is not None and again[0] == job  # the same job, at the front of the queue
    assert queue.acquire_lease("alive", job)
    assert queue.enqueue("board-a") is None  # still pending: no second job meanwhile

    # The dead worker comes back: its lease is gone, and its late ack must not clear the retried job's marker.
    assert not queue.renew_lease("dead", job)
    queue.ack("dead", job, got[1], leased=True)
    assert queue.lease_holder("board-a") == queue.lease_value("alive", job)
    assert queue.enqueue("board-a") is None
    queue.ack("alive", job, again[1], leased=True)
    assert queue.enqueue("board-a") is not None


def test_a_reaped_worker_releases_only_its_own_leases(make_queue: Any) -> None:
    queue: CrawlQueue = make_queue(lease_seconds=30)
    job = queue.enqueue("board-a")
    assert job is not None
    queue.register("w1")
    got = queue.take("w1", timeout=1)
    assert got is not None
    queue.client.delete(queue.alive_key("w1"))  # as if its heartbeat had expired
    queue.client.set(queue.lease_key("board-a"), "w2 other-job")  # somebody else's lease on the source
    assert queue.reap() == 1
    assert queue.lease_holder("board-a") == "w2 other-job"


def test_release_hands_a_job_back_to_the_front(make_queue: Any) -> None:
    queue: CrawlQueue = make_queue()
    first = queue.enqueue("board-a")
    queue.enqueue("board-b")
    queue.register("w1")
    got = queue.take("w1", timeout=1)
    assert got is not None and got[0] == first and first is not None
    assert queue.acquire_lease("w1", first)
    assert queue.release("w1", first, got[1])
    assert queue.lease_holder("board-a") is None
    assert queue.enqueue("board-a") is None  # still pending
    assert [job.source for job in queue.queued()] == ["board-b", "board-a"]
    assert not queue.release("w1", first, got[1])  # already handed back: nothing more to do
    assert len(queue.queued()) == 2


def test_a_malformed_job_is_dropped_with_a_clear_error(make_queue: Any) -> None:
    queue: CrawlQueue = make_queue()
    queue.client.lpush(queue.queue_key, "not json")
    queue.register("w1")
    try:
        queue.take("w1", timeout=1)
    except ValueError as exc:
        assert "malformed crawl job" in str(exc)
    else:
        raise AssertionError("a malformed job was accepted")
    assert queue.client.llen(queue.processing_key("w1")) == 0
    assert json.loads(CrawlJob("x", "s", 1.0).encode()) == {"id": "x", "source": "s", "enqueued_at": 1.0}
