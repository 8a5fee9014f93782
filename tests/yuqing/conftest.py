"""Redis for the crawl-queue tests: the real server on 127.0.0.1:6379 (.ci/run starts it), a key prefix per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import redis

from yuqing.crawl_queue import CrawlQueue


def _redis_url() -> str:
    return os.environ.get("YUQING_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = _redis_url()
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.skip(f"no Redis server reachable at {url} ({exc}); .ci/run starts one with redis-server")
    return url


@pytest.fixture
def redis_prefix() -> str:
    return f"yuqing-test-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def make_queue(redis_url: str, redis_prefix: str) -> Iterator[object]:
    """CrawlQueue(lease_seconds=…) on this test's own prefix; every key under it is deleted afterwards."""
    made: list[CrawlQueue] = []

    def make(lease_seconds: float = 30.0) -> CrawlQueue:
        queue = CrawlQueue(redis_url, prefix=redis_prefix, lease_seconds=lease_seconds)
        made.append(queue)
        return queue

    yield make
    if made:
        made[0].clear()
    for queue in made:
        queue.close()
