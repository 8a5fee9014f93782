"""Two real `yuqing crawl-worker` processes on loopback share the crawl queue in the real Redis server and crawl a
local sample board into one store: every source crawled, both workers busy, every post stored once, never one
source crawled by two workers at once, and a worker SIGKILLed mid-crawl has its job retried by the other."""

from __future__ import annotations

import itertools
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from yuqing.crawl_queue import CrawlJob, CrawlQueue
from yuqing.demo.board import SampleBoard

pytestmark = pytest.mark.slow

SOURCE = """
  - id: {id}
    name: 测试源 {id}
    start_urls: ["{base}/{board}/list"]
    post_id_pattern: "/{board}/thread/(\\\\d+)"
    unit: county
    interval_seconds: 3600
    allow_private_addresses: true
    download_delay: {delay}
    concurrency: {concurrency}
    revisit_hours: 0
    list:
      item: "li.post-item"
      url: "a.post-title::attr(href)"
      title: "a.post-title::text"
      published_at: "span.post-time::text"
      next_page: "a.next-page::attr(href)"
      max_pages: 3
    thread:
      title: "h1.thread-title::text"
      content: "div.thread-content"
      published_at: "div.thread-meta span.time::text"
      author: "div.thread-meta span.author::text"
"""


def sources_yaml(base: str, sources: dict[str, tuple[str, float, int]]) -> str:
    """id -> (board, download_delay, concurrency)."""
    entries = "".join(
        SOURCE.format(id=sid, base=base, board=board, delay=delay, concurrency=conc)
        for sid, (board, delay, conc) in sources.items()
    )
    return "sources:" + entries


@pytest.fixture
def board() -> Iterator[SampleBoard]:
    board = SampleBoard.with_seed()
    board.start()
    yield board
    board.stop()


@dataclass
class Workers:
    env: dict[str, str]
    logs: Path
    procs: dict[str, subprocess.Popen[bytes]]

    def start(self, worker_id: str) -> None:
        log = (self.logs / f"{worker_id}.log").open("wb")
        self.procs[worker_id] = subprocess.Popen(
            [sys.executable, "-m", "yuqing", "crawl-worker", "--worker-id", worker_id],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def log_text(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in self.logs.glob("*.log"))

    def stop(self) -> dict[str, int | None]:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        codes: dict[str, int | None] = {}
        for name, proc in self.procs.items():
            try:
                codes[name] = proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                codes[name] = None
        return codes


@pytest.fixture
def setup(
    tmp_path: Path, board: SampleBoard, make_config: Any, make_queue: Callable[..., CrawlQueue], redis_url: str
) -> Iterator[Callable[..., tuple[Workers, CrawlQueue, Path]]]:
    started: list[Workers] = []

    def make(sources: dict[str, tuple[str, float, int]], *, lease: float) -> tuple[Workers, CrawlQueue, Path]:
        config = make_config(
            tmp_path / "config", board_url=board.base_url, extra={"sources.yaml": sources_yaml(board.base_url, sources)}
        )
        data = tmp_path / "data"
        data.mkdir()
        queue = make_queue(lease_seconds=lease)
        env = dict(os.environ)
        env.update(
            YUQING_CONFIG_DIR=str(config),
            YUQING_DATA_DIR=str(data),
            YUQING_REDIS_URL=redis_url,
            YUQING_REDIS_PREFIX=queue.base.removesuffix(":crawl"),
            YUQING_CRAWL_LEASE_SECONDS=str(lease),
            YUQING_CRAWL_TIMEOUT_SECONDS="90",
        )
        env.pop("YUQING_WORKFLOW_DB", None)
        logs = tmp_path / "logs"
        logs.mkdir()
        workers = Workers(env, logs, {})
        started.append(workers)
        return workers, queue, data

    yield make
    for workers in started:
        workers.stop()


def wait_for(check: Callable[[], bool], timeout: float, what: str, logs: Callable[[], str]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout}s waiting for {what}\n{logs()}")


def both_registered(queue: CrawlQueue, names: set[str]) -> Callable[[], bool]:
    def check() -> bool:
        status = queue.status()["workers"]
        return set(status) == names and all(w["alive"] for w in status.values())

    return check


def crawl_runs(data: Path) -> list[tuple[str, datetime, datetime, bool]]:
    with sqlite3.connect(data / "workflow.sqlite3") as db:
        rows = db.execute("SELECT source, started_at, finished_at, ok FROM crawl_runs ORDER BY started_at").fetchall()
    return [(s, _time(a), _time(b), bool(ok)) for s, a, b, ok in rows]


def _time(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def stored(data: Path) -> dict[str, list[str]]:
    with sqlite3.connect(data / "mentions.sqlite3") as db:
        rows = db.execute("SELECT source, post_id FROM mentions").fetchall()
    by_source: dict[str, list[str]] = {}
    for source, post_id in rows:
        by_source.setdefault(source, []).append(post_id)
    return by_source


def test_two_workers_share_the_sources_and_never_crawl_one_twice_at_once(
    setup: Callable[..., tuple[Workers, CrawlQueue, Path]], board: SampleBoard
) -> None:
    sources = {
        "bx-1": ("baixing", 0.0, 4),
        "bx-2": ("baixing", 0.0, 4),
        "ts-1": ("tousu", 0.0, 4),
        "ts-2": ("tousu", 0.0, 4),
    }
    workers, queue, data = setup(sources, lease=5.0)
    workers.start("w1")
    workers.start("w2")
    wait_for(both_registered(queue, {"w1", "w2"}), 60, "both workers to register", workers.log_text)

    for source in sources:
        assert queue.enqueue(source) is not None
        # A second job for the same source, as if its marker had expired while it waited (bypasses enqueue):
        # whichever worker takes it must not crawl the source while the other does.
        queue.client.lpush(queue.queue_key, CrawlJob(f"dup-{source}", source, time.time()).encode())

    def finished() -> bool:
        done = {r["job"] for r in queue.history()}
        return len(done) == 2 * len(sources) and not queue.queued()

    wait_for(finished, 150, "every job to finish", workers.log_text)
    history = queue.history()
    crawled = [r for r in history if r["outcome"] == "crawled"]
    assert {r["source"] for r in crawled} == set(sources), workers.log_text()
    assert all(r["returncode"] == 0 for r in crawled), workers.log_text()
    assert {r["worker"] for r in history} == {"w1", "w2"}  # both did work
    assert {r["outcome"] for r in history} <= {"crawled", "already running"}

    # Every post of the board stored exactly once per source.
    expected = {
        "baixing": sorted(str(p.id) for p in board.posts("baixing")),
        "tousu": sorted(str(p.id) for p in board.posts("tousu")),
    }
    got = stored(data)
    for source, (board_id, _, _) in sources.items():
        assert sorted(got.get(source, [])) == expected[board_id], source

    # No two crawls of one source overlapped, by the health records the crawls wrote themselves.
    runs = crawl_runs(data)
    assert {r[0] for r in runs} == set(sources) and all(r[3] for r in runs)
    for source in sources:
        spans = sorted((a, b) for s, a, b, _ in runs if s == source)
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert start >= end, f"{source}: overlapping crawls {spans}"
    # ... nor by the workers' own records.
    for source in sources:
        spans = sorted((r["started_at"], r["finished_at"]) for r in crawled if r["source"] == source)
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert start >= end, f"{source}: overlapping crawls {spans}"

    # A clean stop unregisters both workers; nothing is left held.
    assert workers.stop() == {"w1": 0, "w2": 0}, workers.log_text()
    status = queue.status()
    assert status["workers"] == {} and status["queued"] == []


def _crawls_of(parent_pid: int) -> list[int]:
    """Crawl subprocesses started by `parent_pid` still running (their command line names the parent)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"crawl" in cmdline and b"--parent-pid" in cmdline and str(parent_pid).encode() in cmdline:
            found.append(int(entry.name))
    return found


def test_a_worker_killed_mid_crawl_has_its_job_retried_by_the_other(
    setup: Callable[..., tuple[Workers, CrawlQueue, Path]], board: SampleBoard
) -> None:
    # One slow source (a request every 0.3 s, one at a time) so the kill lands in the middle of its crawl.
    workers, queue, data = setup({"slow": ("baixing", 0.3, 1)}, lease=3.0)
    workers.start("w1")
    workers.start("w2")
    wait_for(both_registered(queue, {"w1", "w2"}), 60, "both workers to register", workers.log_text)
    views_before = sum(p.views for p in board.posts("baixing"))
    job = queue.enqueue("slow")
    assert job is not None

    wait_for(lambda: queue.lease_holder("slow") is not None, 30, "a worker to take the job", workers.log_text)
    holder = str(queue.lease_holder("slow")).split()[0]
    other = "w2" if holder == "w1" else "w1"
    # Mid-crawl: the board has served a few of the thread pages.
    wait_for(
        lambda: sum(p.views for p in board.posts("baixing")) >= views_before + 3,
        60,
        "the crawl to fetch thread pages",
        workers.log_text,
    )
    victim = workers.procs[holder]
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=10)
    killed_at = datetime.now().astimezone()

    # Its crawl subprocess dies with it, so it cannot race the retry.
    wait_for(lambda: not _crawls_of(victim.pid), 10, "the orphaned crawl to die", workers.log_text)

    def retried() -> bool:
        return any(r["outcome"] == "crawled" for r in queue.history())

    wait_for(retried, 90, "the other worker to retry the job", workers.log_text)
    (record,) = queue.history()
    assert record["worker"] == other and record["job"] == job.id and record["returncode"] == 0
    assert record["started_at"] >= killed_at.timestamp() + 0.5 * queue.lease_seconds  # only after the lease

    expected = sorted(str(p.id) for p in board.posts("baixing"))
    assert sorted(stored(data)["slow"]) == expected  # every post, none twice
    runs = crawl_runs(data)
    assert [r[0] for r in runs] == ["slow"] and runs[0][3]  # the killed crawl wrote nothing; the retry succeeded
    assert queue.status()["workers"].keys() == {other}  # the dead worker was reaped
    assert queue.enqueue("slow") is not None  # done: the source can be queued again


def test_a_worker_that_loses_its_lease_or_is_stopped_hands_the_job_back(
    setup: Callable[..., tuple[Workers, CrawlQueue, Path]], board: SampleBoard
) -> None:
    import threading

    from config import Settings
    from yuqing.crawl_worker import CrawlWorker
    from yuqing.services import Services

    workers, queue, data = setup({"slow": ("baixing", 0.5, 1)}, lease=1.5)
    env = workers.env
    settings = Settings(config_dir=Path(env["YUQING_CONFIG_DIR"]), data_dir=data, redis_url=env["YUQING_REDIS_URL"])
    services = Services.load(settings)
    worker = CrawlWorker(services, queue, worker_id="inproc", poll_seconds=0.2)
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        job = queue.enqueue("slow")
        assert job is not None
        wait_for(lambda: bool(_crawls_of(os.getpid())), 30, "the worker to start the crawl", str)
        # As if we had been reaped while cut off and another worker had taken the job over: our lease renewal
        # fails, so our crawl stops, and our late hand-back must leave the job where it is now.
        queue.client.lmove(queue.processing_key("inproc"), queue.processing_key("other"), "LEFT", "LEFT")
        queue.client.set(queue.lease_key("slow"), queue.lease_value("other", job), px=60_000)
        wait_for(lambda: not _crawls_of(os.getpid()), 10, "our crawl to stop", str)
        time.sleep(0.5)
        assert queue.queued() == [] and queue.client.llen(queue.processing_key("inproc")) == 0
        assert queue.client.llen(queue.processing_key("other")) == 1
        assert queue.lease_holder("slow") == queue.lease_value("other", job)
        assert queue.enqueue("slow") is None  # the marker still stands for the job the other worker has
        queue.client.delete(queue.lease_key("slow"))
        queue.client.lmove(queue.processing_key("other"), queue.queue_key, "LEFT", "RIGHT")

        # Taken again; then the worker is stopped mid-crawl: the job goes back at once, the marker stays.
        wait_for(lambda: queue.lease_holder("slow") is not None, 30, "the worker to retake the job", str)
        worker.stop.set()
        thread.join(timeout=30)
        assert not thread.is_alive()
        assert [j.id for j in queue.queued()] == [job.id]
        assert queue.lease_holder("slow") is None and queue.enqueue("slow") is None
        assert queue.status()["workers"] == {}
        assert queue.history() == []  # nothing was recorded as done
        runs = crawl_runs(data) if (data / "workflow.sqlite3").exists() else []
        assert all(ok for *_, ok in runs)  # a stopped crawl is not held against the source
    finally:
        worker.stop.set()
        thread.join(timeout=30)
        services.close()
