"""With YUQING_REDIS_URL the one scheduler queues crawls for the workers instead of running them."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from config import Settings
from yuqing.crawl_queue import CrawlQueue
from yuqing.scheduler import Pipeline
from yuqing.services import Services


def test_the_scheduler_enqueues_each_due_source_once_and_crawls_nothing_itself(
    tmp_path: Path, make_config: Any, make_queue: Any, redis_url: str
) -> None:
    queue: CrawlQueue = make_queue()
    config = make_config(tmp_path / "config", board_url="http://127.0.0.1:9", interval=5)
    settings = Settings(
        config_dir=config,
        data_dir=tmp_path / "data",
        redis_url=redis_url,
        redis_prefix=queue.base.removesuffix(":crawl"),
    )
    services = Services.load(settings)
    pipeline = Pipeline(services)
    pipeline.start()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and len(queue.queued()) < 2:
            time.sleep(0.1)
        # Let the 5-second intervals come round again: still queued, so not queued a second time.
        time.sleep(6)
        queued = sorted(job.source for job in queue.queued())
    finally:
        pipeline.stop()
        services.close()
    assert queued == ["demo-baixing", "demo-tousu"]
    assert not (tmp_path / "data" / "logs").exists()  # no crawl subprocess ran here


def test_without_redis_nothing_changes(tmp_path: Path, make_config: Any) -> None:
    config = make_config(tmp_path / "config", board_url="http://127.0.0.1:9")
    services = Services.load(Settings(config_dir=config, data_dir=tmp_path / "data", redis_url=None))
    try:
        assert services.crawl_queue is None
    finally:
        services.close()
